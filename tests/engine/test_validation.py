"""validate_bundle over the hostile and broken corpus: every problem located, nothing read, nothing run."""
from __future__ import annotations

import re
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engine.bpmn_xml import MAX_BPMN_BYTES
from engine.definitions import bundle_from_path
from engine.errors import DefinitionInvalid, Problem
from engine.expressions import Evaluator
from engine.validation import Bundle, ValidatedBundle
from tests.organisation import demo_view, validate_demo
from tests.support import FIXTURES, WHISTLE_PACK

CORPUS = FIXTURES / "bpmn"
SECRET = "WHISTLE-SENTINEL-7c1e9b-do-not-leak"
DTD = "DTDs and entity declarations are not allowed"


@dataclass(frozen=True)
class Expect:
    """One problem a fixture must produce."""

    element: str | None  # the offending element's id; None when the file as a whole is wrong
    fragment: str  # part of the message that says what is wrong
    line: str | int | None = "id"  # "id": line of id="element"; other text: line where it occurs; int; None
    file: str | None = None  # a form file, relative to the fixture's folder; None: the BPMN file


EXPECTED: dict[str, list[Expect]] = {
    "hostile/xxe_file.bpmn": [Expect(None, DTD, "<!DOCTYPE")],
    "hostile/xxe_http.bpmn": [Expect(None, DTD, "<!DOCTYPE")],
    "hostile/billion_laughs.bpmn": [Expect(None, DTD, "<!DOCTYPE")],
    "hostile/quadratic_blowup.bpmn": [Expect(None, DTD, "<!DOCTYPE")],
    "hostile/parameter_entities.bpmn": [Expect(None, DTD, "<!DOCTYPE")],
    "hostile/utf16_doctype.bpmn": [Expect(None, DTD, "<!DOCTYPE")],
    "hostile/xinclude.bpmn": [
        Expect("Task_handle", "XInclude (include) is not allowed", '<xi:include href="file://'),
        Expect("Task_handle", "XInclude (include) is not allowed", '<xi:include href="http://'),
    ],
    "hostile/schema_location.bpmn": [Expect("Task_extra", "Element 'bpmn:unknownTask': This element is not expected")],
    "hostile/expr_subclasses.bpmn": [Expect("Flow_yes", "refused: attribute .__subclasses__ is not allowed")],
    "hostile/expr_import.bpmn": [Expect("Flow_yes", "refused: unknown function __import__")],
    "hostile/expr_power.bpmn": [Expect("Flow_yes", "10**10**10 > 1 refused: the power is too large")],
    "hostile/expr_repeat.bpmn": [Expect("Flow_yes", "refused: the repeated sequence is too long")],
    "hostile/expr_lambda.bpmn": [Expect("Flow_yes", "refused: Lambda is not allowed in expressions")],
    "hostile/expr_comprehension.bpmn": [Expect("Flow_yes", "refused: ListComp is not allowed in expressions")],
    "hostile/timer_import.bpmn": [Expect("Timer_deadline", "timer __import__('os').getenv('HOME') refused")],
    "hostile/timer_subclasses.bpmn": [Expect("Timer_deadline", "refused: attribute .__subclasses__ is not allowed")],
    "hostile/mi_cardinality.bpmn": [Expect("Task_handle",
                                           "loopCardinality 10**10**10 refused: the power is too large")],
    "hostile/mi_completion.bpmn": [Expect("Task_handle", "completionCondition any(__import__('os').system(c) "
                                                         "for c in departments) refused: GeneratorExp is not allowed")],
    "hostile/assign_expression.bpmn": [Expect("Task_handle", "assignment expression ().__class__.__mro__[1]"
                                                             ".__subclasses__()[0]: unexpected character '.' at 3")],
    "hostile/recursive_call.bpmn": [Expect("Call_self", "calling rec_child leads back to rec_child: recursive calls")],
    "broken/not_xml.bpmn": [Expect(None, "not well-formed XML", 1)],
    "broken/empty.bpmn": [Expect(None, "file is empty", 1)],
    "broken/truncated.bpmn": [Expect(None, "not well-formed XML", "<bpmn:incoming>Flow_1")],
    "broken/wrong_root.bpmn": [Expect(None, "not a BPMN 2.0 file: the root element is svg", "<svg")],
    "broken/wrong_namespace.bpmn": [Expect(None, "root element is definitions, expected definitions in the BPMN 2.0 "
                                                 "model namespace", "<definitions")],
    "broken/dangling_ref.bpmn": [
        Expect("Flow_2", "targetRef End_missing does not exist in this process"),
        Expect("Flow_ghost", "sourceRef Task_ghost does not exist in this process"),
    ],
    "broken/dangling_default_attached.bpmn": [
        Expect("Gateway_check", "default Flow_nowhere does not exist in this process"),
        Expect("Timer_orphan", "attachedToRef Task_gone does not exist in this process"),
    ],
    "broken/duplicate_ids.bpmn": [Expect("Task_handle", "id Task_handle is used twice (first on line 21)",
                                         'id="Task_handle" name="再处置"')],
    "broken/reserved_id.bpmn": [Expect("Start", "id Start is reserved by the engine")],
    "broken/unknown_role_lane.bpmn": [Expect("Lane_dept", "lane 清洁工 names no known role")],
    "broken/task_outside_lane.bpmn": [Expect("Task_handle", "human task is in no lane")],
    "broken/missing_form.bpmn": [Expect("Task_handle", "form no_such_form not found")],
    "broken/form_invalid_json.bpmn": [
        Expect("Task_handle", "form broken_json is not usable"),
        Expect(None, "not valid JSON", 4, file="forms/broken_json.json"),
    ],
    "broken/form_invalid_schema.bpmn": [
        Expect("Task_handle", "form broken_schema is not usable"),
        Expect("properties/result/type", "invalid JSON Schema: 'text' is not valid", None,
               file="forms/broken_schema.json"),
    ],
    "broken/call_missing.bpmn": [Expect("Call_missing", "called process no_such_process is not in this file")],
    "broken/two_top_processes.bpmn": [Expect(None, "several top-level processes (first_process, second_process)",
                                             "<bpmn:definitions")],
    "broken/process_without_id.bpmn": [Expect(None, "process has no id", '<bpmn:process name="无编号流程"')],
    "broken/no_executable.bpmn": [Expect("test_case", 'process is not executable: set isExecutable="true"')],
    "broken/no_process.bpmn": [Expect(None, "the file contains no process", "<bpmn:definitions")],
    "broken/complex_gateway.bpmn": [Expect("Gateway_complex", "complex gateways are not supported")],
    "broken/business_rule_task.bpmn": [
        Expect("Task_rule", "a business rule task names its decision (camunda:decisionRef)")],
    "broken/service_task.bpmn": [Expect("Task_service", "service tasks are not supported")],
    "broken/compensation.bpmn": [
        Expect("Boundary_compensate", "compensation is not supported"),
        Expect("Task_undo", "compensation is not supported"),
    ],
    "broken/link_event.bpmn": [
        Expect("Link_throw", "link events are not supported"),
        Expect("Link_catch", "link events are not supported"),
    ],
    "broken/script_task.bpmn": [Expect("Task_script", "script tasks are refused on this server")],
    "broken/mi_item_without_id.bpmn": [Expect("Task_handle", "inputDataItem has no id",
                                              '<bpmn:inputDataItem name="department" />')],
}


