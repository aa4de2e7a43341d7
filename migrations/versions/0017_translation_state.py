"""per-language translation status of campaigns and customs rules

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 10:30:00.000000

Issue #19: each campaign and customs rule names its reference language (Russian by
default), and translation_state keeps, per item, language and field, whether the
translation is a draft, up to date, outdated or reviewed, and the reference text it was
last written or confirmed against. Items saved before have no rows: their texts count as
drafts until someone confirms or reviews them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import content.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_state",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_key", sa.String(length=100), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "missing",
                "draft",
                "up_to_date",
                "outdated",
                "reviewed",
                name="translationstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("confirmed_reference", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=300), nullable=True),
        sa.Column("changed_at", content.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "item_key", "locale", "field", name=op.f("pk_translation_state")
        ),
    )
    op.create_index(
        "ix_translation_state_kind_locale_status",
        "translation_state",
        ["kind", "locale", "status"],
        unique=False,
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reference_locale", sa.String(length=8), server_default="ru", nullable=False)
        )
    with op.batch_alter_table("customs_rule", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reference_locale", sa.String(length=8), server_default="ru", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("customs_rule", schema=None) as batch_op:
        batch_op.drop_column("reference_locale")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("reference_locale")
    op.drop_index("ix_translation_state_kind_locale_status", table_name="translation_state")
    op.drop_table("translation_state")
