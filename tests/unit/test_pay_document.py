"""The pay page's first response: the invoice drawn on the server inside the app's page shell."""

import json
import re
from urllib.parse import urlsplit

from smslinks.api import pay_document, pay_html

VIEW = {
    "business": "Joe's <Plumbing> & Sons",
    "phone": "(512) 555-9000",
    "phone_href": "tel:+15125559000",
    "number": "1042",
    "issued_on": "Nov 2, 2026",
    "due_on": "Dec 2, 2026",
    "address": "100 Main St, Austin, TX 78701",
    "subtotal": "$250.00",
    "tax": "$0.00",
    "total": "$250.00",
    "paid": "$0.00",
    "balance": "$250.00",
    "card": True,
    "ach": True,
    "partial": False,
}
LINES = [{"description": "Water heater <flush>", "quantity": "1", "amount": "$250.00"}]


def test_the_pay_screen_escapes_what_it_shows():
    html = pay_html.page("en", VIEW, LINES)
    assert html.startswith('<main lang="en" class="pay">')
    assert "Joe's &lt;Plumbing&gt; &amp; Sons" in html and "<Plumbing>" not in html
    assert "Water heater &lt;flush&gt;" in html
    assert 'Call Joe\'s &lt;Plumbing&gt; &amp; Sons at <a href="tel:+15125559000" class="pay-link">' in html
    assert '<button aria-busy="false" class="pay-button" type="button" id="pay-card">Pay $250.00</button>' in html


def test_the_chosen_tab_is_shown_and_the_other_hidden():
    card = pay_html.page("en", VIEW, LINES, tab="card")
    assert 'id="panel-card" role="tabpanel" aria-labelledby="tab-card" class' in card
    assert 'id="panel-ach" role="tabpanel" aria-labelledby="tab-ach" hidden class' in card
    ach = pay_html.page("en", VIEW, LINES, tab="ach")
    assert 'id="panel-card" role="tabpanel" aria-labelledby="tab-card" hidden class' in ach
    only_ach = pay_html.page("en", VIEW | {"card": False}, LINES, tab="card")
    assert 'id="panel-card"' not in only_ach and 'aria-selected="true" aria-controls="panel-ach"' in only_ach


def test_spanish_partial_payment_and_no_online_payment():
    spanish = pay_html.page("es", VIEW | {"partial": True}, LINES)
    assert "Saldo pendiente" in spanish and "Pagar $250.00" in spanish and 'id="pay-partial"' in spanish
    offline = pay_html.page("en", VIEW | {"card": False, "ach": False}, LINES)
    assert "can't be paid online" in offline and 'id="pay-card"' not in offline


def test_every_other_screen_is_the_same_placeholder():
    placeholder = pay_html.page("en", None)
    assert placeholder.startswith('<div lang="en" class="pay">')
    assert "Loading your invoice" in placeholder and "<main" not in placeholder


HEAD = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
    '<link as="style" href="/assets/__reflex_global_styles-X.css" rel="preload"/>'
    '<link rel="modulepreload" href="/assets/manifest-1.js"/>'
    '<link rel="modulepreload" href="/assets/shared-1.js"/>'
    '<link href="/assets/__reflex_global_styles-X.css" rel="stylesheet" type="text/css"/>'
    '</head><body><script>window.router()</script><script type="module" async="">import "/assets/manifest-1.js";'
    'import("/assets/entry-1.js");</script></body></html>'
)
MANIFEST = {
    "routes": {
        "root": {"path": "", "module": "/assets/root-1.js", "imports": ["/assets/shared-1.js"]},
        "routes/[pay].$[token]._index": {
            "path": "pay/:token",
            "module": "/assets/pay-1.js",
            "imports": ["/assets/shared-1.js", "/assets/state-1.js"],
        },
    }
}


def _build(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "manifest-1.js").write_text(f"window.__reactRouterManifest={json.dumps(MANIFEST)};")
    (tmp_path / "pay.css").write_text(".pay{color:red}")
    (tmp_path / "__spa-fallback.html").write_text(HEAD)
    return pay_document._shell(tmp_path / "__spa-fallback.html", 1.0)


def test_the_shell_keeps_the_app_stylesheet_tags_but_loads_neither(tmp_path):
    start = _build(tmp_path).start
    assert '<link href="/assets/__reflex_global_styles-X.css" rel="stylesheet" type="text/css" disabled/>' in start
    assert '<link as="style" href="/assets/__reflex_global_styles-X.css" rel="preload" media="not all"/>' in start
    assert "<style>.pay{color:red}</style>" in start and start.endswith("</head><body>")


