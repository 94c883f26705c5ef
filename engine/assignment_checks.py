"""Deploy-time checks of who gets each task: assignment expressions parse and name known kinds and units."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine import unit_expressions
from engine.bpmn_xml import NSMAP
from engine.errors import Text
from engine.organisation_view import OrganisationView
from engine.roles import Role


class AssignmentChecks:
    """Checks one diagram's ``assign`` properties and notes the case variables that name units."""

    def __init__(self, organisation: OrganisationView, problem: Callable[..., None]) -> None:
        self.organisation = organisation
        self.problem = problem  # (node, template, **params), located by the caller
        self.unit_variables: set[str] = set()

    def check(self, node: Any, text: str) -> unit_expressions.Node | None:
        """Parse an assignment expression and check the kinds and units it names; None when it is wrong."""
        try:
            parsed = unit_expressions.parse(text)
        except unit_expressions.ExpressionInvalid as error:
            self.problem(node, "assignment expression {expression}: {reason}", expression=text[:80],
                         reason=Text(error.template, error.params))
            return None
        _variables, kinds, codes = parsed.references()
        for kind in sorted(kinds - self.organisation.kinds):
            self.problem(node, "assignment expression {expression} names an unknown unit kind {kind}",
                         expression=text[:80], kind=kind)
        for code in sorted(codes - self.organisation.units):
            self.problem(node, "assignment expression {expression} names an unknown unit {code}",
                         expression=text[:80], code=code)
        return parsed

    def note(self, node: Any, role: Role, assign: str | None) -> None:
        """Record the variables a task's unit comes from; refuse a task no rule can place."""
        expression = assign or role.assign
        if expression is None:
            count = self.organisation.units_for(role)
            if count != 1:
                self.problem(node, "{role} can sit in {count} units: say which with an assignment expression "
                             "(extension property assign, e.g. {example})", role=role.label, count=count,
                             example="unit(CODE)")
            return
        try:
            variables, _kinds, _codes = unit_expressions.parse(expression).references()
        except unit_expressions.ExpressionInvalid:
            return  # reported where the expression is written
        self.unit_variables |= variables


def properties_of(node: Any) -> dict[str, str]:
    """The element's Camunda extension properties, by name."""
    return {p.get("name"): p.get("value", "")
            for p in node.findall("bpmn:extensionElements/camunda:properties/camunda:property", NSMAP)
            if p.get("name")}


def example_role(organisation: OrganisationView) -> str:
    """A role to quote in a message about lanes: the first declared one."""
    first = next(iter(organisation.roles), None)
    return f"{first.label} / {first.code}" if first else "a role code"
