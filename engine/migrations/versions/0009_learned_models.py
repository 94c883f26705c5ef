"""models learned from people's decisions (人机协同), stored as plain JSON counts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'learned_model',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_key', sa.String(length=128), nullable=False),
        sa.Column('element_id', sa.String(length=128), nullable=False),
        sa.Column('state', _JSON, nullable=False),
        sa.Column('decisions', sa.Integer(), nullable=False),
        sa.Column('through_event_id', sa.Integer(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_learned_model')),
        sa.UniqueConstraint('process_key', 'element_id', name=op.f('uq_learned_model_process_key')),
    )


def downgrade() -> None:
    op.drop_table('learned_model')
