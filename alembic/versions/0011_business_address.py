"""the business's own address

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:40:00

`smslinks setup` asks for it (and Settings > Company will show it); businesses from before keep
empty fields until someone fills them in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("street", 200), ("city", 100), ("region", 40), ("postal_code", 20))


def upgrade() -> None:
    with op.batch_alter_table("business", schema=None) as batch_op:
        for name, length in _COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("business", schema=None) as batch_op:
        for name, _length in reversed(_COLUMNS):
            batch_op.drop_column(name)
