"""customs rules say how exact their start date is

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00.000000

About 18 seeded rules carried a placeholder, an adoption date or a news report's date
as `effective_from` (review §10). `effective_from_precision` (day, month, year,
unknown) is served next to the date. Existing rows become "unknown": the migration
cannot know which dates are exact; the seed loader sets the precision of the versions
it seeded.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customs_rule", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "effective_from_precision",
                sa.String(length=8),
                server_default="unknown",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("customs_rule", schema=None) as batch_op:
        batch_op.drop_column("effective_from_precision")
