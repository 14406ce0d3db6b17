"""core/time_zones and core/locations: a service location's zone from its address, named in words."""

from datetime import UTC, datetime

import pytest
import zipcodes

from smslinks.core import invoice_view, locations, time_zones
from tests import factories

JULY = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "postal_code, region, zone",
    [
        ("78701", "TX", "America/Chicago"),
        ("78701-1234", None, "America/Chicago"),  # ZIP+4
        ("787011234", None, "America/Chicago"),
        (" 80202 ", "CO", "America/Denver"),
        ("79901", "TX", "America/Denver"),  # El Paso: Texas, but Mountain Time
        ("85004", "AZ", "America/Phoenix"),
        ("90012", "CA", "America/Los_Angeles"),
        ("10001", "NY", "America/New_York"),
        ("99501", "AK", "America/Anchorage"),
        ("96813", "HI", "Pacific/Honolulu"),
        ("M5V 2T6", "ON", "America/Toronto"),
        ("m5v2t6", None, "America/Toronto"),
        ("H2X 1Y4", "QC", "America/Toronto"),
        ("V6B 1A1", "BC", "America/Vancouver"),
        ("T2P 1J9", "AB", "America/Edmonton"),
        ("S4P 3Y2", "SK", "America/Regina"),
        ("R3C 4T3", "MB", "America/Winnipeg"),
        ("E1C 4M3", "NB", "America/Moncton"),
        ("B3H 1A1", "NS", "America/Halifax"),
        ("C1A 4P3", "PE", "America/Halifax"),
        ("A1C 5M2", "NL", "America/St_Johns"),
        ("X1A 2L9", "NT", "America/Yellowknife"),
        ("X0A 0H0", "NU", "America/Iqaluit"),
        ("X0C 0G0", "NU", "America/Rankin_Inlet"),
        ("Y1A 1B1", "YT", "America/Whitehorse"),
        ("78699", "NY", "America/New_York"),  # unknown ZIP, but New York State has one zone
        ("", "CO", "America/Denver"),
        ("78699", "TX", None),  # unknown ZIP in a state with two zones
        ("09001", None, None),  # military mail: no zone in the data
        ("99634", "AK", None),  # the data's zone for this ZIP is not a real zone name
        ("", None, None),
        ("7870", None, None),
        ("SW1A 1AA", None, None),  # a UK postcode
        ("D1A 1A1", None, None),  # no Canadian postal code starts with D
    ],
)
def test_zone_for_postal_code(postal_code, region, zone):
    assert time_zones.zone_for_postal_code(postal_code, region) == zone


def test_location_zone_falls_back_to_the_business_zone():
    assert time_zones.location_zone("85004", "AZ", "America/Chicago") == ("America/Phoenix", True)
    assert time_zones.location_zone("00000", "TX", "America/Chicago") == ("America/Chicago", False)


@pytest.mark.parametrize(
    "zone, name",
    [
        ("America/Chicago", "Central Time"),
        ("America/Indiana/Knox", "Central Time"),
        ("America/New_York", "Eastern Time"),
        ("America/Toronto", "Eastern Time"),
        ("America/Denver", "Mountain Time"),
        ("America/Phoenix", "Mountain Time (Arizona, no DST)"),
        ("America/Los_Angeles", "Pacific Time"),
        ("America/Anchorage", "Alaska Time"),
        ("Pacific/Honolulu", "Hawaii Time"),
        ("America/Halifax", "Atlantic Time"),
        ("America/St_Johns", "Newfoundland Time"),
        ("America/Regina", "Central Time (Saskatchewan, no DST)"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos Aires (UTC-3)"),
        ("Asia/Kolkata", "Asia/Kolkata (UTC+5:30)"),
        ("Europe/London", "Europe/London (UTC+1)"),  # summer time on the day asked about
        ("Etc/GMT+5", "UTC-5"),  # the POSIX sign: five hours behind
        ("Etc/GMT-14", "UTC+14"),
        ("Etc/GMT", "UTC"),
    ],
)
def test_zone_name_in_words(zone, name):
    assert time_zones.zone_name(zone, JULY) == name


def test_every_north_american_zone_an_address_can_give_has_a_name_in_words():
    zones = {*time_zones._PROVINCE_ZONES.values(), *time_zones._AREA_ZONES.values()}
    zones |= {row["timezone"] for row in zipcodes.list_all() if time_zones._known_zone(row["timezone"])}
    assert {zone for zone in zones if time_zones.zone_name(zone, JULY).startswith("America/")} == set()


def test_a_location_gets_its_zone_from_its_address(session):
    business = factories.business(session, time_zone="America/Chicago")
    location = factories.location(session, factories.customer(session, business))
    location.postal_code, location.region = "90012", "CA"
    assert locations.apply_zone(location, business.time_zone) is True
    assert location.time_zone == "America/Los_Angeles"
    assert locations.apply_zone(location, business.time_zone) is False
    assert locations.zone_words(location, business.time_zone, JULY) == ("Pacific Time", "")


def test_a_location_we_cannot_place_keeps_the_business_zone_and_says_so(session):
    business = factories.business(session, time_zone="America/Chicago")
    location = factories.location(session, factories.customer(session, business), time_zone="America/Denver")
    location.postal_code = "00000"
    locations.apply_zone(location, business.time_zone)
    assert location.time_zone == "America/Chicago"
    assert locations.zone_words(location, business.time_zone, JULY) == (
        "Central Time",
        "Time zone not known from the service address (ZIP 00000); using the business's Central Time for quiet hours.",
    )
    location.postal_code = ""
    assert "(no ZIP code)" in locations.zone_words(location, business.time_zone)[1]


def test_the_invoice_page_names_the_location_zone(session):
    business = factories.business(session, time_zone="America/Chicago")
    office = factories.employee(session, business)
    location = factories.location(session, factories.customer(session, business), time_zone="America/Phoenix")
    location.postal_code, location.region = "85004", "AZ"
    invoice = factories.invoice(session, location)
    detail = invoice_view.detail(session, office, invoice.id)
    assert (detail.location_time_zone, detail.location_zone_label, detail.location_zone_warning) == (
        "America/Phoenix",
        "Mountain Time (Arizona, no DST)",
        "",
    )
    location.postal_code, location.time_zone = "M5V", "America/Chicago"
    assert invoice_view.detail(session, office, invoice.id).location_zone_warning.startswith(
        "Time zone not known from the service address (postal code M5V); using the business's Central Time"
    )
