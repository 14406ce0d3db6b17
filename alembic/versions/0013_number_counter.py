"""invoice and job numbers: one counter row per business and kind

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:35:00

Finalizing an invoice takes the next number from its business's counter (UPDATE ... RETURNING). The
counter starts after the business's highest numeric invoice number the first time it is used, so
numbers already given (the demo's 10001+, imports) are never given again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "number_counter",
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.PrimaryKeyConstraint("business_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("number_counter")
