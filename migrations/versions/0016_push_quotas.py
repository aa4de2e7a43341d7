"""push within FCM's quotas: a shared pace, outbox lanes, token hygiene

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:00:00.000000

Issue #18: the pace every push worker shares when Redis is not there (push_pace); a lane
per outbox row, so that notifications never wait behind topic subscriptions; devices keep
when they were last seen, and may register a Firebase installation ID (fid) as well as,
or instead of, an FCM token; queue alerts are read by lane in id order (the worker fires
a queue report's alerts in batches).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import content.db

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('push_pace',
    sa.Column('lane', sa.String(length=32), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('lane', name=op.f('pk_push_pace'))
    )
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fid', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', content.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.alter_column('token', existing_type=sa.String(length=1024), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_device_fid'), ['fid'])
        batch_op.create_index(batch_op.f('ix_device_last_seen_at'), ['last_seen_at'], unique=False)
        batch_op.create_check_constraint(
            batch_op.f('ck_device_token_or_fid'), 'token IS NOT NULL OR fid IS NOT NULL'
        )
    # a device registered before counts as seen when it last changed
    op.execute('UPDATE device SET last_seen_at = updated_at')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fid', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('lane', sa.SmallInteger(), server_default='0', nullable=False))
        batch_op.create_index('ix_outbox_message_lane_due', ['status', 'lane', 'available_at'], unique=False)
    op.execute("UPDATE outbox_message SET lane = 1 WHERE kind IN ('topic_subscribe', 'topic_unsubscribe')")
    # the worker reads a queue report's alerts in id order, in batches
    with op.batch_alter_table('queue_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_alert_lane')
        batch_op.create_index('ix_queue_alert_lane', ['checkpoint_id', 'direction', 'lane', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('queue_alert', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_alert_lane')
        batch_op.create_index('ix_queue_alert_lane', ['checkpoint_id', 'direction', 'lane'], unique=False)
    op.execute("DELETE FROM outbox_message WHERE kind = 'queue_report'")
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_lane_due')
        batch_op.drop_column('lane')
        batch_op.drop_column('fid')
    op.execute('DELETE FROM device WHERE token IS NULL')
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_device_token_or_fid'), type_='check')
        batch_op.drop_index(batch_op.f('ix_device_last_seen_at'))
        batch_op.drop_constraint(batch_op.f('uq_device_fid'), type_='unique')
        batch_op.alter_column('token', existing_type=sa.String(length=1024), nullable=False)
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('fid')
    op.drop_table('push_pace')
