"""The OpenAPI part for user administration: paths, response schemas and request bodies."""
from __future__ import annotations

from typing import Any

from engine.accounts import MAX_DISPLAY_NAME, MAX_PASSWORD, MAX_TOKEN_LABEL, MIN_PASSWORD, USERNAME_PATTERN
from engine.user_admin import DEFAULT_TOKEN_DAYS, MAX_PAGE, MAX_SEATS, MAX_TOKEN_DAYS
from web.api.openapi_parts import PROBLEM, json_body, json_response, list_of, operation, page_of, path_id, ref
from web.query import ROLE_CODE, ChoiceParam, RoleParam, TextParam, paging

# The user list's query parameters (here, not in web.api.admin: the bodies below are imported before the routes).
TEXT = TextParam("q", "Part of the login or display name.", max_length=64)
DEPARTMENT = TextParam("department", "Only users with a seat in this unit (code).", max_length=32)
ROLE = RoleParam("role", "Only users with a seat in this role (a role code the organisation declares).", max_length=64)
ACTIVE = ChoiceParam("active", "Only active (true) or deactivated (false) users.", choices=("true", "false"))
LIMIT, OFFSET = paging(MAX_PAGE)
LIST_PARAMS = [TEXT, DEPARTMENT, ROLE, ACTIVE, LIMIT, OFFSET]

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_USERNAME = {"type": "string", "pattern": f"^{USERNAME_PATTERN}$", "minLength": 2, "maxLength": 64}
_ROLE = {"type": "string", "pattern": ROLE_CODE.pattern,
         "description": "A role code, as the organisation data declares it (GET /api/v1/roles lists them)."}
_SEAT = {"type": "object", "required": ["department", "role"], "additionalProperties": False, "properties": {
    "department": {"type": "string", "minLength": 1, "maxLength": 32, "description": "Unit code, e.g. CGW."},
    "role": _ROLE}}

# Request bodies of this area, by component name (validated by web.api.params.json_object).
BODIES: dict[str, dict[str, Any]] = {
    "CreateUserRequest": {"type": "object", "required": ["username"], "additionalProperties": False, "properties": {
        "username": _USERNAME,
        "display_name": {"type": "string", "maxLength": MAX_DISPLAY_NAME},
        "password": {"type": "string", "minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD,
                     "description": "Omit it to have one generated; the answer shows it once."},
        "seats": {"type": "array", "maxItems": MAX_SEATS, "items": _SEAT}}},
    "UpdateUserRequest": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
        "display_name": {"type": "string", "maxLength": MAX_DISPLAY_NAME},
        "active": {"type": "boolean", "description": "false: no sign-in, sessions end, tokens are refused."}}},
    "SeatRequest": _SEAT,
    "TokenRequest": {"type": "object", "additionalProperties": False, "properties": {
        "label": {"type": "string", "maxLength": MAX_TOKEN_LABEL, "description": "What the token is for."},
        "days": {"type": "integer", "minimum": 1, "maximum": MAX_TOKEN_DAYS, "default": DEFAULT_TOKEN_DAYS}}},
}

_NAME = {"name": "username", "in": "path", "required": True, "description": "Login name.", "schema": _USERNAME}
_TOKEN_ID = path_id("token_id", "Token id.")
_ADMIN_ONLY = {"403": PROBLEM}
_TAG = "users"


