"""one-time setup codes for the browser's first run

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:00:00

A server with no business prints a code at start; /setup asks for it, so whoever reaches a new
server first cannot take it over. Only the code's SHA-256 is stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "setup_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_table(
        "setup_code_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("setup_code_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_setup_code_failure_client"), ["client"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("setup_code_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_setup_code_failure_client"))
    op.drop_table("setup_code_failure")
    op.drop_table("setup_code")
