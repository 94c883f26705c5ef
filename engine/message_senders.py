"""Who may send a message a case waits for: the ``sent_by`` property (role codes) of the events that catch it.

Without it, anyone who may read a case may deliver a message it waits for. A designer who lets a
dispatcher recall a dispatch (a message boundary on the unit's 签收) does not want the unit itself
to send it, so the catching event names the roles: ``sent_by = ops_dispatcher``. The deploy checks
the roles exist; delivery refuses everyone else (403).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.bpmn_xml import BPMN_NS, CAMUNDA_NS
from engine.errors import Problem
from engine.roles import RoleBook

PROPERTY = "sent_by"
_EVENTS = ("boundaryEvent", "intermediateCatchEvent", "startEvent", "receiveTask")


def senders(root: Any, filename: str, roles: RoleBook, problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """Message name -> ``roles`` that may send it, the ``tasks`` whose boundary catches it and the event's
    ``label`` (only messages whose catching events name senders)."""
    names = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message")}
    found: dict[str, set[str]] = {}
    tasks: dict[str, set[str]] = {}
    labels: dict[str, str] = {}
    for local in _EVENTS:
        for node in root.iter(f"{{{BPMN_NS}}}{local}"):
            value = _property(node)
            if value is None:
                continue
            codes = [c.strip() for c in value.split(",") if c.strip()][:20]
            for code in codes:
                if code not in roles:
                    problems.append(Problem(filename, node.sourceline, node.get("id"),
                                            "{property}: {role} is not a declared role", {"property": PROPERTY,
                                                                                         "role": code[:64]}))
            refs = [d.get("messageRef") for d in node.iter(f"{{{BPMN_NS}}}messageEventDefinition")]
            refs += [node.get("messageRef")] if local == "receiveTask" else []
            if not any(refs):
                problems.append(Problem(filename, node.sourceline, node.get("id"),
                                        "{property} is read on events that catch a message", {"property": PROPERTY}))
            for ref in filter(None, refs):
                name = names.get(ref) or ref
                found.setdefault(name, set()).update(codes)
                labels.setdefault(name, node.get("name") or name)
                if local == "boundaryEvent" and node.get("attachedToRef"):
                    tasks.setdefault(name, set()).add(node.get("attachedToRef"))
    return {name: {"roles": sorted(codes), "tasks": sorted(tasks.get(name, ())), "label": labels[name]}
            for name, codes in found.items()}


def allowed(catalog: Mapping[str, Any], name: str, roles: frozenset[str]) -> bool:
    """Whether a holder of ``roles`` may send message ``name`` (anyone may when no event names senders)."""
    wanted = roles_for(catalog, name)
    return not wanted or bool(roles & set(wanted))


def roles_for(catalog: Mapping[str, Any], name: str) -> list[str]:
    """The roles the catching events of ``name`` name (none: not restricted)."""
    declared = (catalog.get("message_senders") or {}).get(name)
    return list(declared.get("roles") or []) if isinstance(declared, Mapping) else []


def offered(catalog: Mapping[str, Any], open_elements: set[str], roles: frozenset[str]) -> list[tuple[str, str]]:
    """(message name, label) of the boundary messages a holder of ``roles`` may send now: those whose task is open."""
    found = []
    for name, declared in (catalog.get("message_senders") or {}).items():
        if isinstance(declared, Mapping) and roles & set(declared.get("roles") or []) \
                and open_elements & set(declared.get("tasks") or []):
            found.append((name, str(declared.get("label") or name)))
    return found


def _property(node: Any) -> str | None:
    for found in node.iterfind(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property"):
        if found.get("name") == PROPERTY:
            return found.get("value") or ""
    return None
