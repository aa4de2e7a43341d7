"""e-queue facts per checkpoint, direction and lane

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:00:00.000000

Issue #16: whether a lane must book a slot in an electronic queue (CarGoRuqsat at Kordai),
where to book, and the vehicles in its waiting zone.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import content.db

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('equeue_fact',
    sa.Column('checkpoint_id', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.Enum('exit', 'entry', 'unstated', name='equeuedirection', native_enum=False, length=16), nullable=False),
    sa.Column('lane', sa.Enum('car', 'truck', 'bus', 'pedestrian', name='lane', native_enum=False, length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=True),
    sa.Column('booking_url', sa.String(length=500), nullable=True),
    sa.Column('vehicles_in_waiting_zone', sa.Integer(), nullable=True),
    sa.Column('updated_at', content.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.CheckConstraint('vehicles_in_waiting_zone IS NULL OR vehicles_in_waiting_zone >= 0', name=op.f('ck_equeue_fact_vehicles_not_negative')),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_equeue_fact_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkpoint_id', 'direction', 'lane', name=op.f('pk_equeue_fact'))
    )


def downgrade() -> None:
    op.drop_table('equeue_fact')
