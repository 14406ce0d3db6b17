"""User-perceived characters (grapheme clusters), split exactly as Twilio's segment calculator
splits them: it uses the npm package grapheme-splitter 1.0.4 (UAX #29 for Unicode 10.0), so this is
a port of that package's rules and table, quirks included, not of today's Unicode. A UCS-2 text is
counted and cut into segments by these clusters, so an emoji with a skin tone, a flag or a letter
with a combining accent is one character and never split across two segments.

tests/unit/test_twilio_calculator.py checks the table below against the package's own source.
"""

from bisect import bisect_right
from enum import Enum
from functools import lru_cache


class Break(Enum):
    """Grapheme_Cluster_Break property values, as grapheme-splitter names them."""

    PREPEND = "Prepend"
    CR = "CR"
    LF = "LF"
    CONTROL = "Control"
    EXTEND = "Extend"
    REGIONAL_INDICATOR = "Regional_Indicator"
    SPACING_MARK = "SpacingMark"
    L = "L"
    V = "V"
    T = "T"
    LV = "LV"
    LVT = "LVT"
    E_BASE = "E_Base"
    E_MODIFIER = "E_Modifier"
    ZWJ = "ZWJ"
    GLUE_AFTER_ZWJ = "Glue_After_Zwj"
    E_BASE_GAZ = "E_Base_GAZ"
    OTHER = "Other"