def test_the_app_bundle_waits_for_the_first_screen_to_be_painted(tmp_path):
    shell = _build(tmp_path)
    # Its module preloads (and the pay route's, which the shell lacked) are there, inert.
    assert '<link rel="modulepreload" href="/assets/manifest-1.js" media="not all"/>' in shell.start
    assert '<link rel="modulepreload" href="/assets/pay-1.js" media="not all"/>' in shell.start
    assert '<link rel="modulepreload" href="/assets/state-1.js" media="not all"/>' in shell.start
    assert shell.start.count('href="/assets/shared-1.js"') == 1
    assert shell.start.count('rel="modulepreload"') == shell.start.count('media="not all"') - 1 == 4
    # React Router's boot script too; the script that starts the app once the page is painted comes last.
    assert '<script type="text/x-app-boot" async="">import "/assets/manifest-1.js";' in shell.rest
    assert '<script type="module"' not in shell.rest
    assert shell.rest.endswith(f"<script>{pay_document.APP_START_JS}</script></body></html>")


def test_the_document_puts_the_first_screen_before_the_apps_scripts(tmp_path):
    html = pay_document.document(_build(tmp_path), pay_document.FirstScreen(pay_html.page("es", None), "es"))
    assert html.startswith('<!DOCTYPE html><html lang="es">')
    assert html.count("<title>") == 1 and "<title>Pague su factura</title>" in html
    drawn = html.index('<div id="pay-ssr"><div lang="es" class="pay"')
    assert drawn < html.index(pay_document.TAKEOVER_JS) < html.index("<script>window.router()</script>")
    # Nothing to pay on screen: neither Stripe.js nor the card field's script loads with it.
    assert 'href="/pay.js"' not in html and "js.stripe.com" not in html and 'id="pay-setup"' not in html


def test_a_payable_first_screen_names_stripes_setup_for_the_card_field_before_the_app(tmp_path):
    main = pay_html.page("es", VIEW, LINES)
    html = pay_document.document(_build(tmp_path), pay_document.FirstScreen(main, "es", card=True, payable=True))
    gateway = pay_document.payment_gateway()
    # Both fetched from the start, at low priority: the first paint goes first.
    stripe_js = html.index(f'<link rel="preload" as="script" fetchpriority="low" href="{gateway.js_url}"/>')
    pay_js = html.index('<link rel="modulepreload" fetchpriority="low" href="/pay.js"/>')
    assert stripe_js < pay_js < html.index("</head>")
    stripe_origin = "{0.scheme}://{0.netloc}".format(urlsplit(gateway.js_url))
    assert f'<link rel="preconnect" href="{stripe_origin}"/>' in html  # its connection is ready by then
    found = re.search(r'<script type="application/json" id="pay-setup">(.*?)</script>', html)
    assert html.index('<div id="pay-ssr">') < found.start() < html.index(pay_document.TAKEOVER_JS)
    setup = json.loads(found.group(1))
    assert setup == {
        "key": gateway.publishable_key,
        "js": gateway.js_url,
        "lang": "es",
        "withCard": True,
        "words": {"pay-card": "Procesando…", "pay-saved-card": "Procesando…", "pay-connect-bank": "Abriendo su banco…"},
    }
    assert gateway.publishable_key.startswith("pk_")  # never the secret key


def test_tips_are_drawn_with_no_tip_chosen_only_when_the_business_asks():
    options = [{"choice": "15", "id": "tip-15", "percent": "15%", "amount": "$37.50"}]
    html = pay_html.page("en", VIEW | {"tips": True}, LINES, tip_options=options)
    assert 'id="tip-none" aria-pressed="true" class="pay-tip">No tip</button>' in html
    assert (
        'id="tip-15" aria-pressed="false" class="pay-tip"><span>15%</span><span class="pay-tip-amount">$37.50' in html
    )
    assert html.index("Add a tip for your technician?") < html.index('role="tablist"')
    assert "tip-none" not in pay_html.page("en", VIEW | {"tips": False}, LINES, tip_options=options)
    assert "tip-none" not in pay_html.page("en", VIEW | {"tips": True, "card": False, "ach": False}, LINES)


def test_the_save_card_box_starts_unticked_and_a_saved_card_is_offered_in_one_tap():
    html = pay_html.page("en", VIEW, LINES)
    assert '<input type="checkbox" name="save_card" id="pay-save-card" class="pay-checkbox">' in html
    assert "Save this card for future invoices from Joe's &lt;Plumbing&gt; &amp; Sons" in html
    assert "pay-saved-card" not in html
    saved = pay_html.page("es", VIEW | {"saved_card": "Visa •••• 4242"}, LINES)
    assert ">Pagar con Visa •••• 4242</button>" in saved and "Eliminar tarjeta guardada" in saved
    assert "O pague con otra tarjeta" in saved
