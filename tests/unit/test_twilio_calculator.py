"""segment_info, smart_encode and the grapheme table against Twilio's own calculator.

The reference is the npm package sms-segments-calculator, which `make unit` and `make test` install
into .tools/node. One node process (twilio_segments.js) answers for every string; a missing node or
package fails these tests rather than skipping them.
"""

import json
import os
import random
import re
import shutil
import subprocess
from bisect import bisect_right
from pathlib import Path

import pytest

from smslinks.core import graphemes
from smslinks.core.sms_text import PayBy, invoice_text, segment_info, smart_encode

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".tools" / "node" / "node_modules"
SCRIPT = Path(__file__).with_name("twilio_segments.js")

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"
NOT_GSM = "‘’“”–—…\u00a0çáíóúâêôãõłźżćńőűŁ✓★™©"
EMOJI = [
    "🔥",
    "👍",
    "😀",
    "🎉",
    "💳",
    "🏠",
    "👍🏽",
    "👩\u200d💻",
    "👨\u200d👩\u200d👧\u200d👦",
    "🇺🇸",
    "🇲🇽🇨🇦",
    "❤\ufe0f",
    "1\ufe0f\u20e3",
    "🏳\ufe0f\u200d🌈",
    "👋🏿",
]
COMBINING = ["e\u0301", "n\u0303", "a\u0308\u0304", "\u0301", "o" + "\u0308" * 40, "u" + "\u0300" * 80]
OTHER_SCRIPTS = ["中", "文", "日本", "語", "한", "국", "\u1100\u1161\u11a8", "क्षि", "ก", "ำ", "ع", "\u0600"]
SPECIAL = [list(GSM_EXTENSION), list(NOT_GSM), EMOJI, COMBINING, OTHER_SCRIPTS, ["\r\n", "\r", "\n"]]
INVOICE_NAMES = [
    "Lone Star Heating & Air",
    "Joe’s Plumbing",
    "“Best” Electric — 24/7",
    "Café Łódź Plumbing",
    "Señor Frío HVAC",
    "Brothers {Pipe} & [Drain] | Co",
    "🔥 Hot Water Pros",
    "北京 Heating",
    "A" * 60,
    "Ça Va Électrique…",
    "O’Brien\u00a0&\u00a0Sons",
    "€uro Air ~ Heat ^",
]

# Lengths around the boundaries: GSM-7 160, 153 and 306; UCS-2 70, 67 and 134.
LENGTHS = [(150, 165), (300, 310), (65, 75), (130, 140), (0, 40)]


def random_text(rng: random.Random) -> str:
    low, high = rng.choice(LENGTHS)
    target = rng.randint(low, high)
    rare = rng.random() ** 2  # how often a piece is something other than basic GSM-7
    specials = SPECIAL if rng.random() < 0.6 else [list(GSM_EXTENSION), ["\r\n"]]  # else GSM-7 alone
    pieces, length = [], 0
    while length < target:
        if rng.random() >= rare:
            piece = rng.choice(GSM_BASIC)
        elif specials is SPECIAL and rng.random() < 0.02:  # any code point, to exercise the grapheme table
            piece = chr(rng.choice([rng.randrange(0x80, 0xD800), rng.randrange(0xE000, 0x30000)]))
        else:
            piece = rng.choice(rng.choice(specials))
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces)


# filler, a character that must not be split, its size in filler units, single and multipart limits
EDGE_CASES = [
    ("a", "€", 2, 160, 153),
    ("a", "\f", 2, 160, 153),
    ("a", "\r\n", 2, 160, 153),
    ("ç", "🔥", 2, 70, 67),
    ("ç", "👍🏽", 4, 70, 67),
    ("ç", "🇺🇸", 4, 70, 67),
    ("ç", "e\u0301", 2, 70, 67),
    ("ç", "\r\n", 2, 70, 67),
]


