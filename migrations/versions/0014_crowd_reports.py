"""crowd reports

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00.000000

Issue #16: travellers report how long they waited (beside the official figure, never
instead of it), with the distance bucket only, deleted with the device; moderators hide
reports and block devices.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import content.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('crowd_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.Enum('exit', 'entry', name='direction', native_enum=False, length=16), nullable=False),
    sa.Column('lane', sa.Enum('car', 'truck', 'bus', 'pedestrian', name='lane', native_enum=False, length=16), nullable=False),
    sa.Column('waited_minutes', sa.Integer(), nullable=False),
    sa.Column('crossed_at', content.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('distance', sa.Enum('0-1 km', '1-2 km', '2-5 km', '5+ km', name='distancebucket', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', content.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', content.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('hidden_by', sa.String(length=300), nullable=True),
    sa.CheckConstraint('waited_minutes >= 0 AND waited_minutes <= 4320', name=op.f('ck_crowd_report_waited_range')),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_crowd_report_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_crowd_report_device_id_device'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crowd_report'))
    )
    with op.batch_alter_table('crowd_report', schema=None) as batch_op:
        batch_op.create_index('ix_crowd_report_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_crowd_report_crossed_at', ['crossed_at'], unique=False)
        batch_op.create_index('ix_crowd_report_device_created', ['device_id', 'created_at'], unique=False)

    op.create_table('crowd_block',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('blocked_at', content.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_by', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_crowd_block_device_id_device'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_crowd_block'))
    )


def downgrade() -> None:
    op.drop_table('crowd_block')
    with op.batch_alter_table('crowd_report', schema=None) as batch_op:
        batch_op.drop_index('ix_crowd_report_device_created')
        batch_op.drop_index('ix_crowd_report_crossed_at')
        batch_op.drop_index('ix_crowd_report_created_at')

    op.drop_table('crowd_report')
