import dataclasses

import reflex as rx

from smslinks.core import jobs
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission
from smslinks.db import session_scope
from smslinks.state.session import SessionState


class TechJobsState(SessionState):
    jobs: list[dict] = []
    loaded: bool = False

    @rx.event
    def load(self):
        with session_scope() as session:
            try:
                technician = self._authorize(session, Permission.VIEW_ASSIGNED_JOBS)
            except DomainError as error:
                return self._refuse(error)
            self.jobs = [dataclasses.asdict(row) for row in jobs.todays_jobs(session, technician)]
        self.loaded = True
