"""Rates (三率) from a policy's ``rates:``: counted per credited unit and per roll-up unit over a local month.

The scenario (tests/fixtures/bpmn/rates): September 2026, Beijing time. Hand-computed, with weights
0.30 / 0.35 / 0.35 over 响应率 / 解决率 / 满意率 among valid 回访 answers:

- CGW: 2 valid answers; responded 1, solved 2, satisfied-or-basic 2 -> 50%, 100%, 100%; score 0.85.
- XH: 3 valid answers (one order started for CGW and re-dispatched to XH; one answered 09-30 23:59);
  responded 3, solved 2, satisfied-or-basic 2 -> 100%, 66.7%, 66.7%; score 0.3 + 0.7 * 2/3 = 0.7667.
- HP: 4 answers, 3 valid (one answered 09-01 00:00, which is still August in UTC); the invalid one
  says yes to everything and counts nowhere; responded 2, solved 1, satisfied-or-basic 2 ->
  66.7%, 33.3%, 66.7%; score 0.2 + 0.35/3 + 0.35 * 2/3 = 0.55.
- Outside September: HP at 08-31 23:59 and XH at 10-01 00:00 (both valid, all no).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.database import Database
from escalation.config import Escalation
from escalation.policies import read_policy
from escalation.rates import Tally, Unit, month_window, monthly, ranked, roll_up, rules_by_process, tallies
from tests.support import FIXTURES, SHANGHAI, Flow

RATES = FIXTURES / "bpmn" / "rates"
POLICY = (RATES / "hotline.yaml").read_text(encoding="utf-8")
ZONE = ZoneInfo("Asia/Shanghai")
SEPTEMBER = date(2026, 9, 1)
PROCESS = "rates_hotline"

YES = {"valid": True, "responded": True, "solved": True, "satisfaction": "satisfied"}
NO = {"valid": True, "responded": False, "solved": False, "satisfaction": "unsatisfied"}
# (first handler, handler after 核定 or None, answer, when answered)
ORDERS: list[tuple[str, str | None, dict[str, object], datetime]] = [
    ("CGW", None, YES, datetime(2026, 9, 10, 10, 0, tzinfo=SHANGHAI)),
    ("CGW", None, {**YES, "responded": False}, datetime(2026, 9, 11, 10, 0, tzinfo=SHANGHAI)),
    ("XH", None, YES, datetime(2026, 9, 12, 10, 0, tzinfo=SHANGHAI)),
    ("CGW", "XH", {**YES, "satisfaction": "basic"}, datetime(2026, 9, 13, 10, 0, tzinfo=SHANGHAI)),
    ("XH", None, {**NO, "responded": True}, datetime(2026, 9, 30, 23, 59, tzinfo=SHANGHAI)),
    ("HP", None, YES, datetime(2026, 9, 1, 0, 0, tzinfo=SHANGHAI)),
    ("HP", None, {**NO, "responded": True}, datetime(2026, 9, 14, 10, 0, tzinfo=SHANGHAI)),
    ("HP", None, {**NO, "satisfaction": "basic"}, datetime(2026, 9, 15, 10, 0, tzinfo=SHANGHAI)),
    ("HP", None, {**YES, "valid": False}, datetime(2026, 9, 16, 10, 0, tzinfo=SHANGHAI)),
    ("HP", None, NO, datetime(2026, 8, 31, 23, 59, tzinfo=SHANGHAI)),
    ("XH", None, NO, datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI)),
]


def deploy_hotline(flow: Flow) -> None:
    """The hotline process and its policy with rates."""
    flow.deploy(RATES / "hotline.bpmn")
    flow.deploy_policy(RATES / "hotline.yaml")


def answer_order(flow: Flow, handler: str | None, changed: str | None, answer: dict[str, object],
                 at: datetime) -> int:
    """One order: started for ``handler`` (None: no unit named), re-dispatched to ``changed`` (None: untouched)."""
    start = {"description": "路灯不亮"} if handler is None else {"description": "路灯不亮", "handler": handler}
    case = flow.start(PROCESS, start, as_="JSJB.dispatcher")
    confirm = flow.open_tasks(case, "Task_confirm")[0]
    flow.complete(confirm.id, {} if changed is None else {"handler": changed}, as_="JSJB.dispatcher")
    callback = flow.open_tasks(case, "Task_callback")[0]
    flow.clock.set(at)
    flow.complete(callback.id, answer, as_="JSJB.dispatcher")
    return case


def answer_scenario(flow: Flow) -> Flow:
    """The orders of the scenario, answered."""
    deploy_hotline(flow)
    for handler, changed, answer, at in ORDERS:
        answer_order(flow, handler, changed, answer, at)
    return flow


@pytest.fixture
def september(flow: Flow) -> Flow:
    """The scenario's orders, answered."""
    return answer_scenario(flow)


