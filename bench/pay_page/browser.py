"""Time to payable in Chromium under CDP throttling (slow 4G, 4x CPU), and the bytes behind it.

"Payable" = the amount due is visible and a "Pay $…" button is visible and enabled. The page marks
the moment itself (performance.now(), relative to navigation start): after any DOM change it looks
in the next animation frame, the frame that paints it. Two more marks, on the real page only:
"interactive" = the pay button is React's (its click handler attached), "card ready" = Stripe's
card field is mounted (an iframe with Stripe.js, inputs with the sandbox's Stripe.js).
"""

import statistics
from dataclasses import dataclass, field

from playwright.sync_api import Browser

SLOW_4G = {
    "offline": False,
    "latency": 150,  # ms round trip, as Lighthouse's simulated slow 4G
    "downloadThroughput": 1638.4 * 1024 / 8,  # 1.6 Mbit/s in bytes/s
    "uploadThroughput": 750 * 1024 / 8,
}
CPU_SLOWDOWN = 4
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
STRIPE_SCRIPT = "js.stripe.com"

MARKS_JS = """
(() => {
  const marks = (window.__payMarks = {});
  const shown = (el) => !!el && el.isConnected && el.checkVisibility() && el.getClientRects().length > 0;
  const payButton = () =>
    [...document.querySelectorAll('button')].find((b) => /^\\s*(Pay|Pagar) \\$/.test(b.textContent) && shown(b));
  // Checked once per frame, in the frame's animation callback (the layout it reads is the one the
  // frame paints): no extra layout work for the page, which a check on every DOM change would add.
  const check = () => {
    scheduled = false;
    const now = performance.now();
    const amount = document.querySelector('#balance-due');
    const button = payButton();
    if (shown(amount) && /\\$\\d/.test(amount.textContent) && button && !button.disabled) {
      marks.payable ??= now;
      if (Object.keys(button).some((key) => key.startsWith('__reactProps'))) marks.interactive ??= now;
    }
    if (document.querySelector('#card-element iframe, #card-element input')) marks.card ??= now;
  };
  let scheduled = false;
  new MutationObserver(() => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(check);
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""


@dataclass
class Load:
    payable_ms: float
    interactive_ms: float | None
    card_ms: float | None
    js_before_stripe: int  # compressed bytes (as transferred) of scripts requested before Stripe.js
    js_total: int
    bytes_total: int
    stripe_requested: bool


@dataclass
class Loads:
    runs: list[Load] = field(default_factory=list)

    def median(self, name: str) -> float | None:
        values = [getattr(run, name) for run in self.runs if getattr(run, name) is not None]
        return statistics.median(values) if values else None


# What each page's load waits for (the marks above).
REAL = "m.payable && m.interactive && m.card"
STATIC = "m.payable"
STATIC_CARD = "m.payable && m.card"


def load_once(browser: Browser, url: str, wanted: str, warm: bool = False, timeout_ms: int = 60_000) -> Load:
    """One load in a new browser context (empty cache, no cookies), until the marks `wanted` are
    set; warm: a second visit, measured after a first one filled the cache (the customer opening
    the link again)."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.add_init_script(MARKS_JS)
        if warm:
            page.goto(url)
            page.wait_for_function(
                f"(() => {{ const m = window.__payMarks; return !!(m && {wanted}); }})()",
                timeout=timeout_ms,
                polling=100,
            )
        cdp = context.new_cdp_session(page)
        requests: dict[str, dict] = {}

        def sent(event):
            requests.setdefault(event["requestId"], {}).update(
                url=event["request"]["url"], type=event.get("type"), at=event["timestamp"]
            )

        def finished(event):
            requests.setdefault(event["requestId"], {})["bytes"] = event["encodedDataLength"]

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.loadingFinished", finished)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        page.wait_for_function(
            f"(() => {{ const m = window.__payMarks; return !!(m && {wanted}); }})()",
            timeout=timeout_ms,
            polling=100,
        )
        marks = page.evaluate("window.__payMarks")
        page.wait_for_load_state("load", timeout=timeout_ms)
        page.wait_for_timeout(500)  # let the last responses finish counting
        return _summarise(requests, marks)
    finally:
        context.close()


def _summarise(requests: dict[str, dict], marks: dict) -> Load:
    stripe_at = min((r["at"] for r in requests.values() if STRIPE_SCRIPT in r.get("url", "")), default=None)
    scripts = [r for r in requests.values() if r.get("type") == "Script"]
    before = [r for r in scripts if stripe_at is None or (r["at"] < stripe_at and STRIPE_SCRIPT not in r["url"])]
    return Load(
        payable_ms=marks["payable"],
        interactive_ms=marks.get("interactive"),
        card_ms=marks.get("card"),
        js_before_stripe=sum(r.get("bytes", 0) for r in before),
        js_total=sum(r.get("bytes", 0) for r in scripts),
        bytes_total=sum(r.get("bytes", 0) for r in requests.values()),
        stripe_requested=stripe_at is not None,
    )