def paths() -> dict[str, Any]:
    """Users, seats and tokens for administrators."""
    user = json_response(ref("UserDetail"), "The user.")
    return {
        "/users": {
            "get": operation("Users, filtered and paged (administrators)", {
                "200": json_response(page_of(ref("UserSummary")) | {"properties": {
                    **page_of(ref("UserSummary"))["properties"], "total": {"type": "integer"}}}, "One page."),
                **_ADMIN_ONLY}, tag=_TAG, query=LIST_PARAMS),
            "post": operation("Add a user with seats; a generated password is returned once", {
                "201": json_response(ref("NewUser"), "The new user."), **_ADMIN_ONLY, "409": PROBLEM},
                tag=_TAG, body=json_body("CreateUserRequest")),
        },
        "/users/{username}": {
            "get": operation("A user with seats, sessions, tokens and account history", {
                "200": user, **_ADMIN_ONLY}, tag=_TAG, path=[_NAME]),
            "patch": operation("Change the display name, activate or deactivate", {
                "200": user, **_ADMIN_ONLY, "409": PROBLEM}, tag=_TAG, path=[_NAME],
                body=json_body("UpdateUserRequest")),
        },
        "/users/{username}/seats": {
            "post": operation("Give a seat (unit and role; the role must fit the unit)", {
                "201": user, **_ADMIN_ONLY, "409": PROBLEM}, tag=_TAG, path=[_NAME], body=json_body("SeatRequest")),
            "delete": operation("Take a seat (never the last active administrator seat)", {
                "200": user, **_ADMIN_ONLY, "409": PROBLEM}, tag=_TAG, path=[_NAME], body=json_body("SeatRequest")),
        },
        "/users/{username}/password": {"post": operation(
            "Reset the password to a generated one (shown once) and end every session", {
                "200": json_response(ref("PasswordReset"), "The new password."), **_ADMIN_ONLY},
            tag=_TAG, path=[_NAME])},
        "/users/{username}/tokens": {
            "get": operation("The user's API tokens (never their secrets)", {
                "200": json_response(list_of(ref("TokenInfo")), "Tokens, newest first."), **_ADMIN_ONLY},
                tag=_TAG, path=[_NAME]),
            "post": operation("Issue an API token (the secret is returned once)", {
                "201": json_response(ref("NewToken"), "The token."), **_ADMIN_ONLY},
                tag=_TAG, path=[_NAME], body=json_body("TokenRequest", required=False)),
        },
        "/users/{username}/tokens/{token_id}": {"delete": operation("Withdraw one API token", {
            "204": {"description": "Withdrawn."}, **_ADMIN_ONLY}, tag=_TAG, path=[_NAME, _TOKEN_ID])},
        "/users/{username}/revoke": {"post": operation("Withdraw every API token and end every session", {
            "200": json_response(ref("AccessRevoked"), "What was withdrawn."), **_ADMIN_ONLY},
            tag=_TAG, path=[_NAME])},
    }


def schemas() -> dict[str, Any]:
    """Response schemas of this area, by component name."""
    seat = {"type": "object", "properties": {"department": _STR, "department_name": _STR, "kind": _STR,
                                             "role": _STR, "role_label": _STR}}
    summary = {"username": _STR, "display_name": _STR, "active": {"type": "boolean"}, "created_at": _INSTANT,
               "seats": {"type": "array", "items": seat}, "live_sessions": {"type": "integer"},
               "last_seen_at": _INSTANT, "tokens": {"type": "integer"}}
    token = {"id": {"type": "integer"}, "label": _STR, "created_at": _INSTANT, "expires_at": _INSTANT}
    return {
        "UserSummary": {"type": "object", "required": ["username", "active", "seats"], "properties": summary},
        "UserDetail": {"type": "object", "required": ["username", "active", "seats", "history"], "properties": {
            **summary, "token_list": {"type": "array", "items": ref("TokenInfo")},
            "history": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "action": _STR, "at": _INSTANT, "actor": _NSTR, "actor_name": _NSTR,
                "payload": {"type": "object"}}}}}},
        "NewUser": {"type": "object", "required": ["username", "password"], "properties": {
            **summary, "password": {**_NSTR, "description": "The generated password (null when one was sent); "
                                                            "shown only in this answer."}}},
        "PasswordReset": {"type": "object", "required": ["password"], "properties": {
            "password": {**_STR, "description": "Shown only in this answer."}, "sessions_ended": {"type": "integer"}}},
        "TokenInfo": {"type": "object", "required": ["id", "label"], "properties": {
            **token, "expired": {"type": "boolean"}}},
        "NewToken": {"type": "object", "required": ["id", "token"], "properties": {
            **token, "token": {**_STR, "description": "The bearer token; shown only in this answer."}}},
        "AccessRevoked": {"type": "object", "properties": {"tokens": {"type": "integer"},
                                                           "sessions_ended": {"type": "integer"}}},
    }
