"""Who is knocking, for throttles: the client's address as a throttle key.

An IPv6 host is given a whole /64 and picks addresses in it at will, so a throttle counts the /64;
an IPv4 address is itself (a carrier NAT or an office puts many people behind one, which the limits
allow for). Anything else (a test's name, "unknown") is kept as given, cut to the column's size.
"""

import ipaddress

KEY_LENGTH = 64


def throttle_key(client: str | None) -> str:
    text = (client or "unknown").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text[:KEY_LENGTH] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
