"""invoice list and search indexes

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-24 21:25:17.027514

The invoice list pages by (issued_on, id) with or without a status filter. Name and phone searches
are LIKE 'prefix%': on PostgreSQL only a varchar_pattern_ops index serves those under a non-C
collation, so the two search indexes are rebuilt with it there (SQLite keeps plain ones).
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIX_SEARCH = [
    ("customer", "ix_customer_search_name", "search_name"),
    ("phone_number", "ix_phone_number_reversed_digits", "reversed_digits"),
]


def _on_postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade() -> None:
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index("ix_invoice_list", ["business_id", "issued_on", "id"], unique=False)
        batch_op.create_index("ix_invoice_list_by_status", ["business_id", "status", "issued_on", "id"], unique=False)
    if _on_postgresql():
        for table, index, column in _PREFIX_SEARCH:
            op.drop_index(index, table_name=table)
            op.create_index(index, table, [column], postgresql_ops={column: "varchar_pattern_ops"})


def downgrade() -> None:
    if _on_postgresql():
        for table, index, column in _PREFIX_SEARCH:
            op.drop_index(index, table_name=table)
            op.create_index(index, table, [column])
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_list_by_status")
        batch_op.drop_index("ix_invoice_list")
