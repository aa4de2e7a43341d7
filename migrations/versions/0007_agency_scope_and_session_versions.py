"""agency scope on the agency; session versions; sign-in lockout moves to the limiter

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:50:00.000000

The checkpoint scope moves from each API key to its agency, so that rotating or
revoking keys can never widen it (review 1c/1d). Backfill: the intersection of the
scopes of every key the agency ever had, live or revoked, a country-wide key (NULL)
counting as "no narrower". That is never wider than any key the agency had, and it
narrows again an agency whose scope a revoke + rotate widened. An agency whose keys
had disjoint scopes gets an empty scope (may post nowhere) until an operator sets one
with `flask agency set-scope`.

Users and tokens get a session version; the per-account lockout columns go, since
lockout is now counted per account and client IP in the rate limiter (review 2a).
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import content.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

agency = sa.table('agency', sa.column('id', sa.Integer), sa.column('checkpoint_ids', sa.JSON))
api_key = sa.table(
    'api_key', sa.column('agency_id', sa.Integer), sa.column('checkpoint_ids', sa.JSON)
)


def narrowest_scope(key_scopes: list[Any]) -> list[str] | None:
    """The intersection of the keys' scopes; None (the whole country) only when every key
    was country-wide."""
    scope: set[str] | None = None
    for key_scope in key_scopes:
        if key_scope is None:
            continue
        scope = set(key_scope) if scope is None else scope & set(key_scope)
    return None if scope is None else sorted(scope)


def upgrade() -> None:
    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkpoint_ids', sa.JSON(), nullable=True))

    connection = op.get_bind()
    scopes: dict[int, list[Any]] = {}
    for agency_id, key_scope in connection.execute(
        sa.select(api_key.c.agency_id, api_key.c.checkpoint_ids)
    ):
        # an empty list was stored as NULL by the old issue_key; keep it whole-country
        scopes.setdefault(agency_id, []).append(key_scope or None)
    for agency_id, key_scopes in scopes.items():
        scope = narrowest_scope(key_scopes)
        if scope is not None:
            connection.execute(
                sa.update(agency).where(agency.c.id == agency_id).values(checkpoint_ids=scope)
            )

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_column('checkpoint_ids')

    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(
            sa.Column('locked_until', content.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column('session_version')

    with op.batch_alter_table('auth_token', schema=None) as batch_op:
        batch_op.drop_column('session_version')

    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkpoint_ids', sa.JSON(), nullable=True))

    # every key, live or revoked, gets its agency's scope back
    connection = op.get_bind()
    for agency_id, scope in connection.execute(
        sa.select(agency.c.id, agency.c.checkpoint_ids).where(agency.c.checkpoint_ids.is_not(None))
    ):
        connection.execute(
            sa.update(api_key).where(api_key.c.agency_id == agency_id).values(checkpoint_ids=scope)
        )

    with op.batch_alter_table('agency', schema=None) as batch_op:
        batch_op.drop_column('checkpoint_ids')
