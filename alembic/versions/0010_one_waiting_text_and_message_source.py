"""one waiting pay-link text per invoice and number; messages remember where they were sent from

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00

The dispatcher re-checks a pay link's settings (office or Mobile) when it goes, so a message keeps
where it was sent from. A partial unique index lets one pay-link text per invoice and number wait
(scheduled, queued or sending); texts that already waited side by side keep the oldest and are
canceled with the reason, as the dispatcher would have done.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING_TEXT = "channel = 'sms' AND payment_link_id IS NOT NULL AND status IN ('scheduled', 'queued', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via", sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE outbound_message SET status = 'canceled', "
        "failure_reason = 'Not sent: an earlier text for this invoice was already waiting for this number.' "
        f"WHERE {_WAITING_TEXT} AND status <> 'sending' AND id NOT IN ("
        f"SELECT MIN(id) FROM outbound_message WHERE {_WAITING_TEXT} GROUP BY invoice_id, to_address)"
    )
    op.create_index(
        "ux_outbound_message_one_waiting_text",
        "outbound_message",
        ["invoice_id", "to_address"],
        unique=True,
        sqlite_where=sa.text(_WAITING_TEXT),
        postgresql_where=sa.text(_WAITING_TEXT),
    )


def downgrade() -> None:
    op.drop_index("ux_outbound_message_one_waiting_text", table_name="outbound_message")
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_column("via")
