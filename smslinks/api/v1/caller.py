"""Who is calling: the API key in `Authorization: Bearer`, counted against its rate limit; and the
stored first answer of POSTs sent with an Idempotency-Key."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from fastapi import Depends
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smslinks.api.v1.problems import Unauthorized, problem
from smslinks.config import get_settings
from smslinks.core import api_keys, housekeeping
from smslinks.db import session_scope
from smslinks.models import ApiIdempotentResponse, Employee, saved_id, utcnow

_bearer = HTTPBearer(auto_error=False, description="An API key from Settings > API keys")
IDEMPOTENCY_KEY_MAX = 255
KEY_REUSED = "This Idempotency-Key was used for another request. Use a new key for a new request."


@dataclass(frozen=True)
class Caller:
    api_key_id: int
    employee_id: int

    def employee(self, session: Session) -> Employee:
        employee = session.get(Employee, self.employee_id)
        if employee is None:  # deleted since this request was authenticated
            raise Unauthorized()
        return employee


def caller(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Caller:
    """The live key's employee, after counting this request (429 over the limit, 401 without a key)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    with session_scope() as session:
        found = api_keys.employee_for_key(session, credentials.credentials)
        if found is None:
            raise Unauthorized()
        key, employee = found
        api_keys.count_request(session, key, get_settings().api_rate_limit_per_minute)
        return Caller(saved_id(key), saved_id(employee))


def request_hash(method: str, path: str, body: str) -> str:
    return hashlib.sha256(json.dumps([method, path, body]).encode()).hexdigest()


def _stored(session: Session, api_key_id: int, key: str) -> ApiIdempotentResponse | None:
    return session.exec(
        select(ApiIdempotentResponse).where(
            ApiIdempotentResponse.api_key_id == api_key_id, ApiIdempotentResponse.key == key
        )
    ).first()


def _forget_old_answers(session: Session, api_key_id: int) -> None:
    session.execute(
        sa.delete(ApiIdempotentResponse).where(
            col(ApiIdempotentResponse.api_key_id) == api_key_id,
            col(ApiIdempotentResponse.created_at) < utcnow() - housekeeping.IDEMPOTENT_ANSWER_RETENTION,
        )
    )


def _replay(stored: ApiIdempotentResponse, fingerprint: str) -> JSONResponse:
    if stored.request_hash != fingerprint:
        return problem(422, KEY_REUSED, {"Idempotency-Key": KEY_REUSED})
    return JSONResponse(
        json.loads(stored.body), status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
    )


def once(
    who: Caller,
    idempotency_key: str | None,
    fingerprint: str,
    action: Callable[[Session, Employee], dict],
    status_code: int = 200,
) -> JSONResponse:
    """Run action in one transaction and answer with what it returns (JSON-ready). With an
    Idempotency-Key, the first answer is stored in that transaction and a repeat within 24 hours
    gets it back; refusals are not stored (a corrected request may use the same key)."""
    if idempotency_key is not None and not 0 < len(idempotency_key) <= IDEMPOTENCY_KEY_MAX:
        return problem(
            422, "Idempotency-Key must be 1 to 255 characters.", {"Idempotency-Key": "Use 1 to 255 characters."}
        )
    try:
        with session_scope() as session:
            if idempotency_key and (stored := _stored(session, who.api_key_id, idempotency_key)):
                return _replay(stored, fingerprint)
            body = action(session, who.employee(session))
            if idempotency_key:
                _forget_old_answers(session, who.api_key_id)
                session.add(
                    ApiIdempotentResponse(
                        api_key_id=who.api_key_id,
                        key=idempotency_key,
                        request_hash=fingerprint,
                        status_code=status_code,
                        body=json.dumps(body),
                    )
                )
                session.flush()
    except IntegrityError:
        # The same key raced us and committed first: its answer is the answer.
        with session_scope() as session:
            if idempotency_key and (stored := _stored(session, who.api_key_id, idempotency_key)):
                return _replay(stored, fingerprint)
        raise
    return JSONResponse(body, status_code=status_code)
