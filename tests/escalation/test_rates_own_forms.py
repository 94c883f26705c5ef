"""Rates with their own form (``rates.list[n].from_form``, optional own ``where``): each counts over its own answers.

The scenario: tests/fixtures/bpmn/rates with two more rates beside the section's three (回访 answers, where valid):
改派率 over 核定 answers (``hotline_confirm``) that move the order to XH, and 回访解决率 over 回访 answers
where ``responded`` (its own where replaces the section's ``valid``). September 2026, Beijing time; each
order is confirmed and answered at the time given, so both answers fall in the month given.

- XH: order A (CGW moved to XH at 核定, YES) and B (XH, YES but not responded): 核定 credits XH twice (A's
  own answer names XH), one of them moving it -> 改派率 1/2; 回访 valid 2 -> 响应 1/2, 解决 2/2, 满意 2/2;
  responded 1 (A), solved -> 回访解决率 1/1.
- HP: C (NO) and D (YES but not valid): 改派 0/2; valid 1 (C) -> 0/1 each; responded 1 (D: invalid yet counted,
  the rate's own where alone decides) and solved -> 1/1.
- CGW: E (NO but responded): 改派 0/1; valid 1 -> 响应 1/1, 解决 0/1, 满意 0/1; 回访解决率 0/1.
- ZJW: F confirmed on 09-30 but answered on 10-01: 改派 0/1 in September and no 回访, so no score.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from engine.database import Database
from escalation.config import Escalation
from escalation.policies import read_policy
from escalation.rate_rules import Condition, Source
from escalation.rates import Tally, Unit, ranked, roll_up, score
from tests.escalation.test_rates import NO, POLICY, PROCESS, RATES, YES, board
from tests.support import PROCESSES, SHANGHAI, Flow

OWN_RATES = """\
    - {code: moved, label: 改派率, from_form: hotline_confirm, count: {handler: [XH]}}
    - {code: solved_reached, label: 回访解决率, from_form: hotline_callback, where: responded, count: solved}
"""
COMPOSITE = "  composite: {response: 0.3, solution: 0.35, satisfaction: 0.35}\n"
OWN_POLICY = POLICY.replace(COMPOSITE, OWN_RATES + COMPOSITE)
CODES = ("response", "solution", "satisfaction", "moved", "solved_reached")


def at(day: int, month: int = 9) -> datetime:
    """10:00 Beijing time on that day of 2026 (00:00 on the first of a month, the edge of the window)."""
    return datetime(2026, month, day, 0 if day == 1 else 10, 0, tzinfo=SHANGHAI)


# (handler at the start, handler named at 核定 or None, 回访 answer, confirmed at, answered at)
ORDERS: list[tuple[str, str | None, dict[str, object], datetime, datetime]] = [
    ("CGW", "XH", YES, at(10), at(10)),
    ("XH", None, {**YES, "responded": False}, at(11), at(11)),
    ("HP", None, NO, at(12), at(12)),
    ("HP", None, {**YES, "valid": False}, at(13), at(13)),
    ("CGW", None, {**NO, "responded": True}, at(14), at(14)),
    ("ZJW", None, YES, at(30), at(1, 10)),
]


def answer_own_scenario(flow: Flow, tmp_path: Path) -> Flow:
    """The hotline with the two own-form rates, and the scenario's orders confirmed and answered."""
    flow.deploy(RATES / "hotline.bpmn")
    policy = tmp_path / "hotline.yaml"
    policy.write_text(OWN_POLICY, encoding="utf-8")
    flow.deploy_policy(policy)
    for handler, changed, answer, confirmed, answered in ORDERS:
        flow.clock.set(confirmed)
        case = flow.start(PROCESS, {"description": "路灯不亮", "handler": handler}, as_="JSJB.dispatcher")
        confirm = flow.open_tasks(case, "Task_confirm")[0]
        flow.complete(confirm.id, {} if changed is None else {"handler": changed}, as_="JSJB.dispatcher")
        flow.clock.set(answered)
        flow.complete(flow.open_tasks(case, "Task_callback")[0].id, answer, as_="JSJB.dispatcher")
    return flow


