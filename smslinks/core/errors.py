class DomainError(Exception):
    """A rule said no. The message is written for the person who asked."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "Something went wrong."


class NotAllowed(DomainError):
    """The signed-in person may not do this (or may not see this record)."""


class NotFound(DomainError):
    pass
