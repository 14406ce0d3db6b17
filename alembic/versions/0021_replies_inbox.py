"""replies inbox: inbound texts stored and matched; email the link when a text cannot arrive

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 13:00:00

Every inbound text is a row matched to its customer and the invoice last texted to its number;
office staff read and answer them in the Inbox. PaymentSettings gains the switch that emails the
link when a text fails for good (on by default).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("keyword", sa.String(length=12), nullable=False),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id"),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_message_thread", ["business_id", "from_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_message_business_id"), ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_message_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_message_invoice_id"), ["invoice_id"], unique=False)
    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_when_text_fails", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        batch_op.drop_column("email_when_text_fails")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_message_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_customer_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_message_business_id"))
        batch_op.drop_index("ix_inbound_message_thread")
    op.drop_table("inbound_message")
