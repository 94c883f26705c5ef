"""The diagram a new process starts from: executable, one lane naming a role, a start event joined to an end."""
from __future__ import annotations

# Executable, laned, and a path from start to end from the start, so the first Validate talks
# about the designer's own work rather than about what an empty bpmn.io diagram lacks.
BLANK_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="Definitions_new_process" targetNamespace="http://whistle.example/bpmn">
  <bpmn:collaboration id="Collaboration_new_process">
    <bpmn:participant id="Participant_new_process" name="新流程" processRef="new_process" />
  </bpmn:collaboration>
  <bpmn:process id="new_process" name="新流程" isExecutable="true">
    <bpmn:laneSet id="LaneSet_new_process">
      <bpmn:lane id="Lane_street_officer" name="街道指挥中心值班员">
        <bpmn:flowNodeRef>Start_new_process</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>End_new_process</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start_new_process" name="开始">
      <bpmn:outgoing>Flow_new_process</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_new_process" sourceRef="Start_new_process" targetRef="End_new_process" />
    <bpmn:endEvent id="End_new_process" name="结束">
      <bpmn:incoming>Flow_new_process</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_new_process">
    <bpmndi:BPMNPlane id="Plane_new_process" bpmnElement="Collaboration_new_process">
      <bpmndi:BPMNShape id="Participant_new_process_di" bpmnElement="Participant_new_process" isHorizontal="true">
        <dc:Bounds x="160" y="80" width="900" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_street_officer_di" bpmnElement="Lane_street_officer" isHorizontal="true">
        <dc:Bounds x="190" y="80" width="870" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Start_new_process_di" bpmnElement="Start_new_process">
        <dc:Bounds x="252" y="162" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="259" y="205" width="22" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="End_new_process_di" bpmnElement="End_new_process">
        <dc:Bounds x="852" y="162" width="36" height="36" />
        <bpmndi:BPMNLabel><dc:Bounds x="859" y="205" width="22" height="14" /></bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_new_process_di" bpmnElement="Flow_new_process">
        <di:waypoint x="288" y="180" />
        <di:waypoint x="852" y="180" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
