"""The OpenAPI document describes exactly the routes the app serves."""
from __future__ import annotations

import re

from flask import Flask
from openapi_spec_validator import validate

from tests.web.conftest import Api


def _served(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    return routes


def test_document_is_valid_openapi(api: Api) -> None:
    response = api.call(None, "GET", "/openapi.json")
    assert response.status_code == 200
    validate(response.get_json())


def test_document_matches_the_routes(app: Flask, api: Api) -> None:
    document = api.call(None, "GET", "/openapi.json").get_json()
    described = {(method, path) for path, item in document["paths"].items() for method in item}
    assert described == _served(app)


def test_every_path_parameter_is_declared(api: Api) -> None:
    document = api.call(None, "GET", "/openapi.json").get_json()
    for path, item in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, path


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_every_operation_documents_what_its_inputs_can_produce(api: Api) -> None:
    document = api.call(None, "GET", "/openapi.json").get_json()
    for method, path, op in _operations(document):
        documented = set(op["responses"])
        assert {"400", "414", "422"} <= documented, \
            f"{method} {path}: unknown query parameters, long addresses and bad characters, everywhere"
        if op.get("security") != []:
            assert "401" in documented, f"{method} {path}"
        if "{" in path:
            assert "404" in documented, f"{method} {path}"
        if "requestBody" in op:
            assert {"400", "413", "415"} <= documented, f"{method} {path}"


def test_documented_query_ranges_are_the_enforced_ranges(api: Api) -> None:
    document = api.call(None, "GET", "/openapi.json").get_json()
    checked = 0
    for method, path, op in _operations(document):
        if method != "get" or "{" in path:
            continue
        for param in op.get("parameters", []):
            schema = param["schema"]
            if param["in"] != "query" or schema.get("type") != "integer":
                continue
            assert {"minimum", "maximum"} <= set(schema), f"{path}?{param['name']}: the document states no range"
            name, low, high = param["name"], schema["minimum"], schema["maximum"]
            for inside in (low, high):
                response = api.call("admin", "GET", f"{path}?{name}={inside}")
                assert response.status_code == 200, f"{path}?{name}={inside}: {response.get_json()}"
            for outside in (low - 1, high + 1):
                response = api.call("admin", "GET", f"{path}?{name}={outside}")
                assert response.status_code in (400, 404), f"{path}?{name}={outside} was accepted"
                assert str(response.status_code) in op["responses"], f"{path}: {response.status_code} undocumented"
            checked += 1
    assert checked >= 10  # limit, offset, level, instance on the lists
