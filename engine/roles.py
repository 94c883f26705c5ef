"""The roles of the practice (district.yaml) and which department a role acts for."""
from __future__ import annotations

import enum
import re


class Scope(enum.StrEnum):
    """Where a role's holder sits; decides which department a lane's task goes to."""

    STREET = "street"
    DEPARTMENT = "department"
    DISTRICT = "district"
    SYSTEM = "system"
    PUBLIC = "public"


class Role(enum.StrEnum):
    """A role a user holds within one department."""

    STREET_OFFICER = "street_officer"
    STREET_LEADER = "street_leader"
    GRID_WORKER = "grid_worker"
    DEPT_DISPATCHER = "dept_dispatcher"
    DEPT_STAFF = "dept_staff"
    DEPT_HEAD = "dept_head"
    SUPERVISOR = "supervisor"
    DISTRICT_LEADER = "district_leader"
    DISPATCH_CENTER = "dispatch_center"
    DESIGNER = "designer"
    ADMIN = "admin"
    CITIZEN = "citizen"

    @property
    def label(self) -> str:
        """The Chinese name designers write on lanes."""
        return _LABELS[self]

    @property
    def scope(self) -> Scope:
        """Where holders of this role sit."""
        return _SCOPES[self]

    @property
    def head(self) -> Role | None:
        """The role that may act for (and unclaim from) holders of this role."""
        return _HEADS.get(self)

    @property
    def distributes(self) -> frozenset[Role]:
        """The roles whose tasks holders of this role hand out to colleagues in their unit (a dispatcher's)."""
        return _DISTRIBUTES.get(self, frozenset())


_LABELS = {
    Role.STREET_OFFICER: "街道指挥中心值班员",
    Role.STREET_LEADER: "街道分管领导",
    Role.GRID_WORKER: "网格员",
    Role.DEPT_DISPATCHER: "部门接哨员",
    Role.DEPT_STAFF: "部门处置人员",
    Role.DEPT_HEAD: "部门负责人",
    Role.SUPERVISOR: "督办员",
    Role.DISTRICT_LEADER: "区领导",
    Role.DISPATCH_CENTER: "接诉即办派单员",
    Role.DESIGNER: "流程设计员",
    Role.ADMIN: "系统管理员",
    Role.CITIZEN: "诉求人",
}

_SCOPES = {
    Role.STREET_OFFICER: Scope.STREET,
    Role.STREET_LEADER: Scope.STREET,
    Role.GRID_WORKER: Scope.STREET,
    Role.DEPT_DISPATCHER: Scope.DEPARTMENT,
    Role.DEPT_STAFF: Scope.DEPARTMENT,
    Role.DEPT_HEAD: Scope.DEPARTMENT,
    Role.SUPERVISOR: Scope.DISTRICT,
    Role.DISTRICT_LEADER: Scope.DISTRICT,
    Role.DISPATCH_CENTER: Scope.DISTRICT,
    Role.DESIGNER: Scope.SYSTEM,
    Role.ADMIN: Scope.SYSTEM,
    Role.CITIZEN: Scope.PUBLIC,
}

# A head may claim, complete and unclaim the tasks of the roles below it in the same department.
_HEADS = {
    Role.DEPT_DISPATCHER: Role.DEPT_HEAD,
    Role.DEPT_STAFF: Role.DEPT_HEAD,
    Role.STREET_OFFICER: Role.STREET_LEADER,
    Role.GRID_WORKER: Role.STREET_LEADER,
}

# Besides the head, a unit's dispatcher hands out the unit's work (district.yaml: "signs for whistles, assigns staff").
_DISTRIBUTES = {Role.DEPT_DISPATCHER: frozenset({Role.DEPT_DISPATCHER, Role.DEPT_STAFF})}

# The data variable that names the concrete department of a lane's task, by scope.
SCOPE_VARIABLES = {Scope.STREET: "street", Scope.DEPARTMENT: "department"}

_TRAILING_CODE = re.compile(r"[(（]\s*([a-z_]+)\s*[)）]\s*$")


def role_for_lane(lane_name: str | None) -> Role | None:
    """The role a lane names: its code, its Chinese label, or a label ending in ``(code)``."""
    if not lane_name:
        return None
    name = lane_name.strip()
    for role in Role:
        if name in (role.value, role.label):
            return role
    match = _TRAILING_CODE.search(name)
    if match:
        try:
            return Role(match.group(1))
        except ValueError:
            return None
    return None
