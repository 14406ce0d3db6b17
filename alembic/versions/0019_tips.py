"""tips: the business's tip settings, and tips charged with payments

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 13:00:00

A tip is charged with a payment but kept apart from the invoice's money (payment.tip_cents), and
credited to the technician of the invoice's job (payment.tip_employee_id). The PaymentIntent row
remembers the tip its last attempt included, so the webhook can tell tip from invoice money.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERCENTS = (("tip_percent_1", "10"), ("tip_percent_2", "15"), ("tip_percent_3", "20"))


def upgrade() -> None:
    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tips_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        for name, default in _PERCENTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=default))
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tip_cents", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("tip_employee_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_payment_tip_employee_id", "employee", ["tip_employee_id"], ["id"])
    with op.batch_alter_table("stripe_payment_intent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tip_cents", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("stripe_payment_intent", schema=None) as batch_op:
        batch_op.drop_column("tip_cents")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_payment_tip_employee_id", type_="foreignkey")
        batch_op.drop_column("tip_employee_id")
        batch_op.drop_column("tip_cents")
    with op.batch_alter_table("payment_settings", schema=None) as batch_op:
        for name, _default in reversed(_PERCENTS):
            batch_op.drop_column(name)
        batch_op.drop_column("tips_enabled")
