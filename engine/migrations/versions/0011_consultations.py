"""议事协商: residents' votes and comments on proposals, and phone verification codes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'consultation_vote',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('choice', sa.String(length=32), nullable=False),
        sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_consultation_vote_instance_id_process_instance'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_consultation_vote_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_vote')),
        sa.UniqueConstraint('instance_id', 'user_id', name=op.f('uq_consultation_vote_instance_id')),
    )
    op.create_index(op.f('ix_consultation_vote_instance_id'), 'consultation_vote', ['instance_id'], unique=False)
    op.create_table(
        'consultation_comment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_consultation_comment_instance_id_process_instance'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_consultation_comment_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_comment')),
    )
    op.create_index(op.f('ix_consultation_comment_instance_id'), 'consultation_comment', ['instance_id'],
                    unique=False)
    op.create_table(
        'phone_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_check')),
    )
    op.create_index(op.f('ix_phone_check_phone'), 'phone_check', ['phone'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_phone_check_phone'), table_name='phone_check')
    op.drop_table('phone_check')
    op.drop_index(op.f('ix_consultation_comment_instance_id'), table_name='consultation_comment')
    op.drop_table('consultation_comment')
    op.drop_index(op.f('ix_consultation_vote_instance_id'), table_name='consultation_vote')
    op.drop_table('consultation_vote')
