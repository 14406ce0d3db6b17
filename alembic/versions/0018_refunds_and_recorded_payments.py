"""payment refunds (one row per refund, from the office page or reported by Stripe) and payments
recorded by the office (cash, check, other: the day received, a note, who recorded it)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:00:00

A refund row is written (requested) before Stripe is asked, keyed by its idempotency key, and
settled from Stripe's answer or its events.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_refund",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=64), nullable=True),
        sa.Column("failure_reason", sa.String(length=300), nullable=True),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("stripe_refund_id"),
    )
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_refund_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_refund_payment_id"), ["payment_id"], unique=False)
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_payment_recorded_by_id_employee", "employee", ["recorded_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payment_recorded_by_id_employee", type_="foreignkey")
        batch_op.drop_column("recorded_by_id")
        batch_op.drop_column("note")
        batch_op.drop_column("received_on")
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_refund_payment_id"))
        batch_op.drop_index(batch_op.f("ix_payment_refund_invoice_id"))
    op.drop_table("payment_refund")
