"""insights: when an invoice was paid in full, every pay-link visit, indexes for the page's ranges

Revision ID: 0027
Revises: 0021
Create Date: 2026-12-03 15:20:00

Invoice.paid_at (filled from the audit trail's "invoice.paid" for invoices already paid), the
link_open log (people told from link scanners), and the indexes that keep Insights' queries to the
chosen days: invoices paid or issued in a range, open balances by due day (partial), messages and
payments made in a range, payments and intents by link.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'open'")
_LINK_LEFT = sa.text("payment_link_id IS NOT NULL AND status IN ('sent', 'delivered', 'undelivered')")


def upgrade() -> None:
    op.add_column("invoice", sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE invoice SET paid_at = (
            SELECT max(audit_event.at) FROM audit_event
            WHERE audit_event.action = 'invoice.paid' AND audit_event.subject_type = 'invoice'
              AND audit_event.subject_id = CAST(invoice.id AS VARCHAR(64))
        )
        WHERE status = 'paid'
        """
    )
    op.create_index("ix_invoice_paid_at", "invoice", ["business_id", "paid_at"])
    op.create_index(
        "ix_invoice_open_balances",
        "invoice",
        ["business_id", "due_on"],
        postgresql_include=["total_cents", "amount_paid_cents"],
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )
    op.create_index(
        "ix_invoice_issued", "invoice", ["business_id", "issued_on"], postgresql_include=["status", "total_cents"]
    )
    op.create_index("ix_outbound_message_business_created", "outbound_message", ["business_id", "created_at"])
    op.create_index(
        "ix_outbound_message_links_sent",
        "outbound_message",
        ["invoice_id", "channel", "created_at"],
        postgresql_include=["send_after"],
        postgresql_where=_LINK_LEFT,
        sqlite_where=_LINK_LEFT,
    )
    op.create_index("ix_payment_created_at", "payment", ["created_at"])
    op.create_index("ix_payment_link", "payment", ["payment_link_id"])
    op.create_index("ix_stripe_payment_intent_link", "stripe_payment_intent", ["payment_link_id"])
    op.create_table(
        "link_open",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_link_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("by_person", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["payment_link_id"], ["payment_link.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_open_link", "link_open", ["payment_link_id", "by_person"])


def downgrade() -> None:
    op.drop_index("ix_link_open_link", table_name="link_open")
    op.drop_table("link_open")
    op.drop_index("ix_stripe_payment_intent_link", table_name="stripe_payment_intent")
    op.drop_index("ix_payment_link", table_name="payment")
    op.drop_index("ix_payment_created_at", table_name="payment")
    op.drop_index("ix_outbound_message_links_sent", table_name="outbound_message")
    op.drop_index("ix_outbound_message_business_created", table_name="outbound_message")
    op.drop_index("ix_invoice_issued", table_name="invoice")
    op.drop_index("ix_invoice_open_balances", table_name="invoice")
    op.drop_index("ix_invoice_paid_at", table_name="invoice")
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("paid_at")
