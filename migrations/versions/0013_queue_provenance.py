"""queue provenance: source and method of every queue report, and reporting freshness

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00.000000

Issue #16: every queue figure says where it came from (`source`) and how it was obtained
(`method`); the current figure also keeps its agency, whose name is `reported_by`. Reports
stored before were all typed in by border services: agency / officer_estimate.
`checkpoint_reporting` keeps each checkpoint's fresh hours for `reporting`; it is filled
here from the last 8 days of reports, by the rule of content/checkpoints/freshness.py.
"""
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import content.db

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = ('agency', 'crowd', 'equeue')
METHODS = ('officer_estimate', 'sensor', 'equeue', 'crowd_median')
#: as content.checkpoints.freshness (copied: a migration does not import moving code)
FRESH_FOR_HOURS = 2
KEPT_HOURS = 8 * 24
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _provenance_columns() -> list[sa.Column]:
    return [
        sa.Column('source', sa.Enum(*SOURCES, name='source', native_enum=False, length=16), server_default='agency', nullable=False),
        sa.Column('method', sa.Enum(*METHODS, name='method', native_enum=False, length=32), server_default='officer_estimate', nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table('queue_report', schema=None) as batch_op:
        for column in _provenance_columns():
            batch_op.add_column(column)
        batch_op.create_index('ix_queue_report_agency_posted', ['agency_id', 'posted_at'], unique=False)
    with op.batch_alter_table('current_queue', schema=None) as batch_op:
        for column in _provenance_columns():
            batch_op.add_column(column)
        batch_op.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_current_queue_agency_id_agency'), 'agency', ['agency_id'], ['id'], ondelete='SET NULL')
    op.create_table('checkpoint_reporting',
    sa.Column('checkpoint_id', sa.String(length=64), nullable=False),
    sa.Column('last_official_at', content.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('fresh_hours', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoint.id'], name=op.f('fk_checkpoint_reporting_checkpoint_id_checkpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkpoint_id', name=op.f('pk_checkpoint_reporting'))
    )
    _backfill()


def _backfill() -> None:
    """The current figures' agencies, and each checkpoint's reporting from its reports."""
    connection = op.get_bind()
    connection.execute(sa.text(
        'UPDATE current_queue SET agency_id = '
        '(SELECT agency_id FROM queue_report WHERE queue_report.id = current_queue.report_id)'
    ))
    utc = content.db.UTCDateTime(timezone=True)
    report = sa.table(
        'queue_report', sa.column('checkpoint_id'), sa.column('observed_at', utc),
        sa.column('posted_at', utc), sa.column('demo', sa.Boolean()),
    )
    current = sa.table(
        'current_queue', sa.column('checkpoint_id'), sa.column('observed_at', utc),
        sa.column('demo', sa.Boolean()),
    )
    now = datetime.now(UTC)
    oldest = int((now - EPOCH) // timedelta(hours=1)) - KEPT_HOURS
    hours: dict[str, set[int]] = {}
    for checkpoint_id, observed_at, posted_at, _demo in connection.execute(
        sa.select(report).where(report.c.observed_at >= now - timedelta(hours=KEPT_HOURS + 2))
    ):
        observed = int((observed_at - EPOCH) // timedelta(hours=1))
        posted = int((posted_at - EPOCH) // timedelta(hours=1))
        fresh = range(max(observed, posted, oldest), observed + FRESH_FOR_HOURS)
        hours.setdefault(checkpoint_id, set()).update(fresh)
    newest: dict[str, tuple[datetime, bool]] = {}
    for checkpoint_id, observed_at, demo in connection.execute(sa.select(current)):
        if checkpoint_id not in newest or observed_at > newest[checkpoint_id][0]:
            newest[checkpoint_id] = (observed_at, demo)
    rows = [
        {'checkpoint_id': checkpoint_id, 'last_official_at': observed_at, 'demo': demo,
         'fresh_hours': sorted(hours.get(checkpoint_id, ()))}
        for checkpoint_id, (observed_at, demo) in newest.items()
    ]
    if rows:
        table = sa.table(
            'checkpoint_reporting', sa.column('checkpoint_id'), sa.column('last_official_at', utc),
            sa.column('demo', sa.Boolean()), sa.column('fresh_hours', sa.JSON()),
        )
        connection.execute(sa.insert(table), rows)


def downgrade() -> None:
    op.drop_table('checkpoint_reporting')
    with op.batch_alter_table('current_queue', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_current_queue_agency_id_agency'), type_='foreignkey')
        batch_op.drop_column('agency_id')
        batch_op.drop_column('method')
        batch_op.drop_column('source')
    with op.batch_alter_table('queue_report', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_report_agency_posted')
        batch_op.drop_column('method')
        batch_op.drop_column('source')