# Code point ranges (hex) of each property; Hangul syllables (LV, LVT) are computed instead.
_TABLE = {
    Break.PREPEND: "600-605 6DD 70F 8E2 D4E 110BD 111C2-111C3 11A3A 11A86-11A89 11D46",
    Break.CR: "D",
    Break.LF: "A",
    Break.CONTROL: (
        "0-9 B-C E-1F 7F-9F AD 61C 180E 200B 200E-200F 2028-202E 2060-206F D800-DFFF FEFF FFF0-FFFB "
        "1BCA0-1BCA3 1D173-1D17A E0000-E001F E0080-E00FF E01F0-E0FFF"
    ),
    Break.EXTEND: (
        "300-36F 483-489 591-5BD 5BF 5C1-5C2 5C4-5C5 5C7 610-61A 64B-65F 670 6D6-6DC 6DF-6E4 6E7-6E8 "
        "6EA-6ED 711 730-74A 7A6-7B0 7EB-7F3 816-819 81B-823 825-827 829-82D 859-85B 8D4-8E1 8E3-902 93A "
        "93C 941-948 94D 951-957 962-963 981 9BC 9BE 9C1-9C4 9CD 9D7 9E2-9E3 A01-A02 A3C A41-A42 A47-A48 "
        "A4B-A4D A51 A70-A71 A75 A81-A82 ABC AC1-AC5 AC7-AC8 ACD AE2-AE3 AFA-AFF B01 B3C B3E-B3F B41-B44 "
        "B4D B56-B57 B62-B63 B82 BBE BC0 BCD BD7 C00 C3E-C40 C46-C48 C4A-C4D C55-C56 C62-C63 C81 CBC CBF "
        "CC2 CC6 CCC-CCD CD5-CD6 CE2-CE3 D00-D01 D3B-D3C D3E D41-D44 D4D D57 D62-D63 DCA DCF DD2-DD4 DD6 "
        "DDF E31 E34-E3A E47-E4E EB1 EB4-EB9 EBB-EBC EC8-ECD F18-F19 F35 F37 F39 F71-F7E F80-F84 F86-F87 "
        "F8D-F97 F99-FBC FC6 102D-1030 1032-1037 1039-103A 103D-103E 1058-1059 105E-1060 1071-1074 1082 "
        "1085-1086 108D 109D 135D-135F 1712-1714 1732-1734 1752-1753 1772-1773 17B4-17B5 17B7-17BD 17C6 "
        "17C9-17D3 17DD 180B-180D 1885-1886 18A9 1920-1922 1927-1928 1932 1939-193B 1A17-1A18 1A1B 1A56 "
        "1A58-1A5E 1A60 1A62 1A65-1A6C 1A73-1A7C 1A7F 1AB0-1ABE 1B00-1B03 1B34 1B36-1B3A 1B3C 1B42 "
        "1B6B-1B73 1B80-1B81 1BA2-1BA5 1BA8-1BA9 1BAB-1BAD 1BE6 1BE8-1BE9 1BED 1BEF-1BF1 1C2C-1C33 "
        "1C36-1C37 1CD0-1CD2 1CD4-1CE0 1CE2-1CE8 1CED 1CF4 1CF8-1CF9 1DC0-1DF9 1DFB-1DFF 200C 20D0-20F0 "
        "2CEF-2CF1 2D7F 2DE0-2DFF 302A-302F 3099-309A A66F-A672 A674-A67D A69E-A69F A6F0-A6F1 A802 A806 "
        "A80B A825-A826 A8C4-A8C5 A8E0-A8F1 A926-A92D A947-A951 A980-A982 A9B3 A9B6-A9B9 A9BC A9E5 "
        "AA29-AA2E AA31-AA32 AA35-AA36 AA43 AA4C AA7C AAB0 AAB2-AAB4 AAB7-AAB8 AABE-AABF AAC1 AAEC-AAED "
        "AAF6 ABE5 ABE8 ABED FB1E FE00-FE0F FE20-FE2F FF9E-FF9F 101FD 102E0 10376-1037A 10A01-10A03 "
        "10A05-10A06 10A0C-10A0F 10A38-10A3A 10A3F 10AE5-10AE6 11001 11038-11046 1107F-11081 110B3-110B6 "
        "110B9-110BA 11100-11102 11127-1112B 1112D-11134 11173 11180-11181 111B6-111BE 111CA-111CC "
        "1122F-11231 11234 11236-11237 1123E 112DF 112E3-112EA 11300-11301 1133C 1133E 11340 11357 "
        "11366-1136C 11370-11374 11438-1143F 11442-11444 11446 114B0 114B3-114B8 114BA 114BD 114BF-114C0 "
        "114C2-114C3 115AF 115B2-115B5 115BC-115BD 115BF-115C0 115DC-115DD 11633-1163A 1163D 1163F-11640 "
        "116AB 116AD 116B0-116B5 116B7 1171D-1171F 11722-11725 11727-1172B 11A01-11A06 11A09-11A0A "
        "11A33-11A38 11A3B-11A3E 11A47 11A51-11A56 11A59-11A5B 11A8A-11A96 11A98-11A99 11C30-11C36 "
        "11C38-11C3D 11C3F 11C92-11CA7 11CAA-11CB0 11CB2-11CB3 11CB5-11CB6 11D31-11D36 11D3A 11D3C-11D3D "
        "11D3F-11D45 11D47 16AF0-16AF4 16B30-16B36 16F8F-16F92 1BC9D-1BC9E 1D165 1D167-1D169 1D16E-1D172 "
        "1D17B-1D182 1D185-1D18B 1D1AA-1D1AD 1D242-1D244 1DA00-1DA36 1DA3B-1DA6C 1DA75 1DA84 1DA9B-1DA9F "
        "1DAA1-1DAAF 1E000-1E006 1E008-1E018 1E01B-1E021 1E023-1E024 1E026-1E02A 1E8D0-1E8D6 1E944-1E94A "
        "E0020-E007F E0100-E01EF"
    ),
    Break.REGIONAL_INDICATOR: "1F1E6-1F1FF",
    Break.SPACING_MARK: (
        "903 93B 93E-940 949-94C 94E-94F 982-983 9BF-9C0 9C7-9C8 9CB-9CC A03 A3E-A40 A83 ABE-AC0 AC9 ACB- "
        "ACC B02-B03 B40 B47-B48 B4B-B4C BBF BC1-BC2 BC6-BC8 BCA-BCC C01-C03 C41-C44 C82-C83 CBE CC0-CC1 "
        "CC3-CC4 CC7-CC8 CCA-CCB D02-D03 D3F-D40 D46-D48 D4A-D4C D82-D83 DD0-DD1 DD8-DDE DF2-DF3 E33 EB3 "
        "F3E-F3F F7F 1031 103B-103C 1056-1057 1084 17B6 17BE-17C5 17C7-17C8 1923-1926 1929-192B 1930-1931 "
        "1933-1938 1A19-1A1A 1A55 1A57 1A6D-1A72 1B04 1B35 1B3B 1B3D-1B41 1B43-1B44 1B82 1BA1 1BA6-1BA7 "
        "1BAA 1BE7 1BEA-1BEC 1BEE 1BF2-1BF3 1C24-1C2B 1C34-1C35 1CE1 1CF2-1CF3 1CF7 A823-A824 A827 "
        "A880-A881 A8B4-A8C3 A952-A953 A983 A9B4-A9B5 A9BA-A9BB A9BD-A9C0 AA2F-AA30 AA33-AA34 AA4D AAEB "
        "AAEE-AAEF AAF5 ABE3-ABE4 ABE6-ABE7 ABE9-ABEA ABEC 11000 11002 11082 110B0-110B2 110B7-110B8 "
        "1112C 11182 111B3-111B5 111BF-111C0 1122C-1122E 11232-11233 11235 112E0-112E2 11302-11303 1133F "
        "11341-11344 11347-11348 1134B-1134D 11362-11363 11435-11437 11440-11441 11445 114B1-114B2 114B9 "
        "114BB-114BC 114BE 114C1 115B0-115B1 115B8-115BB 115BE 11630-11632 1163B-1163C 1163E 116AC "
        "116AE-116AF 116B6 11720-11721 11726 11A07-11A08 11A39 11A57-11A58 11A97 11C2F 11C3E 11CA9 11CB1 "
        "11CB4 16F51-16F7E 1D166 1D16D"
    ),
    Break.L: "1100-115F A960-A97C",
    Break.V: "1160-11A7 D7B0-D7C6",
    Break.T: "11A8-11FF D7CB-D7FB",
    Break.E_BASE: (
        "261D 26F9 270A-270D 1F385 1F3C2-1F3C4 1F3C7 1F3CA-1F3CC 1F442-1F443 1F446-1F450 1F46E "
        "1F470-1F478 1F47C 1F481-1F483 1F485-1F487 1F4AA 1F574-1F575 1F57A 1F590 1F595-1F596 1F645-1F647 "
        "1F64B-1F64F 1F6A3 1F6B4-1F6B6 1F6C0 1F6CC 1F918-1F91C 1F91E-1F91F 1F926 1F930-1F939 1F93D-1F93E "
        "1F9D1-1F9DD"
    ),
    Break.E_MODIFIER: "1F3FB-1F3FF",
    Break.ZWJ: "200D",
    Break.GLUE_AFTER_ZWJ: (
        "2640 2642 2695-2696 2708 2764 1F308 1F33E 1F373 1F393 1F3A4 1F3A8 1F3EB 1F3ED 1F48B 1F4BB-1F4BC "
        "1F527 1F52C 1F5E8 1F680 1F692"
    ),
    Break.E_BASE_GAZ: "1F466-1F469",
}