def board(db: Database, esc: Escalation, month: date = SEPTEMBER, only: list[str] | None = None) -> object:
    with db.transaction(write=False) as session:
        rules = rules_by_process(session, esc)[PROCESS]
        return monthly(session, PROCESS, rules, month, ZONE, only)


def lines(found: object) -> dict[str, tuple[object, ...]]:
    """code -> (rank, score to 4 places, answers, counted, numerators)."""
    return {line.code: (line.rank, None if line.score is None else round(line.score, 4), line.tally.answers,
                        line.tally.counted, tuple(line.tally.hits[c] for c in ("response", "solution", "satisfaction")))
            for line in found}  # type: ignore[attr-defined]


def test_three_rates_and_the_composite_per_unit_and_per_street(september: Flow, db: Database,
                                                                 esc: Escalation) -> None:
    found = board(db, esc)
    assert [line.code for line in found.units] == ["CGW", "XH", "HP"]  # type: ignore[attr-defined]
    assert lines(found.units) == {  # type: ignore[attr-defined]
        "CGW": (1, 0.85, 2, 2, (1, 2, 2)),
        "XH": (2, 0.7667, 3, 3, (3, 2, 2)),
        "HP": (3, 0.55, 4, 3, (2, 1, 2)),
    }
    hp = found.units[2].tally  # type: ignore[attr-defined]
    assert (round(hp.rate("response"), 4), round(hp.rate("solution"), 4), round(hp.rate("satisfaction"), 4)) == \
        (0.6667, 0.3333, 0.6667)
    # Per street: the district department rolls up to no street; today's streets are their own street.
    assert lines(found.groups) == {"XH": (1, 0.7667, 3, 3, (3, 2, 2)), "HP": (2, 0.55, 4, 3, (2, 1, 2))}  # type: ignore[attr-defined]
    assert found.unattributed == 0  # type: ignore[attr-defined]


def test_the_month_is_local_time_first_instant_in_next_months_first_instant_out(september: Flow, db: Database,
                                                                                 esc: Escalation) -> None:
    since, until = month_window(date(2026, 9, 17), ZONE)
    assert (since.isoformat(), until.isoformat()) == ("2026-09-01T00:00:00+08:00", "2026-10-01T00:00:00+08:00")
    assert month_window(date(2026, 12, 5), ZONE)[1].isoformat() == "2027-01-01T00:00:00+08:00"
    august = lines(board(db, esc, date(2026, 8, 1)).units)  # type: ignore[attr-defined]
    october = lines(board(db, esc, date(2026, 10, 1)).units)  # type: ignore[attr-defined]
    assert august == {"HP": (1, 0.0, 1, 1, (0, 0, 0))}  # 08-31 23:59 is August's, 09-01 00:00 is not
    assert october == {"XH": (1, 0.0, 1, 1, (0, 0, 0))}  # 10-01 00:00 is October's, 09-30 23:59 is not