def edge_texts() -> list[str]:
    """The character at each position around the first segment's end, in texts whose length lands
    around one and two segments: where splitting it or not changes the count."""
    texts = []
    for filler, odd, size, single, part in EDGE_CASES:
        for before in range(part - size - 1, part + 2):
            for total in (*range(single - 1, single + 2), *range(2 * part - 1, 2 * part + 2)):
                texts.append(filler * before + odd + filler * max(0, total - before - size))
    return texts


def invoice_texts() -> list[str]:
    link = "https://pay.lonestar.example/pay/AbCdEfGhIjKlMnOpQrStUv"
    return [
        invoice_text(name, "10482", amount, link + ("?m=ach" if pay_by is PayBy.ACH else ""), pay_by)
        for name in INVOICE_NAMES
        for amount in (5000, 123456, 99999999)
        for pay_by in PayBy
    ]


def all_texts() -> list[str]:
    rng = random.Random(20261203)
    return ["", *edge_texts(), *invoice_texts(), *(random_text(rng) for _ in range(1700))]


@pytest.fixture(scope="module")
def calculator(tmp_path_factory):
    """The texts, and what the calculator answered for them."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: Twilio's calculator needs it (Debian: apt-get install nodejs)")
    texts = all_texts()
    strings = tmp_path_factory.mktemp("calculator") / "strings.json"
    strings.write_text(json.dumps(texts))
    run = subprocess.run(
        [node, str(SCRIPT), str(strings)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    if run.returncode != 0:
        pytest.fail(f"Twilio's calculator did not run (`make unit` installs it into {NODE_MODULES}):\n{run.stderr}")
    return texts, json.loads(run.stdout)


def test_segment_info_counts_every_text_as_twilios_calculator_does(calculator):
    texts, answer = calculator
    assert len(texts) >= 2000
    mismatches = []
    for text, (encoding, characters, segments) in zip(texts, answer["segments"], strict=True):
        ours = segment_info(text)
        if (ours.encoding.value, ours.characters, ours.segments) != (encoding, characters, segments):
            theirs = f"{characters} characters · {encoding} · {segments} segments"
            mismatches.append(f"ours {ours.describe()}, Twilio's {theirs}: {ascii(text)}")
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ; first ones:\n" + "\n".join(mismatches[:10])


def test_smart_encode_replaces_what_twilios_map_replaces(calculator):
    """The same lookalikes as the calculator's map; whitespace becomes one space where it writes more."""
    _, answer = calculator
    expected = {char: " " if gsm.isspace() else gsm for char, gsm in answer["smartEncodingMap"].items()}
    replaced = {chr(code): smart_encode(chr(code)) for code in range(0x10000) if smart_encode(chr(code)) != chr(code)}
    assert replaced == expected


def test_grapheme_table_is_grapheme_splitters(calculator):
    _, answer = calculator
    theirs = _grapheme_splitter_table(Path(answer["graphemeSplitter"]).read_text())
    starts = [first for first, _, _ in theirs]

    def their_property(code: int) -> str:
        index = bisect_right(starts, code) - 1
        return theirs[index][2] if index >= 0 and code <= theirs[index][1] else "Other"

    # Both tables are runs of code points; comparing at every run's edges compares them everywhere.
    edges = {0, 0x10FFFF}
    for first, last, _ in [*theirs, *graphemes._RANGES]:
        edges |= {first, last + 1}
    differ = [hex(code) for code in sorted(edges) if graphemes.break_property(chr(code)).value != their_property(code)]
    assert not differ


def _grapheme_splitter_table(source: str) -> list[tuple[int, int, str]]:
    """(first, last, property) from grapheme-splitter's getGraphemeBreakProperty, in code order."""
    body = source[source.index("function getGraphemeBreakProperty") : source.index("return Other;")]
    tokens = re.finditer(r"\(0x(\w+) <= code && code <= 0x(\w+)\)|0x(\w+) == code|return (\w+);", body)
    table, pending = [], []
    for token in tokens:
        first, last, single, prop = token.groups()
        if prop:
            table += [(low, high, prop) for low, high in pending]
            pending = []
        else:
            pending.append((int(single or first, 16), int(single or last, 16)))
    assert len(table) > 1300 and not pending
    return sorted(table)
