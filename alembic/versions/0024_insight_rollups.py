"""insight rollups: time to pay and the funnel by the business's day, kept by the workers

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 18:20:00

Daily rollups of Insights' time to pay (counts by duration bucket) and funnel (stage counts), the
day each paid invoice was counted on, each business's rollup state, and the indexes the workers'
pass uses to find pay-link visits and payment starts since its last run.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_pay_day",
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("invoices", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.PrimaryKeyConstraint("business_id", "day", "channel", "weekday", "hour", "bucket"),
    )
    op.create_table(
        "insight_funnel_day",
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("started", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.PrimaryKeyConstraint("business_id", "day", "channel"),
    )
    op.create_table(
        "insight_paid_invoice",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoice.id"]),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_index("ix_insight_paid_invoice_day", "insight_paid_invoice", ["business_id", "day"])
    op.create_table(
        "insight_rollup_state",
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("rolled_through", sa.Date(), nullable=False),
        sa.Column("changes_seen_until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.PrimaryKeyConstraint("business_id"),
    )
    op.create_index("ix_link_open_opened_at", "link_open", ["opened_at"])
    op.create_index("ix_stripe_payment_intent_created", "stripe_payment_intent", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_stripe_payment_intent_created", table_name="stripe_payment_intent")
    op.drop_index("ix_link_open_opened_at", table_name="link_open")
    op.drop_table("insight_rollup_state")
    op.drop_index("ix_insight_paid_invoice_day", table_name="insight_paid_invoice")
    op.drop_table("insight_paid_invoice")
    op.drop_table("insight_funnel_day")
    op.drop_table("insight_pay_day")
