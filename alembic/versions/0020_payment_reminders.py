"""payment reminders: the settings and one reminder plan per texted invoice

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 13:00:00

The workers find due plans by the indexed next_reminder_at (stopped and paused plans have none).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders_enabled", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("reminder_days", sa.String(length=40), server_default="3,7,14", nullable=False))
    op.create_table(
        "invoice_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=20), nullable=False),
        sa.Column("first_text_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_by_employee_id", sa.Integer(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.ForeignKeyConstraint(["paused_by_employee_id"], ["employee.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id"),
    )
    with op.batch_alter_table("invoice_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_reminder_business_id"), ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_reminder_next_reminder_at"), ["next_reminder_at"], unique=False)


def downgrade() -> None:
    op.drop_table("invoice_reminder")
    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        batch_op.drop_column("reminder_days")
        batch_op.drop_column("reminders_enabled")