def test_a_reader_limited_to_some_units_sees_their_places_in_the_whole_ranking(september: Flow, db: Database,
                                                                                esc: Escalation) -> None:
    found = board(db, esc, only=["HP"])
    assert [(line.code, line.rank) for line in found.units] == [("HP", 3)]  # type: ignore[attr-defined]
    assert [(line.code, line.rank) for line in found.groups] == [("HP", 2)]  # type: ignore[attr-defined]


def test_answers_whose_case_names_no_unit_are_counted_apart(flow: Flow, db: Database, esc: Escalation) -> None:
    deploy_hotline(flow)
    answer_order(flow, None, None, YES, datetime(2026, 9, 20, tzinfo=SHANGHAI))
    answer_order(flow, None, "HP", NO, datetime(2026, 9, 21, tzinfo=SHANGHAI))  # named at 核定: HP's
    found = board(db, esc)
    assert found.unattributed == 1  # type: ignore[attr-defined]
    assert lines(found.units) == {"HP": (1, 0.0, 1, 1, (0, 0, 0))}  # type: ignore[attr-defined]
    assert board(db, esc, only=["HP"]).unattributed == 0  # type: ignore[attr-defined] # not a head's to know


def test_answers_on_another_process_or_form_are_not_counted(flow: Flow, db: Database, esc: Escalation) -> None:
    deploy_hotline(flow)
    answer_order(flow, "HP", None, YES, datetime(2026, 9, 20, tzinfo=SHANGHAI))
    with db.transaction(write=False) as session:
        rules = rules_by_process(session, esc)[PROCESS]
        since, until = month_window(SEPTEMBER, ZONE)
        assert tallies(session, "another_process", rules, since, until) == {}
        assert set(tallies(session, PROCESS, rules, since, until)) == {"HP"}


def test_a_street_pools_its_units_answers_and_ties_share_a_rank() -> None:
    """With units under streets (issue 11's tree): a street's rate is its pooled answers, never a mean of rates."""
    policy, problems = read_policy(POLICY, "hotline.yaml")
    assert policy is not None and policy.rates is not None, problems
    rules = policy.rates
    tree = {"HP": Unit("HP", "和平街道", "street"), "HP-01": Unit("HP-01", "和平里社区", "community", "HP"),
            "HP-02": Unit("HP-02", "安定门社区", "community", "HP"), "JHH": Unit("JHH", "金海湖镇", "town"),
            "JHH-01": Unit("JHH-01", "上宅村", "village", "JHH"), "CGW": Unit("CGW", "城管委", "department")}
    tallies_by_unit = {
        "HP-01": Tally(1, 1, {"response": 1, "solution": 1, "satisfaction": 1}),
        "HP-02": Tally(4, 3, {"response": 3, "solution": 1, "satisfaction": 1}),
        "JHH-01": Tally(2, 2, {"response": 2, "solution": 1, "satisfaction": 1}),
        "CGW": Tally(2, 2, {"response": 2, "solution": 2, "satisfaction": 2}),
    }
    pooled = roll_up(tallies_by_unit, tree, rules.roll_up)
    assert set(pooled) == {"HP", "JHH"}
    assert pooled["HP"] == Tally(5, 4, {"response": 4, "solution": 2, "satisfaction": 2})
    assert pooled["HP"].rate("solution") == 0.5  # the mean of the units' rates would be (1 + 1/3) / 2
    places = ranked(pooled, tree, rules)
    assert [(p.code, p.rank, round(p.score or 0, 4)) for p in places] == [("HP", 1, 0.65), ("JHH", 1, 0.65)]
    with_cgw = ranked({**pooled, "CGW": tallies_by_unit["CGW"]}, tree, rules)
    assert [(p.code, p.rank) for p in with_cgw] == [("CGW", 1), ("HP", 2), ("JHH", 2)]


