"""The physical limits: the same invoice as plain HTML and CSS from a tiny local server, twice.

- PATH: no script at all. The page is a snapshot of what the real pay page shows once it is ready
  (its <main> element, taken from the running app in a browser) with assets/pay.css inlined: same
  words, same markup, same look. Stripe's card field is left empty.
- CARD_PATH: the same page plus the Stripe.js the real page uses in this mode (the sandbox Stripe's
  copy offline, js.stripe.com live), mounting the card field with a few lines of plain script: the
  soonest a customer could type a card.
"""

import gzip
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from smslinks.config import PROJECT_ROOT

PAY_CSS = PROJECT_ROOT / "assets" / "pay.css"
PATH = "/pay/static"
CARD_PATH = "/pay/static-card"

# Read in the browser: the ready page's <main>, without the card field's inputs.
SNAPSHOT_JS = """() => {
  const main = document.querySelector('main.pay:not([hidden])');
  const copy = main.cloneNode(true);
  copy.querySelectorAll('#card-element').forEach((field) => field.replaceChildren());
  copy.querySelectorAll('[id^="pay-ssr"], script').forEach((node) => node.remove());
  return {html: copy.outerHTML, lang: main.getAttribute('lang') || 'en'};
}"""

# The card field as assets/pay.js mounts it (same options), once Stripe.js has loaded.
_MOUNT_CARD = """
const mount = () => {
  const stripe = Stripe(setup.key, {locale: setup.lang});
  stripe.elements({locale: setup.lang}).create("card", {
    style: {base: {fontSize: "18px", color: "#0f172a", "::placeholder": {color: "#64748b"}}},
  }).mount("#card-element");
};
if (window.Stripe) mount(); else document.getElementById("stripe-js").addEventListener("load", mount);
"""


@dataclass(frozen=True)
class StripeSetup:
    js_url: str
    publishable_key: str


def render(main_html: str, lang: str, title: str = "Pay your invoice", stripe: StripeSetup | None = None) -> str:
    head, tail = "", ""
    if stripe is not None:
        head = f'<script id="stripe-js" src="{stripe.js_url}" async></script>'
        setup = json.dumps({"key": stripe.publishable_key, "lang": lang})
        tail = f"<script>(() => {{ const setup = {setup};{_MOUNT_CARD}}})();</script>"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>body{{margin:0}}{PAY_CSS.read_text()}</style>{head}</head>"
        f"<body>{main_html}{tail}</body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, bytes] = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.pages.get(self.path)
        if body is None:
            self.send_error(404)  # e.g. /favicon.ico
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if "gzip" in (self.headers.get("Accept-Encoding") or ""):
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # Lighthouse closes its connections abruptly


@contextmanager
def serving(pages: dict[str, str]) -> Iterator[str]:
    """Serve the pages (path -> HTML; gzip when the browser accepts it, as the app does) at the
    origin yielded."""
    handler = type("StaticPages", (_Handler,), {"pages": {path: html.encode() for path, html in pages.items()}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
