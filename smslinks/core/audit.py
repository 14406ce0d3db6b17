"""Every send, status change, payment and settings change leaves an audit row."""

import json

from sqlmodel import Session

from smslinks.models import AuditEvent, Employee

SUPPORT_ACTOR = "Technical Support (CLI)"
SYSTEM_ACTOR = "system"
CUSTOMER_ACTOR = "customer"


def record(
    session: Session,
    action: str,
    subject_type: str,
    subject_id: object = None,
    *,
    business_id: int | None,
    employee: Employee | None = None,
    actor: str | None = None,
    **detail: object,
) -> AuditEvent:
    """Add an audit row to the caller's transaction (it commits or rolls back with the change)."""
    event = AuditEvent(
        business_id=business_id,
        actor_employee_id=employee.id if employee else None,
        actor=employee.name if employee else (actor or SYSTEM_ACTOR),
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=json.dumps(detail, default=str, sort_keys=True),
    )
    session.add(event)
    return event
