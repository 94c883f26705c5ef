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
