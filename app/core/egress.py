"""Where setup commands may connect: allowed registry names, and addresses never reached.

Setup commands (`setup:` in `.github/honk.yml`) install dependencies; they reach the network
only through Honk's egress proxy, which asks this policy twice: is the host name on the
operator's allow-list (`HONK_SETUP_ALLOW`), and is every address it resolves to a public one.
Loopback, link-local (cloud metadata), private, shared (CGNAT), multicast and reserved ranges are
refused whatever the name, so a registry name that resolves to the host or its network (DNS
rebinding, a hostile `/etc/hosts`) leads nowhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core.errors import EgressRefused

# Package registries of the common ecosystems: PyPI, npm, crates.io, the Go proxy, Maven Central,
# RubyGems (with the hosts their downloads come from).
DEFAULT_SETUP_ALLOW: tuple[str, ...] = (
    "pypi.org",
    "files.pythonhosted.org",
    "registry.npmjs.org",
    "crates.io",
    "index.crates.io",
    "static.crates.io",
    "proxy.golang.org",
    "sum.golang.org",
    "repo.maven.apache.org",
    "repo1.maven.org",
    "rubygems.org",
    "index.rubygems.org",
)
ALLOWED_PORTS = frozenset({80, 443})
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class EgressPolicy:
    """Allowed names (`.example.org`: the domain and its subdomains) and the exempt addresses.

    `exempt` lists addresses that are reachable although they are not public, and `ports` may
    add ports: both are for the tests' stand-in registry on loopback; no setting changes them.
    """

    allowed: tuple[str, ...] = DEFAULT_SETUP_ALLOW
    ports: frozenset[int] = ALLOWED_PORTS
    exempt: frozenset[str] = field(default_factory=frozenset)

    def check_host(self, host: str, port: int) -> None:
        """EgressRefused unless `host:port` is an allowed name on an allowed port."""
        name = host.strip().rstrip(".").lower()
        if port not in self.ports:
            raise EgressRefused(f"port {port} is not allowed (only 80 and 443)")
        if _is_address(name):
            raise EgressRefused(f"{host} is an address; setup reaches registries by name only")
        if not any(_matches(name, pattern) for pattern in self.allowed):
            raise EgressRefused(f"{host} is not an allowed registry (HONK_SETUP_ALLOW)")

    def check_addresses(self, host: str, addresses: Iterable[str]) -> list[str]:
        """The addresses to connect to; EgressRefused if any is not public (or none resolved)."""
        found = list(dict.fromkeys(addresses))
        if not found:
            raise EgressRefused(f"{host} did not resolve")
        for address in found:
            if address not in self.exempt and not is_public(address):
                raise EgressRefused(f"{host} resolves to {address}, a non-public address")
        return found


def parse_allow(text: str | None) -> tuple[str, ...]:
    """`HONK_SETUP_ALLOW`: comma-separated names; unset or blank means the default registries."""
    if text is None or not text.strip():
        return DEFAULT_SETUP_ALLOW
    names = tuple(item.strip().lower() for item in text.split(",") if item.strip())
    for name in names:
        bare = name.removeprefix(".")
        if not bare or "/" in name or ":" in name or " " in name or _is_address(bare):
            raise ValueError(f"{name!r} is not a host name (write `pypi.org` or `.example.org`)")
    return names


def is_public(address: str) -> bool:
    """Whether `address` is a globally routable unicast address (IPv4-mapped IPv6 unwrapped)."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _matches(name: str, pattern: str) -> bool:
    if pattern.startswith("."):
        return name == pattern[1:] or name.endswith(pattern)
    return name == pattern


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True