_HANGUL_SYLLABLES = range(0xAC00, 0xD7A4)
_HANGUL_T_COUNT = 28  # an LV syllable is followed by the 27 LVT syllables built on it


def _ranges() -> list[tuple[int, int, Break]]:
    ranges = []
    for prop, spans in _TABLE.items():
        for span in spans.split():
            first, _, last = span.partition("-")
            ranges.append((int(first, 16), int(last or first, 16), prop))
    return sorted(ranges, key=lambda r: r[0])


_RANGES = _ranges()
_STARTS = [first for first, _, _ in _RANGES]


@lru_cache(maxsize=4096)
def break_property(char: str) -> Break:
    code = ord(char)
    if code in _HANGUL_SYLLABLES:
        return Break.LV if (code - _HANGUL_SYLLABLES.start) % _HANGUL_T_COUNT == 0 else Break.LVT
    index = bisect_right(_STARTS, code) - 1
    if index >= 0 and code <= _RANGES[index][1]:
        return _RANGES[index][2]
    return Break.OTHER


def split(text: str) -> list[str]:
    """The text's grapheme clusters, in order."""
    properties = [break_property(char) for char in text]
    clusters = []
    start = 0
    while start < len(text):
        end = _cluster_end(properties, start)
        clusters.append(text[start:end])
        start = end
    return clusters


