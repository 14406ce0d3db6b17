"""/auth/session: the staff session cookie, set and cleared by the server.

JavaScript cannot set an HttpOnly cookie, and Reflex's cookie vars are written by JavaScript, so a
sign-in (a websocket event) ends with the page posting the new session's token here once; the
answer sets the cookie HttpOnly, SameSite=Strict, Secure when the public URL is https, and the page
reloads so its websocket carries it. DELETE signs out: the session is revoked and the cookie cleared.
Only same-origin requests are heard (a foreign page must not sign a browser into someone's account).
"""

from starlette.requests import Request
from starlette.responses import Response

from smslinks.config import get_settings
from smslinks.core import auth
from smslinks.db import session_scope
from smslinks.routes import SESSION_COOKIE

MAX_BODY = 200


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}" or origin == _public_origin()


def _public_origin() -> str:
    return get_settings().public_url.rstrip("/")


def _secure() -> bool:
    return get_settings().public_url.startswith("https://")


async def session_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    if request.method == "DELETE":
        with session_scope() as session:
            auth.sign_out(session, request.cookies.get(SESSION_COOKIE, ""))
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(), httponly=True, samesite="strict")
        return response
    token = (await request.body())[:MAX_BODY].decode("utf-8", "replace").strip()
    with session_scope() as session:
        if auth.employee_for_token(session, token) is None:
            return Response(status_code=403)
    response = Response(status_code=204)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=get_settings().session_hours * 3600,
        path="/",
        secure=_secure(),
        httponly=True,
        samesite="strict",
    )
    return response
