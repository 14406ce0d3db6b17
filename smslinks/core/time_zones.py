"""A service location's time zone from its postal code, and zones named the way people say them.

Quiet hours are the recipient's local time, so a location's zone comes from its address; the
business's zone is only a fallback for a code we cannot place. US ZIP codes are looked up in the
offline `zipcodes` data; a Canadian postal code's first letter names its province.
"""

import re
from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import zipcodes

_US_ZIP = re.compile(r"(\d{5})(?:[ -]?\d{4})?")
_CANADIAN = re.compile(r"([ABCEGHJ-NPRSTVXY]\d[A-Z]) ?\d[A-Z]\d")

# Province by the postal code's first letter. Ontario's northwest keeps Central Time and a few
# corners of other provinces differ too; the province's main zone is close enough for quiet hours.
_PROVINCE_ZONES = {
    "A": "America/St_Johns",  # NL
    "B": "America/Halifax",  # NS
    "C": "America/Halifax",  # PE
    "E": "America/Moncton",  # NB
    "G": "America/Toronto",
    "H": "America/Toronto",
    "J": "America/Toronto",  # QC
    "K": "America/Toronto",
    "L": "America/Toronto",
    "M": "America/Toronto",  # ON
    "N": "America/Toronto",
    "P": "America/Toronto",  # ON
    "R": "America/Winnipeg",  # MB
    "S": "America/Regina",  # SK
    "T": "America/Edmonton",  # AB
    "V": "America/Vancouver",  # BC
    "X": "America/Yellowknife",  # NT
    "Y": "America/Whitehorse",  # YT
}
# Nunavut shares X with the Northwest Territories and spans three zones, one per region.
_AREA_ZONES = {"X0A": "America/Iqaluit", "X0B": "America/Cambridge_Bay", "X0C": "America/Rankin_Inlet"}

_NAMES = {
    "Eastern Time": (
        "America/New_York",
        "America/Detroit",
        "America/Toronto",
        "America/Montreal",
        "America/Iqaluit",
        "America/Indiana/Indianapolis",
        "America/Indiana/Marengo",
        "America/Indiana/Petersburg",
        "America/Indiana/Vevay",
        "America/Indiana/Vincennes",
        "America/Indiana/Winamac",
        "America/Kentucky/Louisville",
        "America/Kentucky/Monticello",
        "US/Eastern",
    ),
    "Central Time": (
        "America/Chicago",
        "America/Menominee",
        "America/Indiana/Knox",
        "America/Indiana/Tell_City",
        "America/North_Dakota/Beulah",
        "America/North_Dakota/Center",
        "America/North_Dakota/New_Salem",
        "America/Winnipeg",
        "America/Rankin_Inlet",
        "US/Central",
    ),
    "Central Time (Saskatchewan, no DST)": ("America/Regina", "America/Swift_Current"),
    "Mountain Time": (
        "America/Denver",
        "America/Boise",
        "America/Edmonton",
        "America/Yellowknife",
        "America/Cambridge_Bay",
        "America/Inuvik",
        "US/Mountain",
    ),
    "Mountain Time (Arizona, no DST)": ("America/Phoenix", "US/Arizona"),
    "Mountain Time (Yukon, no DST)": ("America/Whitehorse", "America/Dawson"),
    "Pacific Time": ("America/Los_Angeles", "America/Vancouver", "US/Pacific"),
    "Alaska Time": (
        "America/Anchorage",
        "America/Juneau",
        "America/Sitka",
        "America/Nome",
        "America/Yakutat",
        "America/Metlakatla",
        "US/Alaska",
    ),
    "Hawaii Time": ("Pacific/Honolulu", "US/Hawaii"),
    "Hawaii-Aleutian Time": ("America/Adak",),
    "Atlantic Time": ("America/Halifax", "America/Moncton", "America/Glace_Bay", "America/Goose_Bay"),
    "Atlantic Time (no DST)": ("America/Puerto_Rico", "America/St_Thomas"),
    "Newfoundland Time": ("America/St_Johns",),
    "Chamorro Time": ("Pacific/Guam", "Pacific/Saipan"),
    "Samoa Time": ("Pacific/Pago_Pago",),
}
_NAME_OF = {zone: name for name, zones in _NAMES.items() for zone in zones}


def zone_for_postal_code(postal_code: str, region: str | None = None) -> str | None:
    """The IANA zone of a US ZIP (or ZIP+4) or Canadian postal code; None when we cannot tell.

    A ZIP the data does not know (or none) still gets a zone when its state, the region, lies
    wholly in one zone."""
    code = (postal_code or "").strip().upper()
    if match := _CANADIAN.fullmatch(code):
        area = match.group(1)
        return _AREA_ZONES.get(area) or _PROVINCE_ZONES[area[0]]
    match = _US_ZIP.fullmatch(code)
    return (match and _zip_zone(match.group(1))) or _state_zones().get((region or "").strip().upper())


def location_zone(postal_code: str, region: str | None, business_zone: str) -> tuple[str, bool]:
    """(zone, whether it came from the address): the business's zone when the code is unknown."""
    zone = zone_for_postal_code(postal_code, region)
    return (zone, True) if zone else (business_zone, False)


def zone_name(zone: str, at: datetime | None = None) -> str:
    """ "Central Time", "Mountain Time (Arizona, no DST)"; other zones by name with their UTC offset
    at that moment ("Asia/Tokyo (UTC+9)"), or the offset alone for fixed ones ("UTC-5")."""
    if zone in _NAME_OF:
        return _NAME_OF[zone]
    offset = _offset_words(zone, at or datetime.now(UTC))
    if zone.startswith("Etc/") or zone == "UTC":
        return offset
    return f"{zone.replace('_', ' ')} ({offset})"


def _offset_words(zone: str, at: datetime) -> str:
    offset = at.astimezone(ZoneInfo(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


@lru_cache(maxsize=4096)  # a lookup scans the whole table (~80 ms); an import asks for the same ZIPs again and again
def _zip_zone(zip5: str) -> str | None:
    found = zipcodes.matching(zip5)
    return _known_zone(found[0]["timezone"]) if found else None


def _known_zone(name: str) -> str | None:
    """The data leaves military ZIPs blank and has the odd typo: only real IANA zones count."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


@cache
def _state_zones() -> dict[str, str]:
    """States whose every ZIP in the data shares one zone, e.g. "NY": "America/New_York"."""
    zones: dict[str, set[str]] = {}
    for row in zipcodes.list_all():
        if zone := _known_zone(row["timezone"]):
            zones.setdefault(row["state"], set()).add(zone)
    return {state: found.pop() for state, found in zones.items() if len(found) == 1}
