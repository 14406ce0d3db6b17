"""REST API: external ids, customers' updated_at, API keys, rate-limit windows, idempotent answers

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 11:40:00

Customers, service locations and invoices take another system's id (external_id, unique per
business). Customers get updated_at (existing rows: their created_at) for "changed since" lists.
API keys are stored as SHA-256 hashes, each acting through its own employee row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE customer SET updated_at = created_at")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_unique_constraint("uq_customer_external_id", ["business_id", "external_id"])
        batch_op.create_index("ix_customer_changes", ["business_id", "updated_at", "id"], unique=False)
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint("uq_location_external_id", ["business_id", "external_id"])
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint("uq_invoice_external_id", ["business_id", "external_id"])
        batch_op.create_index("ix_invoice_changes", ["business_id", "updated_at", "id"], unique=False)

    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_by_employee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["business_id"], ["business.id"]),
        sa.ForeignKeyConstraint(["created_by_employee_id"], ["employee.id"]),
        sa.ForeignKeyConstraint(["employee_id"], ["employee.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("employee_id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_business_id"), ["business_id"], unique=False)
    op.create_table(
        "api_rate_window",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.PrimaryKeyConstraint("api_key_id", "window_start"),
    )
    op.create_table(
        "api_idempotent_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_key_id", "key"),
    )
    with op.batch_alter_table("api_idempotent_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_idempotent_response_api_key_id"), ["api_key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_idempotent_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_idempotent_response_api_key_id"))
    op.drop_table("api_idempotent_response")
    op.drop_table("api_rate_window")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_business_id"))
    op.drop_table("api_key")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_changes")
        batch_op.drop_constraint("uq_invoice_external_id", type_="unique")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.drop_constraint("uq_location_external_id", type_="unique")
        batch_op.drop_column("external_id")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_changes")
        batch_op.drop_constraint("uq_customer_external_id", type_="unique")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("external_id")
