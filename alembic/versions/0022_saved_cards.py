"""saved cards: a card kept on file for a customer with the consent they gave; charges of it

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 15:00:00

A saved card belongs to the customer (its Stripe Customer id is kept on the customer) and carries
the consent text exactly as shown, its time, IP and user agent. A PaymentIntent that charges one
names the card and the employee who charged it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stripe_customer_id", sa.String(length=64), nullable=True))
    op.create_table(
        "saved_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(length=64), nullable=False),
        sa.Column("stripe_payment_method_id", sa.String(length=64), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("consent_text", sa.Text(), nullable=False),
        sa.Column("consent_language", sa.String(length=5), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_ip", sa.String(length=64), nullable=False),
        sa.Column("consent_user_agent", sa.String(length=500), nullable=False),
        sa.Column("payment_link_id", sa.Integer(), nullable=True),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=160), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.ForeignKeyConstraint(["payment_link_id"], ["payment_link.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("stripe_payment_method_id"),
    )
    with op.batch_alter_table("saved_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_card_business_id"), ["business_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_saved_card_customer_id"), ["customer_id"], unique=False)
    with op.batch_alter_table("stripe_payment_intent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("saved_card_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("charged_by_employee_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_stripe_payment_intent_saved_card_id", "saved_card", ["saved_card_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_stripe_payment_intent_charged_by_employee_id", "employee", ["charged_by_employee_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("stripe_payment_intent", schema=None) as batch_op:
        batch_op.drop_constraint("fk_stripe_payment_intent_charged_by_employee_id", type_="foreignkey")
        batch_op.drop_constraint("fk_stripe_payment_intent_saved_card_id", type_="foreignkey")
        batch_op.drop_column("charged_by_employee_id")
        batch_op.drop_column("saved_card_id")
    with op.batch_alter_table("saved_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_card_customer_id"))
        batch_op.drop_index(batch_op.f("ix_saved_card_business_id"))
    op.drop_table("saved_card")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("stripe_customer_id")
