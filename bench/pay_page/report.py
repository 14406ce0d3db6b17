"""The results table and the verdict on each target."""

from bench.pay_page.browser import Loads
from bench.pay_page.lighthouse import Report, median

TARGET_SCORE = 99
TARGET_LCP_RATIO = 1.5  # x the script-free static page
TARGET_RATIO = 2.0
TARGET_CARD_RATIO = 1.3  # x the static page that loads Stripe.js and mounts the card field
TARGET_JS_KIB = 200


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _kib(value: float | None) -> str:
    return "-" if value is None else f"{value / 1024:,.1f} KiB"


def _row(name: str, real: str, static: str, ratio: str = "", verdict: str = "") -> None:
    print(f"{name:<36}{real:>14}{static:>14}{ratio:>9}  {verdict}")


def _verdict(met: bool, target: str) -> str:
    return f"{'met' if met else 'NOT MET'} (target {target})"


def print_report(
    real: Loads,
    static: Loads,
    static_card: Loads,
    again: Loads,
    lh_real: list[Report],
    lh_static: list[Report],
    load_before: tuple,
    load_after: tuple,
    runs: int,
) -> None:
    print(
        f"\nMedians of {runs} runs each. Load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
        " (2 cores).\n"
    )
    _row("", "real page", "static page", "ratio")
    if lh_real:
        print("Lighthouse mobile (simulated slow 4G, 4x CPU)")
        score = median(lh_real, "score")
        _row(
            "  performance score",
            f"{score:.0f}",
            f"{median(lh_static, 'score'):.0f}",
            "",
            _verdict(score >= TARGET_SCORE, f">= {TARGET_SCORE}"),
        )
        for label, name in (
            ("  first contentful paint", "fcp_ms"),
            ("  largest contentful paint", "lcp_ms"),
            ("  speed index", "speed_index_ms"),
            ("  total blocking time", "tbt_ms"),
        ):
            real_value, static_value = median(lh_real, name), median(lh_static, name)
            ratio = real_value / max(static_value, 1)
            verdict = _verdict(ratio <= TARGET_LCP_RATIO, f"<= {TARGET_LCP_RATIO}x static") if name == "lcp_ms" else ""
            _row(label, _ms(real_value), _ms(static_value), f"{ratio:.2f}x", verdict)
        _row("  cumulative layout shift", f"{median(lh_real, 'cls'):.3f}", f"{median(lh_static, 'cls'):.3f}")
        _row("  total bytes", _kib(median(lh_real, "bytes_total")), _kib(median(lh_static, "bytes_total")))
        _row("  JavaScript bytes", _kib(median(lh_real, "bytes_js")), _kib(median(lh_static, "bytes_js")))
    print("Chromium, CDP throttling (150 ms RTT, 1.6 Mbit/s down, 4x CPU)")
    payable, static_payable = real.median("payable_ms"), static.median("payable_ms")
    ratio = payable / static_payable
    _row(
        "  time to payable",
        _ms(payable),
        _ms(static_payable),
        f"{ratio:.2f}x",
        _verdict(ratio <= TARGET_RATIO, f"<= {TARGET_RATIO:.1f}x static"),
    )
    interactive = real.median("interactive_ms")
    _row(
        "  pay button wired (React)",
        _ms(interactive),
        "-",
        f"{interactive / static_payable:.2f}x" if interactive else "",
    )
    card, static_card_ms = real.median("card_ms"), static_card.median("card_ms")
    card_ratio = card / static_card_ms if card and static_card_ms else None
    _row(
        "  card field ready (Stripe.js)",
        _ms(card),
        _ms(static_card_ms),
        f"{card_ratio:.2f}x" if card_ratio else "",
        _verdict(card_ratio is not None and card_ratio <= TARGET_CARD_RATIO, f"<= {TARGET_CARD_RATIO}x static"),
    )
    js = real.median("js_before_stripe")
    _row(
        "  JavaScript before Stripe.js",
        _kib(js),
        _kib(static.median("js_before_stripe")),
        "",
        _verdict(js <= TARGET_JS_KIB * 1024, f"<= {TARGET_JS_KIB} KiB"),
    )
    _row("  all JavaScript (incl. Stripe.js)", _kib(real.median("js_total")), _kib(static.median("js_total")))
    _row("  all bytes transferred", _kib(real.median("bytes_total")), _kib(static.median("bytes_total")))
    print("Opening the link again (same browser, files cached)")
    _row("  time to payable", _ms(again.median("payable_ms")), "")
    _row("  pay button wired (React)", _ms(again.median("interactive_ms")), "")
    _row("  card field ready (Stripe.js)", _ms(again.median("card_ms")), "")
    _row("  bytes transferred", _kib(again.median("bytes_total")), "")
    if lh_real:
        print(f"\nLCP element (real page): {lh_real[-1].lcp_element[:100]}")
    print(
        "Static page: the ready page's markup and pay.css, no script (card field ready: the same page also"
        " loading Stripe.js and mounting the card field with a few lines of plain script)."
    )
    print(
        "JavaScript bytes are compressed, as transferred (headers included); 'before Stripe.js' = every script"
        " the page requested before it requested Stripe's script (js.stripe.com; in sandbox mode the sandbox"
        " Stripe server's copy at /js.stripe.com/v3/)."
    )
