"""What SQL a piece of code runs: for tests that keep a hot path to its few queries."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlmodel import Session


@contextmanager
def recorded(session: Session) -> Iterator[list[str]]:
    """The statements the session's engine runs inside the block, in order."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
