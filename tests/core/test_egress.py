"""app/core/egress.py: which names and addresses setup commands may reach."""

from __future__ import annotations

import pytest

from app.core.egress import DEFAULT_SETUP_ALLOW, EgressPolicy, is_public, parse_allow
from app.core.errors import EgressRefused

POLICY = EgressPolicy(allowed=("pypi.org", ".example.org"))


@pytest.mark.parametrize(
    ("host", "port"),
    [("pypi.org", 443), ("PyPI.org.", 443), ("example.org", 80), ("a.b.example.org", 443)],
)
def test_allowed_names(host: str, port: int) -> None:
    POLICY.check_host(host, port)


@pytest.mark.parametrize(
    ("host", "port", "reason"),
    [
        ("evil.org", 443, "not an allowed registry"),
        ("pypi.org.evil.org", 443, "not an allowed registry"),
        ("notexample.org", 443, "not an allowed registry"),
        ("pypi.org", 5432, "port 5432"),
        ("pypi.org", 22, "port 22"),
        ("127.0.0.1", 443, "is an address"),
        ("169.254.169.254", 80, "is an address"),
        ("[::1]", 443, "is an address"),
    ],
)
def test_refused_names(host: str, port: int, reason: str) -> None:
    with pytest.raises(EgressRefused, match=reason):
        POLICY.check_host(host, port)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.8.8",
        "0.0.0.0",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "224.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)
    with pytest.raises(EgressRefused, match="non-public"):
        POLICY.check_addresses("pypi.org", ["151.101.0.223", address])


def test_public_addresses_pass_in_order_without_repeats() -> None:
    found = POLICY.check_addresses("pypi.org", ["151.101.0.223", "2a04:4e42::223", "151.101.0.223"])
    assert found == ["151.101.0.223", "2a04:4e42::223"]


def test_nothing_resolved_is_refused() -> None:
    with pytest.raises(EgressRefused, match="did not resolve"):
        POLICY.check_addresses("pypi.org", [])


def test_exempt_addresses_are_reachable() -> None:
    policy = EgressPolicy(allowed=("registry.test",), exempt=frozenset({"127.0.0.2"}))
    assert policy.check_addresses("registry.test", ["127.0.0.2"]) == ["127.0.0.2"]
    with pytest.raises(EgressRefused):
        policy.check_addresses("registry.test", ["127.0.0.1"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, DEFAULT_SETUP_ALLOW),
        ("  ", DEFAULT_SETUP_ALLOW),
        ("pypi.org, .Example.org,", ("pypi.org", ".example.org")),
    ],
)
def test_parse_allow(text: str | None, expected: tuple[str, ...]) -> None:
    assert parse_allow(text) == expected


@pytest.mark.parametrize("text", ["https://pypi.org", "pypi.org:443", "10.0.0.1", ".", "a b"])
def test_parse_allow_refuses_what_is_not_a_name(text: str) -> None:
    with pytest.raises(ValueError, match="not a host name"):
        parse_allow(text)
