"""app/sandbox/egress_proxy.py: setup reaches an allowed registry and nothing else.

A stand-in registry listens on the host's loopback; the test policy names it and exempts its
address (no setting can do that). Each forbidden destination is tried through the proxy, and
the sandbox is shown to have no other way out.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.egress import EgressPolicy
from app.sandbox.egress_proxy import (
    SOCKET_DIR,
    EgressProxy,
    bridge_script,
    proxy_env,
)
from app.sandbox.sandbox import Bind, Profile
from tests.fakes.sandbox_probe import BWRAP_PROFILES, job_worktree, needs_tool, sandbox_for

BODY = b"stand-in registry: simple index"
NAMES = {
    "registry.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "private.test": ["10.0.0.7"],
    "rebind.test": ["151.101.0.223", "127.0.0.2"],
}


async def _registry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\nConnection: close\r\n\r\n"
    writer.write(head.encode() + BODY)
    await writer.drain()
    writer.close()


async def _resolve(host: str, port: int) -> list[str]:
    return NAMES.get(host, [])


@pytest.fixture
async def registry_port() -> AsyncIterator[int]:
    server = await asyncio.start_server(_registry, "127.0.0.1", 0)
    async with server:
        yield int(server.sockets[0].getsockname()[1])


@pytest.fixture
async def proxy(tmp_path: Path, registry_port: int) -> AsyncIterator[EgressProxy]:
    policy = EgressPolicy(
        allowed=("registry.test", "metadata.test", "private.test", "rebind.test"),
        ports=frozenset({80, 443, registry_port}),
        exempt=frozenset({"127.0.0.1"}),
    )
    async with EgressProxy(policy, tmp_path / "egress", resolve=_resolve) as running:
        yield running


async def _ask(proxy: EgressProxy, request: bytes) -> bytes:
    reader, writer = await asyncio.open_unix_connection(str(proxy.socket_path))
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def test_connect_to_an_allowed_name_tunnels(proxy: EgressProxy, registry_port: int) -> None:
    target = f"registry.test:{registry_port}"
    request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\nGET / HTTP/1.1\r\n\r\n"
    answer = await _ask(proxy, request.encode())
    assert answer.startswith(b"HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 OK")
    assert answer.endswith(BODY)


async def test_absolute_form_get_is_forwarded(proxy: EgressProxy, registry_port: int) -> None:
    request = f"GET http://registry.test:{registry_port}/simple/ HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = await _ask(proxy, request.encode())
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(BODY)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("127.0.0.1:{port}", "is an address"),  # the host's loopback, by address
        ("localhost:{port}", "not an allowed registry"),
        ("[::1]:{port}", "is an address"),
        ("169.254.169.254:80", "is an address"),  # cloud metadata
        ("metadata.test:80", "169.254.169.254, a non-public address"),
        ("private.test:443", "10.0.0.7, a non-public address"),
        ("rebind.test:443", "127.0.0.2, a non-public address"),
        ("registry.test:5432", "port 5432 is not allowed"),
        ("evil.example:443", "not an allowed registry"),
    ],
)
async def test_forbidden_destinations_are_refused(
    proxy: EgressProxy, registry_port: int, target: str, reason: str
) -> None:
    where = target.format(port=registry_port)
    answer = await _ask(proxy, f"CONNECT {where} HTTP/1.1\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 403 Forbidden")
    assert reason.encode() in answer
    assert any(reason in refused for refused in proxy.refused)


@pytest.mark.parametrize(
    "request_text",
    [
        "GET https://registry.test/ HTTP/1.1\r\n\r\n",
        "GET http://user:pw@registry.test/ HTTP/1.1\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "CONNECT registry.test HTTP/1.1\r\n\r\n",
    ],
)
async def test_malformed_requests_are_refused(proxy: EgressProxy, request_text: str) -> None:
    answer = await _ask(proxy, request_text.encode())
    assert answer.startswith(b"HTTP/1.1 403 Forbidden")


@pytest.mark.bwrap
@pytest.mark.parametrize("profile", BWRAP_PROFILES)
async def test_a_sandboxed_setup_reaches_the_registry_and_nothing_else(
    tmp_path: Path, proxy: EgressProxy, registry_port: int, profile: Profile
) -> None:
    needs_tool("socat")
    sandbox = sandbox_for(profile)
    host_service = await asyncio.start_server(_registry, "127.0.0.1", 0)
    service_port = host_service.sockets[0].getsockname()[1]
    checks = (
        f"curl -sS -f http://registry.test:{registry_port}/simple/; echo; "
        f"curl -sS -o /dev/null -w 'refused:%{{http_code}}\\n' http://127.0.0.1:{service_port}/; "
        f"(exec 3<>/dev/tcp/127.0.0.1/{service_port}) 2>/dev/null && echo direct:open "
        "|| echo direct:closed; "
        "curl -sS --noproxy '*' -m 3 http://151.101.0.223/ >/dev/null 2>&1 && echo out:open "
        "|| echo out:closed\n"
    )
    async with host_service:
        done = await sandbox.run(
            job_worktree(tmp_path),
            bridge_script() + checks,
            timeout=60,
            env=proxy_env(),
            binds=[Bind(proxy.directory, Path(SOCKET_DIR))],
        )
    assert BODY.decode() in done.output
    assert "refused:403" in done.output  # the host's loopback service, through the proxy
    assert "direct:closed" in done.output and "out:closed" in done.output


@pytest.mark.parametrize("size", [20 * 1024, 100 * 1024])
async def test_an_oversized_request_head_is_refused_and_reported(
    proxy: EgressProxy, size: int
) -> None:
    padding = "x" * size
    answer = await _ask(
        proxy, f"GET http://registry.test/ HTTP/1.1\r\nX-Pad: {padding}\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 403 Forbidden")
    assert "request head too large" in proxy.refused
