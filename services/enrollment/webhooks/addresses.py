"""Where a webhook may be delivered (server-side request forgery guard).

A URL is checked when it is registered and again before every delivery, since what a name resolves to
can change: every address it resolves to must be public (`ipaddress`'s `is_global`: not loopback,
private, link-local, carrier-grade NAT, documentation, multicast or reserved; IPv4 inside IPv6 is judged
as IPv4), or inside a network the configuration allows. The delivery then connects to the very address
checked, not to a fresh resolution of the name (DNS rebinding). Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_TIMEOUT_SECONDS = 5.0


class AddressRefused(Exception):
    """The URL may not receive deliveries; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (a name, or an address without brackets)
    port: int
    address: IPAddress  # what the delivery connects to


def check_form(url: str, *, allow_http: bool) -> tuple[str, str, int]:
    """Scheme, host and port of a URL fit to deliver to, or AddressRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"not a valid URL: {exc}") from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise AddressRefused(f"the URL must begin with {' or '.join(s + '://' for s in schemes)}")
    if not parts.hostname:
        raise AddressRefused("the URL names no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("credentials in the URL are not accepted; authenticate by the signature")
    if parts.fragment:
        raise AddressRefused("the URL must not have a fragment (#...)")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def allowed(address: IPAddress, networks: Sequence[Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in networks):
        return True
    return address.is_global and not address.is_multicast


async def resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise AddressRefused(f"{host} does not resolve: {exc}") from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise AddressRefused(f"{host} does not resolve to any address")
    return found


async def check(url: str, *, allow_http: bool, networks: Sequence[Network]) -> Target:
    """The address to deliver `url` to, when every address its host resolves to may be delivered to."""
    scheme, host, port = check_form(url, allow_http=allow_http)
    addresses = await resolve(host, port)
    refused = [str(a) for a in addresses if not allowed(a, networks)]
    if refused:
        raise AddressRefused(
            f"{host} resolves to {', '.join(refused)}, which is not a public address; such endpoints are "
            "refused unless the configuration allows their network (ENROLLMENT_WEBHOOK_ALLOWED_NETWORKS)"
        )
    return Target(scheme, host, port, addresses[0])
