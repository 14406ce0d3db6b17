"""The customer pay page against the physical limit, in one run.

    .venv/bin/python -m bench.pay_page [--runs 5] [--no-lighthouse]

Builds and starts the real app in production mode (sandbox servers, demo data, free ports), mints a
payment link for a demo invoice through core, snapshots the ready page into two static HTML files
served by a tiny local server (one without script; one that loads the same Stripe.js and mounts
the card field), then measures them, runs interleaved so that machine load hits all alike:
Lighthouse mobile (score, LCP, bytes; real and script-free static page) and time to payable and
card field ready in Chromium under CDP throttling. Prints medians, the ratios measured in this run
and whether each target is met. Lighthouse reports and screenshots land in bench/results/pay_page/.
"""

import argparse
import os
import signal
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.pay_page import browser as timing
from bench.pay_page import lighthouse, static_page
from bench.pay_page.report import print_report
from bench.pay_page.stack import mint_demo_link, running_app
from smslinks.config import PROJECT_ROOT
from smslinks.providers.stripe_payments import StripePayments
from smslinks.sandbox.runner import CHROMIUM, CHROMIUM_ARGS

RESULTS = PROJECT_ROOT / "bench" / "results" / "pay_page"


def _snapshot(browser, url: str, stripe: static_page.StripeSetup) -> tuple[str, str]:
    """The ready real page as static HTML, without and with the card field (and screenshots, to
    compare the look)."""
    context = browser.new_context(**timing.PHONE)
    try:
        page = context.new_page()
        page.add_init_script(timing.MARKS_JS)
        page.goto(url)
        page.wait_for_function("(() => { const m = window.__payMarks; return !!(m && m.card); })()", timeout=60_000)
        page.screenshot(path=str(RESULTS / "real.png"), full_page=True)
        snapshot = page.evaluate(static_page.SNAPSHOT_JS)
        html = static_page.render(snapshot["html"], snapshot["lang"], page.title())
        page.set_content(html)
        page.screenshot(path=str(RESULTS / "static.png"), full_page=True)
        return html, static_page.render(snapshot["html"], snapshot["lang"], page.title(), stripe)
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="loads per page and measure (median reported)")
    parser.add_argument("--no-lighthouse", action="store_true", help="only time to payable and bytes")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # unwinds: the app and sandbox servers stop too
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.no_lighthouse:
        lighthouse.ensure_installed()
    load_before = os.getloadavg()
    print("Building and starting the app (production mode)...", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-pay-page-") as work, running_app(Path(work)) as app:
        _invoice_id, token = mint_demo_link(app)
        real_url = f"{app.url}/pay/{token}"
        print(f"Real page:   {app.url}/pay/<token> (a demo invoice, link minted through core)", flush=True)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"Chromium {chromium.version}; Lighthouse {lighthouse.VERSION} (npm)", flush=True)
            gateway = StripePayments(app.settings)
            stripe = static_page.StripeSetup(gateway.js_url, gateway.publishable_key)
            html, card_html = _snapshot(chromium, real_url, stripe)
            (RESULTS / "static.html").write_text(html)
            (RESULTS / "static-card.html").write_text(card_html)
            pages = {static_page.PATH: html, static_page.CARD_PATH: card_html}
            with static_page.serving(pages) as static_origin:
                static_url, card_url = static_origin + static_page.PATH, static_origin + static_page.CARD_PATH
                print(f"Static page: {static_url} ({len(html.encode()):,} bytes of HTML)", flush=True)
                print(f"Static page with the card field: {card_url} (Stripe.js from {stripe.js_url})", flush=True)
                real, static, static_card, again = timing.Loads(), timing.Loads(), timing.Loads(), timing.Loads()
                for run in range(args.runs):
                    real.runs.append(timing.load_once(chromium, real_url, timing.REAL))
                    static.runs.append(timing.load_once(chromium, static_url, timing.STATIC))
                    static_card.runs.append(timing.load_once(chromium, card_url, timing.STATIC_CARD))
                    again.runs.append(timing.load_once(chromium, real_url, timing.REAL, warm=True))
                    print(
                        f"  run {run + 1}/{args.runs}: time to payable real {real.runs[-1].payable_ms:.0f} ms,"
                        f" static {static.runs[-1].payable_ms:.0f} ms;"
                        f" card ready real {real.runs[-1].card_ms:.0f} ms,"
                        f" static with Stripe.js {static_card.runs[-1].card_ms:.0f} ms;"
                        f" real page again (cached): payable {again.runs[-1].payable_ms:.0f} ms",
                        flush=True,
                    )
                chromium.close()
                lh_real, lh_static = [], []
                if not args.no_lighthouse:
                    for run in range(args.runs):
                        lh_real.append(lighthouse.run(real_url, RESULTS / f"lighthouse-real-{run + 1}.json"))
                        lh_static.append(lighthouse.run(static_url, RESULTS / f"lighthouse-static-{run + 1}.json"))
                        print(
                            f"  Lighthouse, run {run + 1}/{args.runs}: real {lh_real[-1].score:.0f},"
                            f" static {lh_static[-1].score:.0f}",
                            flush=True,
                        )
    print_report(real, static, static_card, again, lh_real, lh_static, load_before, os.getloadavg(), args.runs)


if __name__ == "__main__":
    main()
