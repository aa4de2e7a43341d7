"""customs rules: item kinds, residency, foreign currency only

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 12:10:00.000000

Review §2 and §3: a rule can be about some kinds of its category (cigars apart from
cigarettes), about non-residents only (Kyrgyzstan's cap on cash taken out), or count
foreign currency only (Kazakhstan's exit ban). Existing rules keep applying to every kind,
every traveller and every currency.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customs_rule') as batch_op:
        batch_op.add_column(sa.Column('kinds', sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column('residency', sa.String(length=16), server_default='any', nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                'foreign_currency_only', sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('customs_rule') as batch_op:
        batch_op.drop_column('foreign_currency_only')
        batch_op.drop_column('residency')
        batch_op.drop_column('kinds')
