"""forecasts: the latest forecast of each lane, with its backtested accuracy

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:00:00.000000

Issue #15: `flask forecast refresh` (hourly, in the worker) stores one row per checkpoint,
direction and lane; the public read is a lookup of that row.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import content.db

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('forecast',
    sa.Column('checkpoint_id', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.Enum('exit', 'entry', name='direction', native_enum=False, length=16), nullable=False),
    sa.Column('lane', sa.Enum('car', 'truck', 'bus', 'pedestrian', name='lane', native_enum=False, length=16), nullable=False),
    sa.Column('computed_at', content.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('methods', sa.JSON(), nullable=False),
    sa.Column('accuracy', sa.JSON(), nullable=False),
    sa.Column('shown', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('decay', sa.Float(), nullable=False),
    sa.Column('typical', sa.JSON(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_forecast_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkpoint_id', 'direction', 'lane', name=op.f('pk_forecast'))
    )


def downgrade() -> None:
    op.drop_table('forecast')
