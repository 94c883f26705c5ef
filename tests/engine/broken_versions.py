"""Broken versions of the whistle, deployed through the engine's lower-level path (no structural checks).

The deploy check refuses them today; cases of such versions still exist in districts that
deployed them before, and repair and migration must get those cases moving again.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from engine import definitions
from engine.validation import Bundle
from tests.support import FIXTURES, WHISTLE_PACK, Flow

# A pinned copy of the whistle as it was when these tests were written: the practice's own file
# grows (退单, 追加召集), and the breaks below are made against this one.
WHISTLE_V1 = FIXTURES / "bpmn" / "repair" / "whistle_v1.bpmn"
WHISTLE = WHISTLE_V1.read_bytes()


def broken_whistle_bytes() -> bytes:
    """The whistle without the flow 签收→到场报到 and without the end event 部门办结 (the issue's break)."""
    text = WHISTLE.decode()
    text = text.replace('<bpmn:outgoing>Flow_to_report_in</bpmn:outgoing>', "")
    text = text.replace('<bpmn:incoming>Flow_to_report_in</bpmn:incoming>', "")
    text = re.sub(r'\s*<bpmn:sequenceFlow id="Flow_to_report_in"[^>]*/>', "", text)
    text = re.sub(r'\s*<bpmn:endEvent id="End_department".*?</bpmn:endEvent>', "", text, flags=re.S)
    text = text.replace('<bpmn:outgoing>Flow_to_end</bpmn:outgoing>', "")
    text = re.sub(r'\s*<bpmn:sequenceFlow id="Flow_to_end"[^>]*/>', "", text)
    text = re.sub(r'\s*<bpmndi:BPMN(Shape|Edge) id="(End_department|Flow_to_end|Flow_to_report_in)_di".*?'
                  r'</bpmndi:BPMN(Shape|Edge)>', "", text, flags=re.S)
    text = text.replace("<bpmn:flowNodeRef>End_department</bpmn:flowNodeRef>", "")
    return text.encode()


def deploy_bytes(flow: Flow, bpmn: bytes, monkeypatch: pytest.MonkeyPatch | None = None) -> Any:
    """Deploy ``bpmn`` with the whistle's forms; with ``monkeypatch``, past the structural checks."""
    if monkeypatch is not None:
        import engine.validation as validation

        for name in ("structural_problems", "check_structure", "structure_problems"):
            if hasattr(validation, name):
                monkeypatch.setattr(validation, name, lambda *args, **kwargs: [])
    forms = definitions.bundle_from_path(WHISTLE_PACK / "whistle.bpmn").forms
    with flow.db.transaction() as session:
        return definitions.deploy(session, flow.ctx, Bundle("whistle.bpmn", bpmn, forms=forms),
                                  now=flow.clock.now()).definition.version


def deploy_broken_whistle(flow: Flow, monkeypatch: pytest.MonkeyPatch) -> int:
    """The good whistle as v1, then the broken one as v2; returns 2."""
    deploy_bytes(flow, WHISTLE)
    return int(deploy_bytes(flow, broken_whistle_bytes(), monkeypatch))


def renamed_report_in_bytes() -> bytes:
    """Version 2 of the pinned whistle: 到场报到 gets a new element id (Task_arrive), nothing else changes."""
    return WHISTLE.replace(b"Task_report_in", b"Task_arrive")


def without_report_in_bytes() -> bytes:
    """Version 2 of the pinned whistle without 到场报到: 签收 leads straight to 处置反馈."""
    text = WHISTLE.decode()
    text = re.sub(r'\s*<bpmn:userTask id="Task_report_in".*?</bpmn:userTask>', "", text, flags=re.S)
    text = text.replace('targetRef="Task_report_in" />', 'targetRef="Task_handle" />')
    text = re.sub(r'\s*<bpmn:sequenceFlow id="Flow_to_handle"[^>]*/>', "", text)
    text = text.replace("<bpmn:incoming>Flow_to_handle</bpmn:incoming>",
                        "<bpmn:incoming>Flow_to_report_in</bpmn:incoming>")
    text = text.replace("<bpmn:flowNodeRef>Task_report_in</bpmn:flowNodeRef>", "")
    text = re.sub(r'\s*<bpmndi:BPMN(Shape|Edge) id="(Task_report_in|Flow_to_handle)_di".*?</bpmndi:BPMN(Shape|Edge)>',
                  "", text, flags=re.S)
    return text.encode()
