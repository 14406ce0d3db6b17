"""GET /pay/{token}: the customer pay page with its first screen already in the HTML.

Reflex serves a dynamic route as an empty app shell: nothing of the invoice shows until the
script, the websocket and the page's on_load answer arrive (seconds on a phone). This route answers
with that same shell (the production build's __spa-fallback.html, so React hydrates it exactly as
before) plus:
- the invoice drawn on the server (pay_html.py) and pay.css inlined: the page paints from the first
  response, like a static page;
- the app-wide stylesheet (Radix Themes, ~700 KB, for the staff pages) neither blocking nor loaded:
  the pay page is styled by pay.css alone;
- when the invoice can be paid, the card field without the app: Stripe.js and assets/pay.js are
  fetched from the start at low priority (as a static page's async script would be: they must not
  hold back the first paint), pay.js runs once the page is painted and mounts Stripe's card field in
  it at once (#pay-setup names the publishable key, the script and the language);
- the app bundle fetched only once the first screen is painted and, on a payable page, the card
  field mounted (its module preloads inert, React Router's boot script run then by
  pay_app_start.js): nothing competes with the first screen, and Stripe.js does not share the line
  with the app's 180 KB.
React then takes over (pay_takeover.js), adopting the card field with what was typed in it. The
link is resolved exactly as on_load resolves it (core.pay_page.open_link: throttled per client, a
visit recorded, unknown == expired), and any screen but "pay" gets the same loading skeleton, so
the response says no more than the page would.
"""

import gzip
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape
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
from smslinks.providers.recent_views import recent_pay_views


def _inline_script(name: str) -> str:
    """A script inlined in every first response; its whole-line comments stay in the source."""
    lines = (Path(__file__).parent / name).read_text().splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("//"))


TAKEOVER_JS = _inline_script("pay_takeover.js")
APP_START_JS = _inline_script("pay_app_start.js")
# Where document() puts the title in the customer's language.
_TITLE_SLOT = "<title></title>"
_NEVER = "not all"  # a media query no screen matches
# Where document() puts what only a payable page loads from the start (Stripe.js).
_PAYABLE_SLOT = "<!--payable-->"
_BOOT_SCRIPT = '<script type="module" async="">'
_INERT_BOOT_SCRIPT = '<script type="text/x-app-boot" async="">'  # read by pay_app_start.js
# The buttons whose kept tap the first screen shows busy, in the words the app shows then.
_BUSY_WORDS = {"pay-card": "paying", "pay-saved-card": "paying", "pay-connect-bank": "connecting_bank"}


@dataclass(frozen=True)
class Shell:
    start: str  # up to and including <body>: the app stylesheet neutralised, our additions in the head
    rest: str  # React Router's scripts (its boot script inert), then pay_app_start.js


def static_dir() -> Path:
    return prerequisites.get_web_dir() / constants.Dirs.STATIC / get_config().frontend_path.strip("/")


def _neutralise_app_files(head: str) -> str:
    """Keep the app's <link> tags (React hydrates the head and expects them) but stop them from
    loading now: a disabled stylesheet is not fetched, nor a preload or module preload whose media
    never matches. The stylesheet is never needed; the modules are fetched once the first screen is
    painted (pay_app_start.js)."""

    def rewrite(match: re.Match) -> str:
        tag = match.group(0)
        if 'rel="stylesheet"' in tag:
            return tag[:-2] + " disabled/>"
        if ('rel="preload"' in tag and 'as="style"' in tag) or 'rel="modulepreload"' in tag:
            return tag[:-2] + f' media="{_NEVER}"/>'
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


def _boot_after_first_paint(rest: str) -> str:
    """React Router's boot module (it imports the bundle and hydrates) made inert: pay_app_start.js
    runs a copy of it once the first screen is painted. Left as it is if the build's differs."""
    return rest.replace(_BOOT_SCRIPT, _INERT_BOOT_SCRIPT, 1)


@lru_cache(maxsize=4)
def _shell(path: Path, modified: float) -> Shell:
    html = path.read_text()
    head_end = html.index("</head>")
    body_end = html.index("<body>") + len("<body>")
    head = _neutralise_app_files(html[:head_end])
    stripe_origin = "{0.scheme}://{0.netloc}".format(urlsplit(payment_gateway().js_url))
    route_modules = _route_modules(path.parent, head)
    additions = [
        _TITLE_SLOT,
        f"<style>{(path.parent / 'pay.css').read_text()}</style>",
        *(f'<link rel="modulepreload" href="{module}" media="{_NEVER}"/>' for module in route_modules),
        f'<link rel="preconnect" href="{stripe_origin}"/>',
        _PAYABLE_SLOT,
    ]
    rest = html[body_end:]
    rest = rest.replace("</body>", f"<script>{APP_START_JS}</script></body>", 1)
    return Shell(start=head + "".join(additions) + html[head_end:body_end], rest=_boot_after_first_paint(rest))