def _cluster_end(properties: list[Break], start: int) -> int:
    first = properties[start]
    for index in range(start + 1, len(properties)):
        if _breaks(first, properties[start + 1 : index], properties[index]):
            return index
    return len(properties)


_CONTROLS = (Break.CONTROL, Break.CR, Break.LF)
_EMOJI_BASES = (Break.E_BASE, Break.E_BASE_GAZ)


def _breaks(first: Break, between: list[Break], following: Break) -> bool:
    """grapheme-splitter's shouldBreak, rule for rule. Its rules look at the whole cluster so far
    (first, then between) where UAX #29 looks only back to the last base; kept as it is."""
    if first is following is Break.OTHER and not between:  # most text: settled by GB999 below
        return True
    seen = [first, *between, following]
    previous = seen[-2]
    # Lookahead terminators of GB10 and GB12/13.
    if Break.E_MODIFIER in seen:
        modifier = _last_index(seen, Break.E_MODIFIER)
        if modifier > 1 and _all_are(seen[1:modifier], Break.EXTEND) and first not in (Break.EXTEND, *_EMOJI_BASES):
            return True
    if Break.REGIONAL_INDICATOR in seen:
        indicator = _last_index(seen, Break.REGIONAL_INDICATOR)
        if (
            indicator > 0
            and _all_are(seen[1:indicator], Break.REGIONAL_INDICATOR)
            and previous not in (Break.PREPEND, Break.REGIONAL_INDICATOR)
        ):
            return True
    if previous is Break.CR and following is Break.LF:  # GB3
        return False
    if previous in _CONTROLS or following in _CONTROLS:  # GB4, GB5
        return True
    if previous is Break.L and following in (Break.L, Break.V, Break.LV, Break.LVT):  # GB6
        return False
    if previous in (Break.LV, Break.V) and following in (Break.V, Break.T):  # GB7
        return False
    if previous in (Break.LVT, Break.T) and following is Break.T:  # GB8
        return False
    if following in (Break.EXTEND, Break.ZWJ, Break.SPACING_MARK) or previous is Break.PREPEND:  # GB9, 9a, 9b
        return False
    # GB10, where the base is looked for just before the last Extend anywhere in the cluster.
    base = _last_index(seen, Break.EXTEND) - 1 if Break.EXTEND in seen else len(seen) - 2
    if (
        base >= 0
        and seen[base] in _EMOJI_BASES
        and _all_are(seen[base + 1 : -1], Break.EXTEND)
        and following is Break.E_MODIFIER
    ):
        return False
    if previous is Break.ZWJ and following in (Break.GLUE_AFTER_ZWJ, Break.E_BASE_GAZ):  # GB11
        return False
    if Break.REGIONAL_INDICATOR in between:  # GB12, GB13: flags are pairs
        return True
    return not (previous is Break.REGIONAL_INDICATOR and following is Break.REGIONAL_INDICATOR)


def _last_index(items: list[Break], wanted: Break) -> int:
    return len(items) - 1 - items[::-1].index(wanted)


def _all_are(items: list[Break], wanted: Break) -> bool:
    return all(item is wanted for item in items)
