"""customer name search by any word, bounded invoice search

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 10:05:00

The invoice search finds a customer by the start of any word of the name ("garcia" finds Maria
Garcia). On PostgreSQL that is a full-text prefix query ('garcia':*) served by a GIN index over
the name's words; the B-tree for whole-name prefixes serves nothing any more on either database
(SQLite scans: its LIKE is case-insensitive, which no plain index serves).

The search then reads all the matched customers' invoices and sorts them (bounded work, where the
date index could be walked to its end): ix_invoice_by_customer answers that from the index alone,
and replaces the plain customer_id index it starts with.
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WORDS = "to_tsvector('simple'::regconfig, search_name::text)"


def _on_postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_customer_id")
        batch_op.create_index(
            "ix_invoice_by_customer", ["customer_id", "issued_on", "id"], postgresql_include=["status", "business_id"]
        )
    op.drop_index("ix_customer_search_name", table_name="customer")
    if _on_postgresql():
        op.execute(f"CREATE INDEX ix_customer_name_words ON customer USING gin ({_WORDS})")


def downgrade() -> None:
    if _on_postgresql():
        op.drop_index("ix_customer_name_words", table_name="customer")
        op.create_index(
            "ix_customer_search_name",
            "customer",
            ["search_name"],
            postgresql_ops={"search_name": "varchar_pattern_ops"},
        )
    else:
        op.create_index("ix_customer_search_name", "customer", ["search_name"])
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_by_customer")
        batch_op.create_index("ix_invoice_customer_id", ["customer_id"])
