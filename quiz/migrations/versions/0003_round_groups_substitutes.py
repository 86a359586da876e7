"""round groups and the players who left a team (issue 11)

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'round_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('team_ids', sa.JSON(), nullable=False),
        sa.Column('seeding', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('seed', sa.Integer(), nullable=True),
        sa.Column('live_id', sa.Integer(), nullable=True),
        sa.Column('created_ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['competition_round.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id', 'name', name='uq_round_group_name'),
    )
    with op.batch_alter_table('round_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_group_round_id'), ['round_id'], unique=False)
    op.create_table(
        'team_member_past',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('competition_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('seat', sa.Integer(), nullable=False),
        sa.Column('removed_ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['competition_id'], ['competition.id']),
        sa.ForeignKeyConstraint(['team_id'], ['team.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('team_member_past', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_member_past_competition_id'), ['competition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_member_past_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_member_past_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('team_member_past')
    op.drop_table('round_group')
