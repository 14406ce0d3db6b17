"""Service locations: their time zone follows their address (quiet hours are the recipient's clock).

Whether a zone came from the address is not stored: a postal code we cannot place means the
location has the business's zone as a fallback, and the pages say so.
"""

from datetime import datetime

from smslinks.core import time_zones
from smslinks.models import Location


def apply_zone(location: Location, business_zone: str) -> bool:
    """Set the location's zone from its postal code (else the business's); True if it changed.

    Call it whenever a location is created or its address changes."""
    zone, _from_address = time_zones.location_zone(location.postal_code, location.region, business_zone)
    changed = location.time_zone != zone
    location.time_zone = zone
    return changed


def zone_words(location: Location, business_zone: str, at: datetime | None = None) -> tuple[str, str]:
    """("Central Time", warning): the warning is "" unless the address does not give the zone."""
    label = time_zones.zone_name(location.time_zone, at)
    if time_zones.zone_for_postal_code(location.postal_code, location.region):
        return label, ""
    code = location.postal_code.strip()
    given = (f"ZIP {code}" if code[0].isdigit() else f"postal code {code}") if code else "no ZIP code"
    whose = "the business's " if location.time_zone == business_zone else ""
    return label, f"Time zone not known from the service address ({given}); using {whose}{label} for quiet hours."
