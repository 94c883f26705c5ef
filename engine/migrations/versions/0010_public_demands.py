"""residents' demands from the public site, with their tracking codes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'public_demand',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('phone_digest', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('helper_id', sa.Integer(), nullable=True),
        sa.Column('resident_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_public_demand_instance_id_process_instance'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['helper_id'], ['user_account.id'],
                                name=op.f('fk_public_demand_helper_id_user_account')),
        sa.ForeignKeyConstraint(['resident_id'], ['user_account.id'],
                                name=op.f('fk_public_demand_resident_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_demand')),
        sa.UniqueConstraint('code', name=op.f('uq_public_demand_code')),
        sa.UniqueConstraint('instance_id', name=op.f('uq_public_demand_instance_id')),
    )
    op.create_index(op.f('ix_public_demand_resident_id'), 'public_demand', ['resident_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_public_demand_resident_id'), table_name='public_demand')
    op.drop_table('public_demand')
