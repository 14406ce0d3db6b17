"""one number is saved once per customer

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00

The customer form refuses a number already on the customer; this partial unique index makes two
racing saves meet too. Nothing is deduplicated silently: a database that already holds a number
twice on one customer stops the upgrade and lists them, for a person to decide which to keep.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWNED = "customer_id IS NOT NULL"


def upgrade() -> None:
    twice = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT customer_id, e164, COUNT(*) FROM phone_number WHERE {_OWNED} "
                "GROUP BY customer_id, e164 HAVING COUNT(*) > 1 ORDER BY customer_id LIMIT 20"
            )
        )
        .all()
    )
    if twice:
        listed = "; ".join(f"customer {customer_id}: {e164} ({n} times)" for customer_id, e164, n in twice)
        raise RuntimeError(
            "Some customers have the same number saved more than once. Remove the extra rows "
            f"(keeping the one texts were sent to), then upgrade again: {listed}"
        )
    op.create_index(
        "ux_phone_number_customer_e164",
        "phone_number",
        ["customer_id", "e164"],
        unique=True,
        sqlite_where=sa.text(_OWNED),
        postgresql_where=sa.text(_OWNED),
    )


def downgrade() -> None:
    op.drop_index("ux_phone_number_customer_e164", table_name="phone_number")
