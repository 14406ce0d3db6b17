"""pay link failures name their token

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-24 22:31:02.419814
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows from before count as one token per client, which only ever lets a client in sooner.
    with op.batch_alter_table("pay_link_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("pay_link_failure", schema=None) as batch_op:
        batch_op.drop_column("token_hash")
