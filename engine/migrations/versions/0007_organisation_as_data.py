"""organisation as data: unit kinds, roles, units in a tree, unit relations

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

The release before this one knew one district and twelve roles in Python. This migration
writes that organisation down as data so running cases, seats and deadlines carry on:

- the twelve roles become rows of ``role`` with the heads, capabilities and default
  assignment expressions the Python enum implied;
- every existing unit is put under one district ``SFQ`` (示范区) in one city ``DEMO`` (示范市),
  the demo district that release shipped; ``whistle org sync`` renames or moves them later;
- ``department.kind`` becomes a unit-kind code and ``serves_role`` becomes the kind of the unit
  (supervision, leadership, dispatch_centre, platform);
- the communities listed on each street become its child units (``<street>-01`` …), in order;
- stored process versions record ``department`` and ``street`` as the variables naming units.

Role codes on seats and tasks stay the same strings; their columns widen to 64 characters.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

# The released organisation, frozen as it was: (code, label, label_en).
_KINDS = [
    ('city', '市', 'City'), ('district', '区', 'District'), ('street', '街道', 'Street'), ('town', '乡镇', 'Town'),
    ('community', '社区', 'Community'), ('village', '村', 'Village'), ('department', '区职能部门', 'District department'),
    ('dispatch_centre', '派单中心', 'Dispatch centre'), ('supervision', '督查室', 'Supervision office'),
    ('leadership', '区领导', 'District leadership'), ('platform', '平台管理', 'Platform'),
]
_STREETS = ['street', 'town']
# (code, label, label_en, unit kinds, head, capabilities, distributes, oversees, assign)
_ROLES = [
    ('street_officer', '街道指挥中心值班员', 'Street duty officer', _STREETS, 'street_leader', ['start', 'supervise'],
     [], [], 'street'),
    ('street_leader', '街道分管领导', 'Street leader', _STREETS, None, ['supervise'], [], [], 'street'),
    ('grid_worker', '网格员', 'Grid worker', _STREETS + ['community', 'village'], 'street_leader', [], [], [], 'street'),
    ('dept_dispatcher', '部门接哨员', 'Department dispatcher', ['department'], 'dept_head', [],
     ['dept_dispatcher', 'dept_staff'], [], 'department'),
    ('dept_staff', '部门处置人员', 'Department staff', ['department'], 'dept_head', [], [], [], 'department'),
    ('dept_head', '部门负责人', 'Department head', ['department'], None, [], [], [], 'department'),
    ('supervisor', '督办员', 'Supervisor', ['supervision'], None, ['supervise'], [], ['district'],
     'within(supervision, up(district, street))'),
    ('district_leader', '区领导', 'District leader', ['leadership'], None, ['supervise'], [], ['district'],
     'within(leadership, up(district, street))'),
    ('dispatch_center', '接诉即办派单员', '12345 dispatcher', ['dispatch_centre'], None, ['supervise'], [], ['district'],
     'within(dispatch_centre, up(district, street))'),
    ('designer', '流程设计员', 'Process designer', ['platform'], None, ['design'], [], [], None),
    ('admin', '系统管理员', 'Administrator', ['platform'], None, ['administer', 'design', 'supervise'], [], ['city'],
     None),
    ('citizen', '诉求人', 'Resident', _STREETS, None, ['public'], [], [], None),
]
_UNIT_KINDS = {'dispatch_center': 'dispatch_centre', 'supervisor': 'supervision', 'district_leader': 'leadership'}


def upgrade() -> None:
    op.create_table('unit_kind',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('label_en', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_unit_kind'))
    )
    op.create_table('role',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('label_en', sa.String(length=100), nullable=False),
    sa.Column('unit_kinds', _JSON, nullable=False),
    sa.Column('head', sa.String(length=64), nullable=True),
    sa.Column('capabilities', _JSON, nullable=False),
    sa.Column('distributes', _JSON, nullable=False),
    sa.Column('oversees', _JSON, nullable=False),
    sa.Column('assign', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_role'))
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('path', sa.String(length=400), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.alter_column('kind', existing_type=sa.String(length=32), type_=sa.String(length=64),
                              existing_nullable=False)
        batch_op.create_index(batch_op.f('ix_department_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_department_path', ['path'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_department_parent_id_department'), 'department', ['parent_id'],
                                    ['id'])
    op.create_table('unit_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['other_id'], ['department.id'], name=op.f('fk_unit_relation_other_id_department')),
    sa.ForeignKeyConstraint(['unit_id'], ['department.id'], name=op.f('fk_unit_relation_unit_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_relation')),
    sa.UniqueConstraint('kind', 'unit_id', 'other_id', name=op.f('uq_unit_relation_kind'))
    )
    with op.batch_alter_table('unit_relation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_relation_other_id'), ['other_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_relation_unit_id'), ['unit_id'], unique=False)
    _write_organisation(op.get_bind())
    _name_unit_variables(op.get_bind())
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.alter_column('path', server_default=None)
        batch_op.alter_column('active', server_default=None)
        batch_op.drop_column('serves_role')
        batch_op.drop_column('communities')
    for table in ('membership', 'human_task'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('role', existing_type=sa.String(length=32), type_=sa.String(length=64))


def _write_organisation(bind: sa.Connection) -> None:
    """Kinds, roles and the tree for the data the release left (nothing for an empty database)."""
    meta = sa.MetaData()
    kinds = sa.Table('unit_kind', meta, autoload_with=bind)
    roles = sa.Table('role', meta, autoload_with=bind)
    units = sa.Table('department', meta, autoload_with=bind)
    rows = bind.execute(sa.select(units.c.id, units.c.code, units.c.kind, units.c.serves_role,
                                  units.c.communities).order_by(units.c.id)).all()
    if not rows:  # a new installation: its packs declare the organisation (whistle org sync)
        return
    bind.execute(kinds.insert(), [{'code': c, 'label': z, 'label_en': e, 'active': True} for c, z, e in _KINDS])
    bind.execute(roles.insert(), [
        {'code': c, 'label': z, 'label_en': e, 'unit_kinds': k, 'head': h, 'capabilities': cap,
         'distributes': d, 'oversees': o, 'assign': a, 'active': True}
        for c, z, e, k, h, cap, d, o, a in _ROLES])
    taken = {row.code for row in rows}
    city = _insert_unit(bind, units, 'DEMO', '示范市', 'city', None, taken)
    district = _insert_unit(bind, units, 'SFQ', '示范区', 'district', city, taken)
    bind.execute(units.update().where(units.c.id == city).values(path=f'/{city}/'))
    bind.execute(units.update().where(units.c.id == district).values(path=f'/{city}/{district}/'))
    for row in rows:
        kind = {'district_department': 'department',
                'district_unit': _UNIT_KINDS.get(row.serves_role or '', 'platform')}.get(row.kind, row.kind)
        path = f'/{city}/{district}/{row.id}/'
        bind.execute(units.update().where(units.c.id == row.id).values(kind=kind, parent_id=district, path=path))
        child_kind = 'village' if kind == 'town' else 'community'
        for number, name in enumerate(row.communities or [], start=1):
            child = _insert_unit(bind, units, f'{row.code}-{number:02d}'[:32], str(name)[:100], child_kind, row.id,
                                 taken)
            bind.execute(units.update().where(units.c.id == child).values(path=f'{path}{child}/'))


def _name_unit_variables(bind: sa.Connection) -> None:
    """Stored versions keep the places of each task in the two variables the released roles read."""
    meta = sa.MetaData()
    definitions = sa.Table('process_definition', meta, autoload_with=bind)
    for row in bind.execute(sa.select(definitions.c.id, definitions.c.catalog)).all():
        catalog = dict(row.catalog or {})
        if 'unit_variables' not in catalog:
            catalog['unit_variables'] = ['department', 'street']
            bind.execute(definitions.update().where(definitions.c.id == row.id).values(catalog=catalog))


def _insert_unit(bind: sa.Connection, units: sa.Table, code: str, name: str, kind: str, parent: int | None,
                 taken: set[str]) -> int:
    """A new unit row; a code the release already used gets a numbered suffix."""
    candidate, number = code, 1
    while candidate in taken:
        number += 1
        candidate = f'{code}~{number}'
    taken.add(candidate)
    result = bind.execute(units.insert().values(code=candidate, name=name, short_name=None, kind=kind,
                                                parent_id=parent, path='', active=True, duties=[],
                                                communities=[]))
    return int(result.inserted_primary_key[0])


def downgrade() -> None:
    raise NotImplementedError('organisation data cannot be folded back into the released enum')
