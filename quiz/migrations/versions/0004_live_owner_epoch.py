"""the live game's owner epoch: the fencing token of several workers (issue 8)

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('live_game') as batch:
        batch.add_column(sa.Column('owner_epoch', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('live_game') as batch:
        batch.drop_column('owner_epoch')