@pytest.fixture
def september(flow: Flow, tmp_path: Path) -> Flow:
    """The scenario's orders, confirmed and answered."""
    return answer_own_scenario(flow, tmp_path)


def counts(lines: object) -> dict[str, tuple[object, ...]]:
    """code -> (rank, answers, counted, (hits, of) of each rate)."""
    return {line.code: (line.rank, line.tally.answers, line.tally.counted,  # type: ignore[attr-defined]
                        tuple((line.tally.hits[c], line.tally.of(c)) for c in CODES))  # type: ignore[attr-defined]
            for line in lines}  # type: ignore[attr-defined]


def test_a_rate_with_its_own_form_counts_over_its_own_answers(september: Flow, db: Database,
                                                              esc: Escalation) -> None:
    found = board(db, esc)
    assert counts(found.units) == {  # type: ignore[attr-defined]
        "XH": (1, 2, 2, ((1, 2), (2, 2), (2, 2), (1, 2), (1, 1))),
        "CGW": (2, 1, 1, ((1, 1), (0, 1), (0, 1), (0, 1), (0, 1))),
        "HP": (3, 2, 1, ((0, 1), (0, 1), (0, 1), (0, 2), (1, 1))),
        "ZJW": (None, 0, 0, ((0, 0), (0, 0), (0, 0), (0, 1), (0, 0))),  # 核定 in September, 回访 in October
    }
    xh = found.units[0]  # type: ignore[attr-defined]
    assert (xh.tally.rate("moved"), xh.tally.rate("solved_reached"), round(xh.score, 4)) == (0.5, 1.0, 0.85)
    zjw = found.units[3]  # type: ignore[attr-defined]
    assert (zjw.score, zjw.tally.rate("moved"), zjw.tally.rate("solved_reached")) == (None, 0.0, None)
    # Per street, the own bases pool like the shared one (CGW and ZJW are district departments: no street).
    assert counts(found.groups) == {  # type: ignore[attr-defined]
        "XH": (1, 2, 2, ((1, 2), (2, 2), (2, 2), (1, 2), (1, 1))),
        "HP": (2, 2, 1, ((0, 1), (0, 1), (0, 1), (0, 2), (1, 1))),
    }
    october = counts(board(db, esc, date(2026, 10, 1)).units)  # type: ignore[attr-defined]
    assert october == {"ZJW": (1, 1, 1, ((1, 1), (1, 1), (1, 1), (0, 0), (1, 1)))}


def test_pooling_keeps_each_rates_own_base() -> None:
    policy, problems = read_policy(OWN_POLICY, "hotline.yaml")
    assert policy is not None and policy.rates is not None, problems
    rules = policy.rates
    tree = {"HP": Unit("HP", "和平街道", "street"), "HP-01": Unit("HP-01", "和平里社区", "community", "HP"),
            "HP-02": Unit("HP-02", "安定门社区", "community", "HP")}
    shared = {"response": 1, "solution": 1, "satisfaction": 1}
    by_unit = {"HP-01": Tally(2, 2, {**shared, "moved": 1, "solved_reached": 0}, {"moved": 4, "solved_reached": 0}),
               "HP-02": Tally(0, 0, {**shared, "moved": 0, "solved_reached": 1}, {"moved": 0, "solved_reached": 3})}
    pooled = roll_up(by_unit, tree, rules.roll_up)["HP"]
    assert pooled.bases == {"moved": 4, "solved_reached": 3} and pooled.counted == 2
    assert (pooled.of("response"), pooled.rate("moved"), pooled.rate("solved_reached")) == (2, 0.25, 1 / 3)
    assert pooled.plus(Tally()) == pooled  # a tally without own bases adds nothing to them