class _Trap(ThreadingHTTPServer):
    """A local HTTP server that records every connection made to it."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.hits: list[Any] = []

    def finish_request(self, request: Any, client_address: Any) -> None:
        self.hits.append(client_address)
        super().finish_request(request, client_address)

    @property
    def url(self) -> str:
        """The base URL the placeholders point at."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"<leak>{SECRET}</leak>".encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def trap() -> Iterator[_Trap]:
    """A listening HTTP trap for the whole module."""
    server = _Trap()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, trap: _Trap) -> Path:
    """The hostile and broken folders with placeholders pointing at a real secret file and the trap."""
    demo_view()  # read the demo organisation now, outside the bounded checks
    root = tmp_path_factory.mktemp("corpus")
    secret = root / "secret.txt"
    secret.write_text(SECRET)
    for folder in ("hostile", "broken"):
        shutil.copytree(CORPUS / folder, root / folder)
        for path in (root / folder).glob("*.bpmn"):
            materialise(path, secret, trap.url)
    return root


def materialise(path: Path, secret: Path, url: str) -> None:
    """Replace the placeholders in a fixture, keeping its encoding (UTF-16 files have a BOM)."""
    raw = path.read_bytes()
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8"
    text = raw.decode(encoding)
    path.write_bytes(text.replace("@SECRET_PATH@", str(secret)).replace("@HTTP_URL@", url).encode(encoding))


def problems_of(path: Path, *, allow_script_tasks: bool = False) -> list[Problem]:
    """The problems validate_bundle reports for a fixture (failing if it passes)."""
    with pytest.raises(DefinitionInvalid) as caught:
        validate_demo(bundle_from_path(path), Evaluator(), allow_script_tasks=allow_script_tasks)
    return caught.value.problems


