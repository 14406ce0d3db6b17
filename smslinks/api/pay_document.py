"""GET /pay/{token}: the customer pay page with its first screen already in the HTML.

Reflex serves a dynamic route as an empty app shell: nothing of the invoice shows until the
script, the websocket and the page's on_load answer arrive (seconds on a phone). This route answers
with that same shell (the production build's __spa-fallback.html, so React hydrates it exactly as
before) plus:
- the invoice drawn on the server (pay_html.py) and pay.css inlined: the page paints from the first
  response, like a static page;
- the app-wide stylesheet (Radix Themes, ~700 KB, for the staff pages) neither blocking nor loaded:
  the pay page is styled by pay.css alone;
- the pay route's own module, pay.js and Stripe's origin announced early.
React then takes over (pay_takeover.js). The link is resolved exactly as on_load resolves it
(core.pay_page.open_link: throttled per client, a visit recorded, unknown == expired), and any screen
but "pay" gets the same loading skeleton, so the response says no more than the page would.
"""

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from reflex import constants
from reflex.config import get_config
from reflex.utils import prerequisites
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from smslinks import routes
from smslinks.api import pay_html
from smslinks.core import insights, pay_page, pay_text
from smslinks.core.pay_page import Screen
from smslinks.db import session_scope
from smslinks.providers import payment_gateway

TAKEOVER_JS = (Path(__file__).parent / "pay_takeover.js").read_text()
# Where document() puts the title in the customer's language.
_TITLE_SLOT = "<title></title>"


@dataclass(frozen=True)
class Shell:
    start: str  # up to and including <body>: the app stylesheet neutralised, our additions in the head
    rest: str  # React Router's scripts


def static_dir() -> Path:
    return prerequisites.get_web_dir() / constants.Dirs.STATIC / get_config().frontend_path.strip("/")


def _neutralise_app_stylesheet(head: str) -> str:
    """Keep the app stylesheet's <link> tags (React hydrates the head and expects them) but stop them
    from loading: a disabled stylesheet is not fetched, nor a preload whose media never matches."""

    def rewrite(match: re.Match) -> str:
        tag = match.group(0)
        if 'rel="stylesheet"' in tag:
            return tag[:-2] + " disabled/>"
        if 'rel="preload"' in tag and 'as="style"' in tag:
            return tag[:-2] + ' media="not all"/>'
        return tag

    return re.sub(r"<link [^>]*/>", rewrite, head)


def _route_modules(directory: Path, head: str) -> list[str]:
    """The pay route's module and imports (from React Router's manifest) the shell does not preload."""
    found = re.search(r'href="(/assets/manifest-[^"]+\.js)"', head)
    if not found:
        return []
    source = (directory / found.group(1).lstrip("/")).read_text()
    manifest = json.loads(source[source.index("{") : source.rindex("}") + 1])
    path = routes.PAY.strip("/").replace("[", ":").replace("]", "")
    route = next((r for r in manifest["routes"].values() if r.get("path") == path), None)
    if route is None:
        return []
    return [module for module in [route["module"], *route.get("imports", [])] if f'href="{module}"' not in head]


@lru_cache(maxsize=4)
def _shell(path: Path, modified: float) -> Shell:
    html = path.read_text()
    head_end = html.index("</head>")
    body_end = html.index("<body>") + len("<body>")
    head = _neutralise_app_stylesheet(html[:head_end])
    stripe_origin = "{0.scheme}://{0.netloc}".format(urlsplit(payment_gateway().js_url))
    additions = [
        _TITLE_SLOT,
        f"<style>{(path.parent / 'pay.css').read_text()}</style>",
        *(f'<link rel="modulepreload" href="{module}"/>' for module in _route_modules(path.parent, head)),
        '<link rel="modulepreload" href="/pay.js"/>',
        f'<link rel="preconnect" href="{stripe_origin}"/>',
    ]
    return Shell(start=head + "".join(additions) + html[head_end:body_end], rest=html[body_end:])


def shell() -> Shell | None:
    path = static_dir() / constants.ReactRouter.SPA_FALLBACK
    try:
        return _shell(path, path.stat().st_mtime)
    except FileNotFoundError:
        return None


def document(page: Shell, main: str, lang: str) -> str:
    start = page.start.replace('<html lang="en"', f'<html lang="{lang}"', 1)
    start = start.replace(_TITLE_SLOT, f"<title>{pay_text.t(lang, 'tab_title')}</title>", 1)
    return f'{start}<div id="pay-ssr">{main}</div><script>{TAKEOVER_JS}</script>{page.rest}'


def client_ip(request: Request) -> str:
    """The address on_load sees for the same browser (Reflex's rule, trusted proxies included)."""
    client = request.client.host if request.client else "0.0.0.0"
    hops = get_config().trusted_proxy_hops
    if hops:
        forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",") if ip.strip()]
        if len(forwarded) >= hops:
            client = forwarded[-hops]
    return client


def first_screen(request: Request, lang: str) -> str:
    """The invoice when it can be paid, else the loading placeholder."""
    token = str(request.path_params["token"])[:100]
    with session_scope() as session:
        # What link scanners and previews fetch: a visit, never a person's open (see core.insights).
        insights.log_open(session, token, request.headers.get("user-agent", ""), ran_script=False)
        view = pay_page.open_link(session, token, client=client_ip(request), host=request.headers.get("host", ""))
    if view.screen is not Screen.PAY:
        return pay_html.page(lang, None)
    tab = "ach" if request.query_params.get("m") == "ach" else "card"
    presented = pay_page.present(view, lang)
    return pay_html.page(lang, presented, pay_page.present_lines(view), tab, pay_page.present_tips(view))


def pay_page_html(request: Request) -> Response:
    page = shell()
    if page is None:  # no production build (e.g. `reflex run` in dev mode serves the page itself)
        return PlainTextResponse("The app is not built yet.", status_code=503)
    lang = pay_text.choose_language(request.headers.get("accept-language"))
    body = document(page, first_screen(request, lang), lang).encode()
    # One customer's invoice: never cached; compressed (about 18 KB to 5 KB) as the app's files are.
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding, Accept-Language"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return HTMLResponse(body, headers=headers)
