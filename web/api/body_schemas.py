"""Request body schemas of the API, by component name, one dict per area so areas grow apart."""
from __future__ import annotations

from typing import Any

from web.api.openapi_admin import BODIES as ADMIN
from web.api.openapi_collaboration import BODIES as COLLABORATION
from web.api.openapi_operate import BODIES as OPERATE
from web.api.openapi_public import BODIES as PUBLIC
from web.api.openapi_queries import BODIES as QUERIES
from web.api.openapi_repair import BODIES as REPAIR
from web.api.openapi_work import BODIES as WORK

CORE: dict[str, dict[str, Any]] = {
    "StartRequest": {"type": "object", "required": ["process"], "properties": {
        "process": {"type": "string", "minLength": 1, "maxLength": 255, "description": "Process key, e.g. whistle."},
        "data": {"type": "object", "description": "Start form data."},
        "business_key": {"type": "string", "maxLength": 128},
        "linked_from": {"type": "integer", "minimum": 1, "maximum": 2**53,
                        "description": "The case this one is started from; one of its open steps must offer "
                        "the process (extension property links)."},
        "confirmed": {"type": "boolean", "description": "Start it although a rule suspects a mistake (a "
                      "suspected duplicate answers 422 needs_confirmation listing the earlier cases)."}}},
    "MergeRequest": {"type": "object", "required": ["data"], "properties": {
        "data": {"type": "object", "description": "The request's answers to the case's start form."}}},
    "MessageRequest": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255}, "payload": {"type": "object"}}},
    "CancelRequest": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "minLength": 2, "maxLength": 500,
                   "description": "Why the case is withdrawn; everyone taking part reads it."}}},
    "CompleteRequest": {"type": "object", "properties": {"data": {"type": "object"}}},
    "ExtensionRequest": {"type": "object", "required": ["clock", "extension", "reason"], "properties": {
        "clock": {"enum": ["report_in", "complete"]},
        "extension": {"type": "string", "minLength": 1, "maxLength": 32, "examples": ["2wd"]},
        "reason": {"type": "string", "minLength": 2, "maxLength": 1000}}},
    "DecisionRequest": {"type": "object", "properties": {"note": {"type": "string", "maxLength": 1000}}},
}


ALL: dict[str, dict[str, Any]] = {**CORE, **OPERATE, **WORK, **COLLABORATION, **QUERIES, **ADMIN, **REPAIR, **PUBLIC}
