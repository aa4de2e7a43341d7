"""checkpoint: accuracy radius instead of the approximate flag; hours_known; name_verified

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00.000000

A yes/no "approximate" made a point 1 km off look like one 30 km off (content review §4);
`location_accuracy_m` is a radius the app can draw. Backfill until `flask seed` loads the
sourced radii: a point flagged approximate gets 50 km (more than any seeded radius, so it
never looks more precise than it was), an exact one 2 km.

`hours_known` (review §6): the seed file had it, but it was never stored, so unknown hours
were served as "not 24 hours". Backfill: hours count as known only where always_open or a
schedule says something, as before.

`name_verified` (review §9): a name no source confirms is served flagged. Backfill: true;
the seed marks the unconfirmed ones.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPROXIMATE_M = 50_000
EXACT_M = 2_000

checkpoint = sa.table(
    'checkpoint',
    sa.column('id', sa.String),
    sa.column('location_approximate', sa.Boolean),
    sa.column('location_accuracy_m', sa.Integer),
    sa.column('always_open', sa.Boolean),
    sa.column('hours', sa.JSON),
    sa.column('hours_known', sa.Boolean),
)


def upgrade() -> None:
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_accuracy_m', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('hours_known', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column('name_verified', sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    op.execute(
        checkpoint.update().values(
            location_accuracy_m=sa.case(
                (checkpoint.c.location_approximate.is_(False), EXACT_M), else_=APPROXIMATE_M
            )
        )
    )
    # in Python: a missing schedule may be SQL NULL or a JSON null, depending on the writer
    connection = op.get_bind()
    known = [
        checkpoint_id
        for checkpoint_id, always_open, hours in connection.execute(
            sa.select(checkpoint.c.id, checkpoint.c.always_open, checkpoint.c.hours)
        )
        if always_open or hours
    ]
    if known:
        connection.execute(
            checkpoint.update().where(checkpoint.c.id.in_(known)).values(hours_known=True)
        )

    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.alter_column('location_accuracy_m', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('location_approximate')


def downgrade() -> None:
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'location_approximate', sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
    op.execute(
        checkpoint.update()
        .where(checkpoint.c.location_accuracy_m <= EXACT_M)
        .values(location_approximate=False)
    )
    with op.batch_alter_table('checkpoint', schema=None) as batch_op:
        batch_op.drop_column('name_verified')
        batch_op.drop_column('hours_known')
        batch_op.drop_column('location_accuracy_m')