# A deterministic bound on the work of refusing one fixture, in profiler events (Python and C
# calls and returns), instead of a wall-clock limit that flakes on a busy machine. The costliest
# fixture takes about 4,000 today (validating all of whistle.bpmn about 120,000); a validator
# that re-walks the document once per element takes about 25,000 on these small files.
PARSE_CALL_BUDGET = 20_000


@contextmanager
def call_budget(events: int) -> Iterator[None]:
    """Fail (and stop the work) once the code inside has made more than ``events`` calls and returns."""
    spent = 0

    def count(_frame: Any, _event: str, _arg: Any) -> None:
        nonlocal spent
        spent += 1
        if spent > events:
            sys.setprofile(None)
            raise AssertionError(f"more than {events} calls: refusing this input is not bounded")

    sys.setprofile(count)
    try:
        yield
    finally:
        sys.setprofile(None)
    # In case the code under test caught the AssertionError and carried on.
    assert spent <= events, f"more than {events} calls: refusing this input is not bounded"


def expected_line(path: Path, expect: Expect) -> int | None:
    """The line an expected problem must carry."""
    if expect.line is None or isinstance(expect.line, int):
        return expect.line
    raw = path.read_bytes()
    text = raw.decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8")
    anchor = f'id="{expect.element}"' if expect.line == "id" else expect.line
    assert anchor in text, f"{anchor} not in {path.name}"
    return text[: text.index(anchor)].count("\n") + 1


def test_every_fixture_has_expectations() -> None:
    """A new fixture without expectations would test nothing."""
    found = {f"{p.parent.name}/{p.name}" for folder in ("hostile", "broken") for p in (CORPUS / folder).glob("*.bpmn")}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_is_refused_with_located_problems(name: str, corpus: Path, trap: _Trap) -> None:
    """Each fixture yields its problems: right file, line, element and message; nothing else is blamed."""
    path = corpus / name
    with call_budget(PARSE_CALL_BUDGET):
        problems = problems_of(path)
    for expect in EXPECTED[name]:
        file = path.parent / expect.file if expect.file else path
        line = expected_line(file, expect)
        matching = [p for p in problems if Path(p.file) == file and p.element == expect.element
                    and expect.fragment in p.message]
        assert matching, f"no problem {expect} among {[str(p) for p in problems]}"
        assert any(p.line == line for p in matching), f"expected line {line}: {[str(p) for p in matching]}"
    blamed = {p.element for p in problems} - {None}
    assert blamed <= {e.element for e in EXPECTED[name]}, [str(p) for p in problems]
    assert not any(SECRET in str(p) for p in problems)
    assert trap.hits == []


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    """A huge upload (here a billion-laughs DTD padded past the limit) is refused on its size alone."""
    head = b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "aaaa">]>\n<bpmn:definitions><!-- '
    data = head + b"x" * (MAX_BPMN_BYTES - len(head)) + b" -->\n</bpmn:definitions>\n"
    assert len(data) > MAX_BPMN_BYTES
    path = tmp_path / "huge.bpmn"
    path.write_bytes(data)
    (problem,) = problems_of(path)
    assert (problem.file, problem.line, problem.element) == (str(path), None, None)
    assert "file is larger than 5 MB" in problem.message


def test_file_at_the_size_limit_is_parsed(tmp_path: Path) -> None:
    """The limit is not off by one: a file of exactly the limit gets past the size check."""
    valid = (CORPUS / "valid" / "timer_escalation.bpmn").read_bytes()
    padding = MAX_BPMN_BYTES - len(valid) - len(b"<!--  -->\n")
    data = valid + b"<!-- " + b"x" * padding + b" -->\n"
    assert len(data) == MAX_BPMN_BYTES
    checked = validate_demo(Bundle("big.bpmn", data, forms=_valid_forms()), Evaluator())
    assert checked.key == "timer_escalation"


def _valid_forms() -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in (CORPUS / "valid" / "forms").glob("*.json")}


def test_script_task_passes_when_script_tasks_are_allowed() -> None:
    """The same script task is fine on a server that allows scripts: its lines are name = expression."""
    checked = validate_demo(bundle_from_path(CORPUS / "broken" / "script_task.bpmn"), Evaluator(),
                              allow_script_tasks=True)
    assert checked.key == "scripted"
    assert checked.catalog["elements"]["Start_case"]["role"] == "street_officer"


