"""Schemathesis over every API operation: the served OpenAPI document tells the truth.

In process against the WSGI app, with a valid token, every check Schemathesis has:
server errors, undocumented statuses and content types, response schemas, schema-valid
requests refused and schema-violating requests accepted. Each operation gets a few
positive and negative examples from a fixed seed, so the run is the same every time and
takes seconds. A busy district (a running whistle) makes the lists non-empty.
"""
from __future__ import annotations

import zlib
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.support import WHISTLE_DATA, Flow
from tests.web.conftest import Api

EXAMPLES = 8
# A schema-valid body can still break a rule of the domain the schema cannot say (a form's
# required fields, a BPMN file that does not validate, a reason of blanks): those are 422s,
# documented on every operation that takes a body. The public posts that take a phone number are
# rate limited per address (429, documented on them): a run's examples outnumber the limit.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


def _schema(app: Flask) -> Any:
    config = SchemathesisConfig.from_dict({"checks": {
        "enabled": True, "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}}})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


def test_every_operation_keeps_to_the_document(app: Flask, api: Api, flow: Flow) -> None:
    flow.deploy()
    flow.deploy_policy()
    flow.start("whistle", {**WHISTLE_DATA, "departments": ["CGW", "ZJW"]}, as_="HP.officer")
    headers = {"Authorization": f"Bearer {api.token('admin')}"}
    schema = _schema(app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    described = {f"{method.upper()} {path}" for path, item in schema.raw_schema["paths"].items() for method in item}
    # Schemathesis leaves out the operation that serves the document it was loaded from.
    assert {o.label for o in operations} == described - {"GET /openapi.json"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, headers, failures)
    assert not failures, f"{len(failures)} operations broke the document:\n" + "\n\n".join(failures)


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str], failures: list[str]) -> None:
    label = f"{operation.label} ({mode.value})"

    @seed(zlib.crc32(label.encode()))
    @settings(max_examples=EXAMPLES, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers)

    try:
        check()
    except Unsatisfiable:  # nothing to violate: an operation without parameters, body or token (GET /health)
        if mode is GenerationMode.POSITIVE:
            raise
    except (Exception, BaseExceptionGroup) as error:  # every operation is checked; all failures reported together
        failures.append(f"{label}: {error}"[:2000])
