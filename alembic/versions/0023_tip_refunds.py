"""tip refunds: a refund records how much of it gave back the tip

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-03 15:10:00

A refund may reach a payment's tip (the invoice's part is refunded first, the tip last): the refund
row keeps its tip part, the payment the tip refunded so far, apart from refunded_cents (the
invoice's money), so the balance reopens only by the invoice's part and the technician's tip
credit drops by the tip's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tip_refunded_cents", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tip_cents", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("payment_refund", schema=None) as batch_op:
        batch_op.drop_column("tip_cents")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_column("tip_refunded_cents")