@pytest.mark.parametrize("script,fragment", [
    ("import os", "line 1: only 'name = expression' lines are allowed"),
    ("total = 1\nos.system('id')", "line 2: only 'name = expression' lines are allowed"),
    ("for i in range(3): total = i", "line 1: only 'name = expression' lines are allowed"),
    ("total == 3", "line 1: only 'name = expression' lines are allowed"),
    ("def f(): return 1", "line 1: only 'name = expression' lines are allowed"),
    ("total = __import__('os')", "unknown function __import__"),
    ("total = ().__class__.__base__.__subclasses__()", "attribute .__subclasses__ is not allowed"),
    ("total = 10**10**10", "the power is too large"),
    ("total = (lambda: 1)()", "only named functions may be called"),
    ("total = 1; import os", "does not parse"),
])
def test_script_lines_other_than_assignments_are_refused(script: str, fragment: str, tmp_path: Path) -> None:
    """With scripts allowed, anything but ``name = safe expression`` lines is still refused, on the task."""
    source = (CORPUS / "broken" / "script_task.bpmn").read_text(encoding="utf-8")
    body = re.search(r"<bpmn:script>(.*?)</bpmn:script>", source, re.DOTALL)
    assert body is not None
    escaped = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    path = tmp_path / "script.bpmn"
    path.write_text(source.replace(body.group(1), escaped), encoding="utf-8")
    problems = problems_of(path, allow_script_tasks=True)
    assert [(p.element, p.line) for p in problems] == [("Task_script", expected_line(path, Expect("Task_script", "")))]
    assert "script refused: " in problems[0].message and fragment in problems[0].message


def test_the_whistle_process_validates() -> None:
    """processes/whistle/whistle.bpmn with its forms passes every check."""
    checked = validate_demo(bundle_from_path(WHISTLE_PACK / "whistle.bpmn"), Evaluator())
    assert (checked.key, checked.name) == ("whistle", "街乡吹哨、部门报到")
    assert checked.catalog["start"] == {"element": "Start_whistle", "form": "whistle_start", "role": "street_officer",
                                       "assign": None}
    assert set(checked.forms) == {"whistle_start", "whistle_sign", "whistle_reassign", "whistle_report_in",
                                  "whistle_handle", "whistle_verify", "whistle_rate"}


def test_bare_iso_timer_literal_validates() -> None:
    """``<bpmn:timeDuration>PT2H</bpmn:timeDuration>``, as modelers write it, is accepted."""
    path = CORPUS / "valid" / "timer_escalation.bpmn"
    assert "<bpmn:timeDuration>PT2H</bpmn:timeDuration>" in path.read_text(encoding="utf-8")
    checked: ValidatedBundle = validate_demo(bundle_from_path(path), Evaluator())
    assert checked.key == "timer_escalation"
    elements = checked.catalog["elements"]
    assert (elements["Task_handle"]["role"], elements["Task_urge"]["role"]) == ("dept_staff", "street_officer")


@pytest.mark.parametrize("value", ["PT2H", "P1DT2H30M", "R3/PT1H", "2026-10-01T09:00:00+08:00", "'PT2H'",
                                   "${deadline}"])
def test_timer_values_that_are_accepted(value: str) -> None:
    """ISO 8601 literals, quoted strings and variables are valid timer values."""
    checked = validate_demo(_timer_bundle(value), Evaluator())
    assert checked.key == "timer_escalation"


@pytest.mark.parametrize("value,fragment", [
    ("2026-13-45T09:00:00Z", "2026-13-45T09:00:00Z is not an ISO 8601 date, duration or cycle"),
    ("", "timer has no value"),
    ("PT2H)", "does not parse"),
    ("__import__('os')", "unknown function __import__"),
])
def test_timer_values_that_are_refused(value: str, fragment: str) -> None:
    """Bad literals and unsafe expressions are reported on the timer event."""
    with pytest.raises(DefinitionInvalid) as caught:
        validate_demo(_timer_bundle(value), Evaluator())
    (problem,) = caught.value.problems
    assert problem.element == "Timer_2h" and fragment in problem.message
    assert problem.line == expected_line(CORPUS / "valid" / "timer_escalation.bpmn", Expect("Timer_2h", ""))


def _timer_bundle(value: str) -> Bundle:
    source = (CORPUS / "valid" / "timer_escalation.bpmn").read_text(encoding="utf-8")
    assert source.count(">PT2H<") == 1
    return Bundle("timer.bpmn", source.replace(">PT2H<", f">{value}<").encode(), forms=_valid_forms())
