"""``also_started_by`` on a start event: more roles may start a process than its lane's, checked at deploy (declared,
granted ``start``, bounded, on the start event only) and honoured by every start, merge and linked-case offer; only
the lane role's seat fills the start's unit variable."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import instances, merged_requests, start_roles, withdrawal
from engine.actors import Actor, Seat
from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid, Forbidden
from engine.expressions import Evaluator
from engine.models import Department, InstanceDepartment, ProcessDefinition
from tests.organisation import validate_demo
from tests.support import FIXTURES, PROCESSES, Flow

YWTB = PROCESSES / "ywtb" / "ywtb.bpmn"
DECLARED = b'<camunda:property name="also_started_by" value="community_worker" />'
TIMER = FIXTURES / "bpmn" / "valid" / "timer_escalation.bpmn"  # lane 街道指挥中心值班员 (assign: street)
REQUEST = {"channel": "hotline", "request_kind": "complaint", "limit_class": "general", "category": "SDGD",
           "street": "HP", "community": "和平里社区", "address": "和平里七区 5 号楼", "requester_phone": "13800000000",
           "description": "5 号楼停水两天，物业不回应。", "disposition": "dispatch"}


def refusals(value: bytes) -> list[tuple[str | None, str]]:
    """(element, message) of each problem of ywtb.bpmn with ``value`` for the start event's property."""
    bundle = bundle_from_path(YWTB)
    bundle.bpmn = bundle.bpmn.replace(DECLARED, b'<camunda:property name="also_started_by" value="' + value + b'" />')
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(bundle, Evaluator())
    return [(p.element, p.message) for p in refused.value.problems]


def test_the_catalog_adds_the_community_worker_to_the_intake_clerk() -> None:
    start = validate_demo(bundle_from_path(YWTB), Evaluator()).catalog["start"]
    assert (start["role"], start["also"]) == ("intake_clerk", ["community_worker"])
    assert start_roles.roles(start) == ["intake_clerk", "community_worker"]
    plain = validate_demo(bundle_from_path(PROCESSES / "whistle" / "whistle.bpmn"), Evaluator()).catalog["start"]
    assert "also" not in plain and start_roles.roles(plain) == ["street_officer"]  # nothing declared: as before
    again = bundle_from_path(YWTB)
    again.bpmn = again.bpmn.replace(DECLARED, DECLARED.replace(b"community_worker", b"intake_clerk, community_worker"))
    assert validate_demo(again, Evaluator()).catalog["start"]["also"] == ["community_worker"]  # the lane's dropped


@pytest.mark.parametrize(("value", "message"), [
    (b"nobody", "also_started_by: nobody is not a declared role"),
    (b"ops_dispatcher", "also_started_by: the role ops_dispatcher is not granted start"),
    (b"community_worker, case_handler", "also_started_by: the role case_handler is not granted start"),
    (b"", "also_started_by names 1 to 8 role codes, comma-separated"),
    (b",".join([b"community_worker"] * 9), "also_started_by names 1 to 8 role codes, comma-separated"),
    (b"x" * 601, "also_started_by names 1 to 8 role codes, comma-separated"),
    (b"y" * 65, "also_started_by: " + "y" * 64 + " is not a declared role"),
])
def test_a_bad_value_is_refused_on_the_start_event(value: bytes, message: str) -> None:
    assert refusals(value) == [("Start_request", message)]


def test_the_property_is_read_on_the_top_start_event_only_and_adds_to_a_lane() -> None:
    misplaced = bundle_from_path(YWTB)
    misplaced.bpmn = misplaced.bpmn.replace(DECLARED, b"").replace(
        b'<camunda:property name="learn_after" value="50" />',
        b'<camunda:property name="learn_after" value="50" />' + DECLARED)
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(misplaced, Evaluator())
    assert [(p.element, p.message) for p in refused.value.problems] == [
        ("Rule_suggest", "also_started_by is read on the process's start event only")]
    laneless = bundle_from_path(YWTB)
    laneless.bpmn = laneless.bpmn.replace(b"<bpmn:flowNodeRef>Start_request</bpmn:flowNodeRef>", b"")
    with pytest.raises(DefinitionInvalid) as refused:
        validate_demo(laneless, Evaluator())
    assert ("Start_request", "also_started_by adds to the role of the start event's lane: put the start event "
                             "in a lane") in [(p.element, p.message) for p in refused.value.problems]


def test_a_refused_deploy_stores_nothing(flow: Flow, tmp_path: Path) -> None:
    pack = Path(shutil.copytree(YWTB.parent, tmp_path / "ywtb"))
    for value, message in ((b"nobody", "also_started_by: nobody is not a declared role"),
                           (b"case_head", "also_started_by: the role case_head is not granted start")):
        path = pack / "ywtb.bpmn"
        path.write_bytes(YWTB.read_bytes().replace(DECLARED, DECLARED.replace(b"community_worker", value)))
        with pytest.raises(DefinitionInvalid) as refused:
            flow.deploy(path)  # checked against the organisation in the database
        [problem] = refused.value.problems
        line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                    if 'id="Start_request"' in text)
        assert problem.located() == f"{path}:{line}: Start_request: {message}"
        with flow.db.transaction(write=False) as session:
            assert session.execute(select(func.count()).select_from(ProcessDefinition)).scalar_one() == 0