def shell() -> Shell | None:
    path = static_dir() / constants.ReactRouter.SPA_FALLBACK
    try:
        return _shell(path, path.stat().st_mtime)
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class FirstScreen:
    main: str  # the invoice (pay_html.page), or the loading placeholder
    lang: str
    card: bool = False  # the card form is on screen
    payable: bool = False  # a payment form is on screen: Stripe.js and pay.js load without the app


def _payable_head(js_url: str) -> str:
    """Stripe.js and pay.js fetched from the start, at an async script's low priority; run once the
    first screen is painted (pay_app_start.js)."""
    return (
        f'<link rel="preload" as="script" fetchpriority="low" href="{escape(js_url)}"/>'
        '<link rel="modulepreload" fetchpriority="low" href="/pay.js"/>'
    )


def _setup(screen: FirstScreen) -> str:
    """pay.js's and pay_takeover.js's settings: Stripe's publishable key and script (public by design)."""
    gateway = payment_gateway()
    setup = {
        "key": gateway.publishable_key,
        "js": gateway.js_url,
        "lang": screen.lang,
        "withCard": screen.card,
        "words": {button: pay_text.t(screen.lang, key) for button, key in _BUSY_WORDS.items()},
    }
    data = json.dumps(setup).replace("<", "\\u003c")  # nothing in it can close the script element
    return f'<script type="application/json" id="pay-setup">{data}</script>'


def document(page: Shell, screen: FirstScreen) -> str:
    start = page.start.replace('<html lang="en"', f'<html lang="{screen.lang}"', 1)
    start = start.replace(_TITLE_SLOT, f"<title>{pay_text.t(screen.lang, 'tab_title')}</title>", 1)
    start = start.replace(_PAYABLE_SLOT, _payable_head(payment_gateway().js_url) if screen.payable else "", 1)
    setup = _setup(screen) if screen.payable else ""
    return f'{start}<div id="pay-ssr">{screen.main}</div>{setup}<script>{TAKEOVER_JS}</script>{page.rest}'


def client_ip(request: Request) -> str:
    """The address on_load sees for the same browser (Reflex's rule, trusted proxies included)."""
    client = request.client.host if request.client else "0.0.0.0"
    hops = get_config().trusted_proxy_hops
    if hops:
        forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",") if ip.strip()]
        if len(forwarded) >= hops:
            client = forwarded[-hops]
    return client


def first_screen(request: Request, lang: str) -> FirstScreen:
    """The invoice when it can be paid, else the loading placeholder."""
    token = str(request.path_params["token"])[:100]
    with session_scope() as session:
        # What link scanners and previews fetch: a visit, never a person's open (see core.insights).
        insights.log_open(session, token, request.headers.get("user-agent", ""), ran_script=False)
        view = pay_page.open_link(
            session,
            token,
            client=client_ip(request),
            host=request.headers.get("host", ""),
            keep=recent_pay_views(),  # for the app, which takes the page over a moment later
        )
    if view.screen is not Screen.PAY:
        return FirstScreen(pay_html.page(lang, None), lang)
    tab = "ach" if request.query_params.get("m") == "ach" else "card"
    presented = pay_page.present(view, lang)
    main = pay_html.page(lang, presented, pay_page.present_lines(view), tab, pay_page.present_tips(view))
    return FirstScreen(main, lang, card=view.card_enabled, payable=view.card_enabled or view.ach_enabled)


def pay_page_html(request: Request) -> Response:
    page = shell()
    if page is None:  # no production build (e.g. `reflex run` in dev mode serves the page itself)
        return PlainTextResponse("The app is not built yet.", status_code=503)
    lang = pay_text.choose_language(request.headers.get("accept-language"))
    body = document(page, first_screen(request, lang)).encode()
    # One customer's invoice: never cached; compressed (about 18 KB to 5 KB) as the app's files are.
    headers = {"Cache-Control": "no-store", "Vary": "Accept-Encoding, Accept-Language"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    return HTMLResponse(body, headers=headers)
