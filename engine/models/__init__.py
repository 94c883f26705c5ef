"""Typed SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""
from engine.models.attachments import Attachment
from engine.models.audit import TaskEvent
from engine.models.base import Base
from engine.models.catalog import Category
from engine.models.collaboration import TaskComment, TaskDraft
from engine.models.consultation import ConsultationComment, ConsultationVote, PhoneCheck
from engine.models.definitions import ProcessDefinition
from engine.models.idempotency import IdempotencyRecord
from engine.models.incidents import Incident, IncidentStatus
from engine.models.instances import InstanceDepartment, InstanceStatus, ProcessInstance
from engine.models.learning import LearnedModel
from engine.models.organisation import (
    ApiToken,
    Department,
    Membership,
    RoleDefinition,
    UnitKind,
    UnitRelation,
    User,
)
from engine.models.public import PublicDemand
from engine.models.sign_in import LoginEvent, LoginThrottle, UserSession
from engine.models.tasks import HumanTask, TaskStatus

__all__ = [
    "ApiToken",
    "Attachment",
    "Base",
    "Category",
    "ConsultationComment",
    "ConsultationVote",
    "Department",
    "HumanTask",
    "IdempotencyRecord",
    "Incident",
    "IncidentStatus",
    "InstanceDepartment",
    "InstanceStatus",
    "LearnedModel",
    "LoginEvent",
    "LoginThrottle",
    "Membership",
    "ProcessDefinition",
    "PhoneCheck",
    "ProcessInstance",
    "PublicDemand",
    "RoleDefinition",
    "TaskComment",
    "TaskDraft",
    "TaskEvent",
    "TaskStatus",
    "UnitKind",
    "UnitRelation",
    "User",
    "UserSession",
]
