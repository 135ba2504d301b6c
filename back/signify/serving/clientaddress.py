"""Who a client is, for counting its sessions: the peer's address, or what trusted proxies say it is.

Behind a reverse proxy every connection comes from the proxy's address; the
proxy appends the address it saw to ``X-Forwarded-For``. Only proxies the
operator names in ``TRUSTED_PROXIES`` are believed, and the header is read
from the right: each trusted hop vouches for the one to its left, so the
right-most address that is not a trusted proxy is the client. Anything
further left was written by the client itself and proves nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# A hop that is not an address (some proxies write "unknown") is still the
# client's key; cut so that a header cannot make one arbitrarily long.
MAX_KEY_CHARS = 64


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses or CIDR blocks (``10.0.0.0/8, ::1``); raise ValueError naming a bad one."""
    networks: list[Network] = []
    for part in (item.strip() for item in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR block") from None
    return tuple(networks)


def parse_address(text: str) -> Address | None:
    """An address as a peer or a proxy writes it: ``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:80``, ``::ffff:1.2.3.4``."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6] or [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # no IPv6 zone
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return address


class TrustedProxies:
    """The proxies whose ``X-Forwarded-For`` is believed."""

    def __init__(self, networks: Iterable[Network]) -> None:
        self._networks = tuple(networks)

    def __contains__(self, address: Address) -> bool:
        return any(address.version == network.version and address in network for network in self._networks)

    def client(self, peer: str | None, forwarded_for: Sequence[str]) -> str:
        """The client's address, given the direct peer and every ``X-Forwarded-For`` header, in order."""
        direct = parse_address(peer) if peer else None
        if direct is None:
            return (peer or "unknown")[:MAX_KEY_CHARS]
        if direct not in self:
            return str(direct)  # a client's own header is never believed
        hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:
                return hop[:MAX_KEY_CHARS].lower()
            if address not in self:
                return str(address)
        # Only trusted hops (or none): the left-most is as far as the chain goes.
        return str(parse_address(hops[0])) if hops else str(direct)
