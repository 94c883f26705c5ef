"""a case may be started from another (linked cases)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new nullable column: every existing case simply was started from nothing.
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('linked_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_process_instance_linked_from_id'), ['linked_from_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_process_instance_linked_from_id_process_instance'),
                                    'process_instance', ['linked_from_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_process_instance_linked_from_id_process_instance'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_process_instance_linked_from_id'))
        batch_op.drop_column('linked_from_id')
