"""customer payments: payment intents, ach mandates, pay link throttling

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 21:24:24.889566
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pay_link_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pay_link_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_link_failure_client"), ["client"], unique=False)

    op.create_table(
        "ach_mandate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("stripe_payment_intent_id", sa.String(length=64), nullable=False),
        sa.Column("payment_link_id", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("text_version", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=500), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_link_id"],
            ["payment_link.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ach_mandate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ach_mandate_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ach_mandate_stripe_payment_intent_id"), ["stripe_payment_intent_id"], unique=False
        )

    op.create_table(
        "stripe_payment_intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("stripe_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("payment_link_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("verification_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_link_id"],
            ["payment_link.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("stripe_id"),
    )
    with op.batch_alter_table("stripe_payment_intent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_payment_intent_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_stripe_payment_intent_invoice_id"), ["invoice_id"], unique=False)

    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("method_detail", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("refunded_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("disputed_cents", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("payment_link_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_payment_payment_link_id", "payment_link", ["payment_link_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payment_payment_link_id", type_="foreignkey")
        batch_op.drop_column("payment_link_id")
        batch_op.drop_column("disputed_cents")
        batch_op.drop_column("refunded_cents")
        batch_op.drop_column("method_detail")

    with op.batch_alter_table("stripe_payment_intent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stripe_payment_intent_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_stripe_payment_intent_active"))

    op.drop_table("stripe_payment_intent")
    with op.batch_alter_table("ach_mandate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ach_mandate_stripe_payment_intent_id"))
        batch_op.drop_index(batch_op.f("ix_ach_mandate_invoice_id"))

    op.drop_table("ach_mandate")
    with op.batch_alter_table("pay_link_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_link_failure_client"))

    op.drop_table("pay_link_failure")