def test_seats_put_the_lane_role_first_and_anyone_starts_without_a_lane_role() -> None:
    seats = (Seat(1, "HP-01", "和平里社区", "community_worker"), Seat(2, "SFQ-CY", "区城运中心", "intake_clerk"),
             Seat(3, "HP", "和平街道", "case_handler"))
    actor = Actor(1, "both", "两个岗位", seats)
    start = {"role": "intake_clerk", "also": ["community_worker"]}
    assert [s.department_code for s in start_roles.seats(actor, start)] == ["SFQ-CY", "HP-01"]
    assert start_roles.may_start(actor, start) and start_roles.seats(actor, {}) == list(seats)
    nobody = Actor(2, "nobody", "无岗位", ())
    assert not start_roles.may_start(nobody, start) and start_roles.may_start(nobody, {})


def test_a_community_worker_starts_and_merges_from_their_community(flow: Flow) -> None:
    flow.deploy(YWTB)
    worker = flow.actor("HP-01.worker")
    with flow.db.transaction(write=False) as session:
        seats = instances.starting_seats(session, flow.ctx, worker, "ywtb")
        assert [(s.department_code, s.role) for s in seats] == [("HP-01", "community_worker")]
        assert instances.starting_seats(session, flow.ctx, flow.actor("HP-01.committee"), "ywtb") == []
    case = flow.start("ywtb", {**REQUEST, "address": "和平里八区 2 号楼"}, as_="HP-01.worker")
    instance = flow.instance(case)
    with flow.db.transaction(write=False) as session:
        origin = session.get(Department, instance.origin_department_id)
        assert origin is not None and origin.code == "HP-01" and instance.started_by_id == worker.user_id
    assert instance.case_data["street"] == "HP"  # the lane's expression names no variable: nothing is filled in
    with flow.db.transaction(write=False) as session:  # a colleague of the same community may take it back
        starters = withdrawal.starting_roles(flow.ctx, session, instance)
    assert starters == ["intake_clerk", "community_worker"]
    assert withdrawal.may_withdraw(flow.actor("HP-01.worker"), instance, starters)
    assert not withdrawal.may_withdraw(flow.actor("HP-02.worker"), instance, starters)

    # Someone with no starting role is refused, and told which roles start it.
    with pytest.raises(Forbidden) as refused, flow.db.transaction() as session:
        instances.start(session, flow.ctx, flow.actor("HP-01.committee"), "ywtb", REQUEST, now=flow.clock.now())
    assert refused.value.params["role"] == "受理员 / 社区工作者"

    # A clerk's case, the same problem reported again in another community: the worker merges it, and follows it.
    clerks = flow.start("ywtb", REQUEST, as_="SFQ-CY.clerk")
    with flow.db.transaction() as session:
        merged_requests.merge(session, flow.ctx, flow.actor("HP-02.worker"), clerks,
                              {**REQUEST, "requester_phone": "13900000000"}, now=flow.clock.now())
    with flow.db.transaction(write=False) as session:
        joined = session.execute(select(Department.code).join(
            InstanceDepartment, InstanceDepartment.department_id == Department.id)
            .where(InstanceDepartment.instance_id == clerks)).scalars().all()
        assert "HP-02" in joined and len(merged_requests.merged_into(session, clerks)) == 1


def test_only_the_lane_roles_seat_fills_the_unit_variable(flow: Flow, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(TIMER.parent, tmp_path / "valid"))
    path = folder / TIMER.name
    path.write_bytes(TIMER.read_bytes().replace(
        b'<bpmn:startEvent id="Start_report" name="\xe4\xb8\x8a\xe6\x8a\xa5\xe9\x97\xae\xe9\xa2\x98" '
        b'camunda:formKey="timer_start">',
        b'<bpmn:startEvent id="Start_report" name="\xe4\xb8\x8a\xe6\x8a\xa5\xe9\x97\xae\xe9\xa2\x98" '
        b'camunda:formKey="timer_start"><bpmn:extensionElements><camunda:properties>'
        b'<camunda:property name="also_started_by" value="committee_member" />'
        b"</camunda:properties></bpmn:extensionElements>", 1))
    flow.deploy(path)
    data = {"department": "CGW", "description": "路灯不亮已经三天了"}
    officer = flow.instance(flow.start("timer_escalation", data, as_="HP.officer"))
    assert officer.case_data["street"] == "HP"  # the street officer's seat fills the lane's variable, as before
    committee = flow.instance(flow.start("timer_escalation", data, as_="HP-01.committee"))
    assert "street" not in committee.case_data  # a community is not a street: the form says which street
    chosen = flow.instance(flow.start("timer_escalation", {**data, "street": "XH"}, as_="HP-01.committee"))
    assert chosen.case_data["street"] == "XH"  # not checked against the committee member's seat
    with flow.db.transaction(write=False) as session:
        codes = {i: session.get(Department, flow.instance(i).origin_department_id).code  # type: ignore[union-attr]
                 for i in (officer.id, committee.id, chosen.id)}
    assert codes == {officer.id: "HP", committee.id: "HP-01", chosen.id: "HP-01"}