def test_the_composite_leaves_out_a_weighed_rate_without_answers() -> None:
    weighed = OWN_POLICY.replace(COMPOSITE, "  composite: {response: 0.5, moved: 0.5}\n")
    policy, problems = read_policy(weighed, "hotline.yaml")
    assert policy is not None and policy.rates is not None, problems
    both = Tally(4, 4, {"response": 1, "moved": 3}, {"moved": 4, "solved_reached": 0})
    assert score(both, policy.rates) == 0.5 * 0.25 + 0.5 * 0.75
    no_confirm = Tally(4, 4, {"response": 1, "moved": 0}, {"moved": 0, "solved_reached": 0})
    assert score(no_confirm, policy.rates) == 0.25  # response alone, its weight scaled up to 1
    only_confirm = Tally(0, 0, {"response": 0, "moved": 1}, {"moved": 2, "solved_reached": 0})
    lines = ranked({"A": no_confirm, "B": only_confirm, "C": Tally()}, {}, policy.rates)
    assert [(line.code, line.rank, line.score) for line in lines] == [("B", 1, 0.5), ("A", 2, 0.25),
                                                                     ("C", None, None)]


def _problems(replacement: str) -> list[tuple[int | None, str | None, str]]:
    text = POLICY.replace(COMPOSITE, replacement + COMPOSITE)
    policy, problems = read_policy(text, "hotline.yaml")
    assert policy is None
    return [(p.line, p.element, p.message) for p in problems]


@pytest.mark.parametrize("rate,element,fragment", [
    ("{code: moved, label: 改派率, from_form: '', count: handler}", "rates.list[4].from_form",
     "from_form must name the form whose completed tasks are this rate's answers"),
    ("{code: moved, label: 改派率, from_form: [hotline_confirm], count: handler}", "rates.list[4].from_form",
     "from_form must name the form"),
    ("{code: moved, label: 改派率, from_form: " + "f" * 129 + ", count: handler}", "rates.list[4].from_form",
     "from_form must name the form"),
    ("{code: moved, label: 改派率, where: valid, count: handler}", "rates.list[4].where",
     "a rate's where needs the rate's own from_form"),
    ("{code: moved, label: 改派率, from_form: hotline_confirm, where: {handler: []}, count: handler}",
     "rates.list[4].where", "the values of handler must be"),
    ("{code: moved, label: 改派率, form: hotline_confirm, count: handler}", "rates.list[4].form",
     "a rate takes no key form"),
], ids=["empty form", "list form", "long form", "where alone", "empty where", "unknown key"])
def test_a_mistake_in_a_rates_own_form_is_located(rate: str, element: str, fragment: str) -> None:
    line = POLICY[:POLICY.index(COMPOSITE)].count("\n") + 1  # the new rate's line
    problems = _problems(f"    - {rate}\n")
    assert [(at, where) for at, where, message in problems if fragment in message] == [(line, element)], problems


def test_the_shipped_ywtb_policy_counts_four_forms() -> None:
    path = PROCESSES / "ywtb" / "policies" / "ywtb.yaml"
    policy, problems = read_policy(path.read_text(encoding="utf-8"), "ywtb.yaml")
    assert problems == [] and policy is not None and policy.rates is not None
    rules = policy.rates
    assert [rate.code for rate in rules.rates] == ["satisfaction", "response", "solution", "bad", "returned",
                                                   "rectified"]
    answered = Condition("solved", ("solved", "unsolved"))  # 解决率: only ratings that answer the question
    assert rules.sources() == (Source("ywtb_rate", None), Source("ywtb_handle", None), Source("ywtb_rate", answered),
                               Source("ywtb_sign", None), Source("ywtb_rerate", None))
    assert [rules.source_of(rate).form for rate in rules.rates] == ["ywtb_rate", "ywtb_handle", "ywtb_rate",
                                                                    "ywtb_rate", "ywtb_sign", "ywtb_rerate"]
