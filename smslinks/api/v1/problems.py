"""Errors as RFC 9457 problem details (application/problem+json), each wrong field named."""

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from smslinks.api.v1.schemas import FieldError, Problem
from smslinks.core.api_keys import RateLimited
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.external_records import Conflict
from smslinks.core.sending import TextAlreadyWaiting

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable content",
    429: "Too many requests",
}
UNAUTHORIZED = "Send a live API key as Authorization: Bearer <key> (Settings > API keys)."


class Unauthorized(Exception):
    pass


def problem(
    status: int, detail: str, errors: Mapping[str, str] | Mapping[str | None, str] | None = None, headers=None
) -> JSONResponse:
    body = Problem(
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        errors=[FieldError(field=field, message=message) for field, message in (errors or {}).items()],
    )
    return JSONResponse(body.model_dump(), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _status_of(error: DomainError) -> int:
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, (Conflict, TextAlreadyWaiting)):
        return 409
    return 422


def domain_problem(error: DomainError) -> JSONResponse:
    if isinstance(error, RateLimited):
        return problem(429, error.message, headers={"Retry-After": str(error.retry_after)})
    if isinstance(error, FieldErrors):
        return problem(422, "Some fields are not right; nothing was saved.", dict(error.fields))
    return problem(_status_of(error), error.message)


def _field(location: tuple) -> str | None:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or None


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, error: DomainError) -> JSONResponse:
        return domain_problem(error)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_request: Request, _error: Unauthorized) -> JSONResponse:
        return problem(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors: dict[str | None, str] = {}
        for item in error.errors():
            errors.setdefault(_field(tuple(item.get("loc", ()))), item.get("msg", "Not valid."))
        return problem(422, "Some fields are not right; nothing was saved.", errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 400:  # a body that is not JSON at all
            return problem(422, "The body is not JSON.", {"body": str(error.detail)})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return problem(error.status_code, str(error.detail), headers=headers or None)


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method of every route at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match is not Match.NONE and (route_methods := getattr(route, "methods", None)):
            methods |= set(route_methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def documented(*statuses: int) -> dict:
    """The problem answers a route may give, for its OpenAPI description."""
    responses: dict = {}
    for status in (401, 429, *statuses):
        content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        responses[status] = {"model": Problem, "description": TITLES[status], "content": content}
    if 429 in responses:
        responses[429]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
    return responses
