"""employee invitations and temporary passwords

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:40:00

Settings > Employees adds people two ways: an invitation link (its token stored only as a SHA-256
hash, one use, expiring) or a temporary password the employee must replace at first sign-in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "employee_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_employee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employee.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_employee_id"],
            ["employee.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("employee_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employee_invitation_employee_id"), ["employee_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("employee_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employee_invitation_employee_id"))
    op.drop_table("employee_invitation")
    with op.batch_alter_table("employee", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
