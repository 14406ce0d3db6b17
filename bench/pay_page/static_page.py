"""The physical limit: the same invoice as plain HTML and CSS, no script, from a tiny local server.

The page is a snapshot of what the real pay page shows once it is ready (its <main> element, taken
from the running app in a browser) with assets/pay.css inlined: same words, same markup, same look.
Stripe's card field is left empty (it needs Stripe.js, which a static page does not load).
"""

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from smslinks.config import PROJECT_ROOT

PAY_CSS = PROJECT_ROOT / "assets" / "pay.css"
PATH = "/pay/static"

# Read in the browser: the ready page's <main>, without the card field's inputs.
SNAPSHOT_JS = """() => {
  const main = document.querySelector('main.pay:not([hidden])');
  const copy = main.cloneNode(true);
  copy.querySelectorAll('#card-element').forEach((field) => field.replaceChildren());
  copy.querySelectorAll('[id^="pay-ssr"], script').forEach((node) => node.remove());
  return {html: copy.outerHTML, lang: main.getAttribute('lang') || 'en'};
}"""


def render(main_html: str, lang: str, title: str = "Pay your invoice") -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>body{{margin:0}}{PAY_CSS.read_text()}</style></head>"
        f"<body>{main_html}</body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    page: bytes = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path != PATH:
            self.send_error(404)  # e.g. /favicon.ico
            return
        body = self.page
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
def serving(html: str) -> Iterator[str]:
    """Serve the page (gzip when the browser accepts it, as the app does) at the URL yielded."""
    handler = type("StaticPage", (_Handler,), {"page": html.encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}{PATH}"
    finally:
        server.shutdown()
        server.server_close()