def _broken(change: str, replacement: str) -> tuple[int, list[tuple[int | None, str | None, str]]]:
    assert change in POLICY
    line = POLICY[:POLICY.index(change)].count("\n") + 1
    policy, problems = read_policy(POLICY.replace(change, replacement), "hotline.yaml")
    assert policy is None
    return line, [(p.line, p.element, p.message) for p in problems]


@pytest.mark.parametrize("change,replacement,element,fragment", [
    ("credit: handler", "credit: 承办单位", "rates.credit", "is not a field name"),
    ("from_form: hotline_callback", "from_form: ''", "rates.from_form", "name the form"),
    ("where: valid", "wher: valid", "rates.wher", "rates takes no key wher"),
    ("count: solved}", "count: {solved: []}}", "rates.list[2].count", "the values of solved must be"),
    ("{code: solution, label: 解决率,", "{code: response, label: 解决率,", "rates.list[2].code",
     "code response is used by an earlier rate"),
    ("label: 满意率, label_en", "lable: 满意率, label_en", "rates.list[3].lable", "a rate takes no key lable"),
    ("solution: 0.35,", "solution: 0.30,", "rates.composite", "must add up to 1 (they add up to 0.95)"),
    ("satisfaction: 0.35}", "satisfied: 0.35}", "rates.composite.satisfied", "composite names satisfied"),
    ("roll_up: [street, town]", "roll_up: {street: 1}", "rates.roll_up", "roll_up must list unit kinds"),
])
def test_a_mistake_in_rates_is_located(change: str, replacement: str, element: str, fragment: str) -> None:
    line, problems = _broken(change, replacement)
    assert [(at, where) for at, where, message in problems if fragment in message] == [(line, element)], problems


def test_rates_that_are_not_a_mapping_are_located() -> None:
    policy, problems = read_policy(POLICY.split("rates:")[0] + "rates: [response]\n", "hotline.yaml")
    assert policy is None
    assert [(p.line, p.element) for p in problems] == [(POLICY.split("rates:")[0].count("\n") + 1, "rates")]


def test_a_policy_without_rates_has_none() -> None:
    policy, problems = read_policy(POLICY.split("rates:")[0], "hotline.yaml")
    assert problems == [] and policy is not None and policy.rates is None


def test_the_shipped_whistle_policy_still_reads() -> None:
    path = Path(__file__).resolve().parents[2] / "processes" / "whistle" / "policies" / "whistle.yaml"
    policy, problems = read_policy(path.read_text(encoding="utf-8"), "whistle.yaml")
    assert problems == [] and policy is not None and policy.rates is None


def test_conditions_compare_json_values_with_their_types(db: Database) -> None:
    """What docs/escalation.md promises of `count` and `where`: true is not 1, "4" is not 4, 4 is 4 (SQLite too)."""
    from sqlalchemy import func, select

    from engine.models import TaskEvent
    from escalation.json_match import json_one_of

    answers = [{"stars": 4}, {"stars": "4"}, {"stars": 1}, {"stars": True}, {"stars": 5}, {"other": 4}, {"stars": None}]
    with db.transaction() as session:
        for data in answers:
            session.add(TaskEvent(action="probe", at=datetime(2026, 9, 1, tzinfo=SHANGHAI), payload={"data": data}))
    with db.transaction(write=False) as session:
        dialect = session.get_bind().dialect.name

        def matching(*values: object) -> list[object]:
            test = json_one_of(dialect, TaskEvent.payload, ("data", "stars"), values)  # type: ignore[arg-type]
            rows = session.execute(select(TaskEvent.payload).where(TaskEvent.action == "probe", test)
                                   .order_by(TaskEvent.id)).scalars()
            return [row["data"]["stars"] for row in rows]

        assert matching(4, 5) == [4, 5]
        assert matching("4") == ["4"]
        assert matching(True) == [True]
        assert matching(1) == [1]
        assert matching(False) == []
        assert session.execute(select(func.count()).where(TaskEvent.action == "probe")).scalar_one() == len(answers)
