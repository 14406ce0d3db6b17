"""sms opt-out question: the one clarification sent after an ambiguous reply

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 09:30:00

A reply such as "can I cancel the appointment?" may or may not revoke consent (47 CFR
64.1200(a)(12)): the app asks once and treats five minutes of silence as an opt-out. The partial
unique index keeps one question open per number; the partial index on asked_at serves the workers'
look for unanswered ones on every pass.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "sms_opt_out_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("excerpt", sa.String(length=80), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sms_opt_out_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_opt_out_question_business_id"), ["business_id"], unique=False)
        batch_op.create_index(
            "ix_sms_opt_out_question_open",
            ["business_id", "e164"],
            unique=True,
            postgresql_where=_OPEN,
            sqlite_where=_OPEN,
        )
        batch_op.create_index(
            "ix_sms_opt_out_question_due", ["asked_at"], unique=False, postgresql_where=_OPEN, sqlite_where=_OPEN
        )


def downgrade() -> None:
    op.drop_table("sms_opt_out_question")
