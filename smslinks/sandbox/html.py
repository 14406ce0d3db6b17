"""Plain server-rendered HTML for the sandbox's developer pages (Dev phone, mail sink)."""

import re
from html import escape

URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING_PUNCTUATION = ".,;:!?)]}"

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2024;background:#f3f5f7}
header{background:#0d5f5a;color:#fff}
header .bar{max-width:760px;margin:0 auto;padding:12px 16px;display:flex;gap:20px;align-items:baseline;flex-wrap:wrap}
header .brand{font-weight:600}
header nav{display:flex;gap:14px}
header nav a{color:#cdeeea}
header nav a[aria-current]{color:#fff;font-weight:600}
main{max-width:760px;margin:0 auto;padding:16px}
main h1{font-size:22px;margin:4px 0 4px}
.intro{color:#555;margin:0 0 16px}
.card{background:#fff;border:1px solid #dde2e6;border-radius:10px;margin:0 0 16px;overflow:hidden}
.card h2{font-size:16px;margin:0;padding:10px 14px;border-bottom:1px solid #e6eaee;display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap}
.card h2 small{font-weight:400;color:#667}
.thread{padding:12px 14px;display:flex;flex-direction:column;gap:8px}
@media (min-width:600px){.thread{max-height:460px;overflow-y:auto}}
.bubble{max-width:85%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.bubble.in{align-self:flex-start;background:#e9edf0;border-bottom-left-radius:4px}
.bubble.out{align-self:flex-end;background:#0d7c74;color:#fff;border-bottom-right-radius:4px}
.bubble.out a{color:#fff}
.meta{display:block;font-size:12px;opacity:.75;margin-top:4px;white-space:normal}
.note{align-self:center;font-size:13px;color:#8a4b00;background:#fff4e0;border-radius:8px;padding:4px 10px}
.status-delivered{color:#126b2f}.status-undelivered,.status-failed{color:#b42318}
.bubble.in .status-undelivered,.bubble.in .status-failed{font-weight:600}
form.reply{display:flex;gap:8px;flex-wrap:wrap;padding:10px 14px;border-top:1px solid #e6eaee;background:#fafbfc}
form.reply input[type=text]{flex:1 1 200px;min-width:0;padding:9px 10px;font:inherit;border:1px solid #c5ccd3;border-radius:8px}
button{font:inherit;padding:8px 14px;border-radius:8px;border:1px solid #0d7c74;background:#0d7c74;color:#fff;cursor:pointer}
button.quick{background:#fff;color:#0d7c74}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.empty{color:#667;text-align:center;padding:40px 0}
dl.mailhead{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:0;padding:10px 14px;font-size:14px}
dl.mailhead dt{color:#667}dl.mailhead dd{margin:0;overflow-wrap:anywhere}
.mailbody{padding:10px 14px;border-top:1px solid #e6eaee;white-space:pre-wrap;overflow-wrap:anywhere}
"""

# Refreshes the live region without losing what the person is typing in a reply box.
LIVE_SCRIPT = """
(function(){
  const live = document.getElementById('live');
  const scrollThreads = () => live.querySelectorAll('.thread').forEach(t => { t.scrollTop = t.scrollHeight; });
  let last = null;
  async function refresh(){
    try {
      const response = await fetch(live.dataset.src, {cache: 'no-store'});
      if (!response.ok) return;
      const html = await response.text();
      if (html === last) return;
      last = html;
      const drafts = {};
      live.querySelectorAll('form[data-number]').forEach(f => { drafts[f.dataset.number] = f.elements.body.value; });
      const focused = document.activeElement && document.activeElement.form ? document.activeElement.form.dataset.number : null;
      live.innerHTML = html;
      live.querySelectorAll('form[data-number]').forEach(f => {
        if (drafts[f.dataset.number]) f.elements.body.value = drafts[f.dataset.number];
        if (f.dataset.number === focused) f.elements.body.focus();
      });
      scrollThreads();
    } catch (error) { /* the sandbox restarted: try again next tick */ }
  }
  scrollThreads();
  setInterval(refresh, 1500);
})();
"""


def linkify(text: str) -> str:
    """Escape the text and turn http(s) URLs into links."""
    parts = []
    position = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(TRAILING_PUNCTUATION)
        end = match.start() + len(url)
        parts.append(escape(text[position : match.start()]))
        parts.append(f'<a href="{escape(url)}" target="_blank" rel="noopener">{escape(url)}</a>')
        position = end
    parts.append(escape(text[position:]))
    return "".join(parts)


def page(title: str, current: str, live_src: str, content: str, intro: str) -> str:
    links = [("/dev-phone", "Dev phone"), ("/mail", "Mail")]
    nav = "".join(
        f'<a href="{href}"{" aria-current=page" if href == current else ""}>{label}</a>' for href, label in links
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · smslinks sandbox</title><style>{STYLE}</style></head>
<body><header><div class="bar"><span class="brand">smslinks sandbox</span><nav aria-label="Sandbox">{nav}</nav></div></header>
<main><h1>{escape(title)}</h1><p class="intro">{intro}</p><div id="live" data-src="{live_src}" aria-live="polite">{content}</div></main>
<script>{LIVE_SCRIPT}</script></body></html>"""
