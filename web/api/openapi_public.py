"""The OpenAPI part for the public routes (no token): paths, response schemas and request bodies."""
from __future__ import annotations

from typing import Any

from engine.public_channels import MAX_ASKS
from engine.public_demands import CODE_LENGTH
from web.api.openapi_parts import PROBLEM, json_body, json_response, list_of, operation, path_id, ref
from web.public.statistics import BY
from web.supervise.ranking import MONTH, PROCESS

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_PERCENT = {"type": ["number", "null"]}
_TRACKING = {
    "code": {"type": "string", "minLength": 1, "maxLength": CODE_LENGTH + 4,
             "description": "The tracking number (受理编号) the resident was given."},
    "phone": {"type": "string", "minLength": 1, "maxLength": 30,
              "description": "The phone number given with the demand (spaces and dashes are ignored)."},
}

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {
    "PublicTracking": {"type": "object", "required": ["code", "phone"], "additionalProperties": False,
                       "properties": _TRACKING},
    "PublicRating": {"type": "object", "required": ["code", "phone", "rating"], "additionalProperties": False,
                     "properties": {**_TRACKING,
                                    "rating": {"type": ["integer", "string"], "maxLength": 32,
                                               "minimum": -1000, "maximum": 1000,
                                               "description": "One of the rating step's choices (its form)."},
                                    "comment": {"type": "string", "maxLength": 1000},
                                    "answers": {"type": "object", "maxProperties": MAX_ASKS,
                                                "additionalProperties": {"type": ["string", "integer", "boolean"],
                                                                         "maxLength": 200},
                                                "description": "The channel's other questions of the rating "
                                                               "form (public.yaml asks), such as solved."}}},
}
_LIMITED = {"429": PROBLEM}  # per address, as the public site's posts


def paths() -> dict[str, Any]:
    """The public site's figures, proposals and a demand's progress."""
    return {
        "/public/statistics": {"get": operation(
            "网上监督: a month's public figures and latest cases, without personal data",
            {"200": json_response(ref("PublicMonth"), "The month (process null when no policy declares rates)."),
             "404": PROBLEM}, tag="public", query=[PROCESS, MONTH, BY], public=True)},
        "/public/proposals": {"get": operation(
            "议事协商: the newest proposals", {"200": json_response(list_of(ref("PublicProposalRow")), "Proposals."),
                                          "404": PROBLEM}, tag="public", public=True)},
        "/public/proposals/{instance_id}": {"get": operation(
            "One proposal with its tally, comments (no names), decision and progress",
            {"200": json_response(ref("PublicProposal"), "The proposal.")}, tag="public",
            path=[path_id("instance_id", "The proposal's case id.")], public=True)},
        "/public/demands/progress": {"post": operation(
            "A demand's progress, for its tracking number and phone number (rate limited)",
            {"200": json_response(ref("PublicProgress"), "The progress."), "404": PROBLEM, **_LIMITED},
            tag="public", body=json_body("PublicTracking"), public=True)},
        "/public/demands/rating": {"post": operation(
            "Rate the answer to a demand (好差评; while its rating step is open, rate limited)",
            {"200": json_response(ref("PublicProgress"), "The progress after the rating."), "404": PROBLEM,
             "409": PROBLEM, "503": PROBLEM, **_LIMITED}, tag="public", body=json_body("PublicRating"), public=True)},
    }


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    cell = {"type": "object", "properties": {"percent": _PERCENT, "hits": {"type": "integer"},
                                             "of": {"type": "integer"}}}
    line = {"type": "object", "required": ["code", "cells"], "properties": {
        "rank": {"type": ["integer", "null"]}, "code": _STR, "name": _NSTR, "answers": {"type": "integer"},
        "counted": {"type": "integer"}, "score": _PERCENT, "cells": {"type": "array", "items": cell}}}
    area = {"type": "object", "properties": {"code": _STR, "name": _STR, "percent": _PERCENT, "band": _STR,
                                             "communities": {"type": "array", "items": _STR}}}
    case = {"type": "object", "properties": {"number": {"type": "integer"}, "started": _STR, "status": _STR,
                                             "label": _NSTR, "street": _NSTR, "community": _NSTR}}
    labelled = {"type": "object", "properties": {"label": _STR, "value": _STR}}
    return {
        "PublicMonth": {"type": "object", "required": ["process", "processes"], "properties": {
            "process": _NSTR, "month": _STR,
            "processes": {"type": "array", "items": {"type": "object", "properties": {"key": _STR, "name": _STR}}},
            "rates": {"type": "array", "items": {"type": "object", "properties": {"code": _STR, "label": _STR}}},
            "units": {"type": "array", "items": line}, "areas": {"type": "array", "items": line},
            "areas_label": _STR,
            "overdue": {"type": "array", "items": {"type": "object", "properties": {
                "unit": _STR, "name": _STR, "count": {"type": "integer"}}}},
            "checked_at": _INSTANT,
            "trend": {"type": "object", "properties": {
                "field": _NSTR, "title": _NSTR, "months": {"type": "array", "items": _STR},
                "series": {"type": "array", "items": {"type": "object", "properties": {
                    "name": _STR, "values": {"type": "array", "items": {"type": "integer"}}}}}}},
            "districts": {"type": "array", "items": {"type": "object", "properties": {
                "name": _STR, "cells": {"type": "array", "items": area}}}},
            "cases": {"type": "array", "items": case}}},
        "PublicProposalRow": {"type": "object", "required": ["id", "title"], "properties": {
            "id": {"type": "integer"}, "title": _STR, "community": _STR, "started": _INSTANT, "status": _STR}},
        "PublicProposal": {"type": "object", "required": ["id", "title", "tally"], "properties": {
            "id": {"type": "integer"}, "title": _STR, "body": _STR, "community": _STR, "community_name": _STR,
            "started": _INSTANT, "status": _STR, "open": {"type": "boolean"}, "closes_at": _INSTANT,
            "tally": {"type": "array", "items": {"type": "object", "properties": {
                "value": _STR, "label": _STR, "count": {"type": "integer"}}}},
            "comments": {"type": "array", "items": {"type": "object", "properties": {"at": _INSTANT,
                                                                                    "body": _STR}}},
            "decision": {"type": "array", "items": labelled},
            "progress": {"type": "array", "items": {"type": "object", "properties": {"at": _INSTANT,
                                                                                    "note": _STR}}}}},
        "PublicProgress": {"type": "object", "required": ["code", "status", "steps"], "properties": {
            "code": _STR, "status": _STR, "started": _INSTANT, "finished": _INSTANT,
            "shown": {"type": "array", "items": labelled},
            "steps": {"type": "array", "items": {"type": "object", "properties": {
                "name": _STR, "unit": _NSTR, "started": _INSTANT, "finished": _INSTANT}}},
            "reply": _NSTR, "rating_open": {"type": "boolean"}}},
    }
