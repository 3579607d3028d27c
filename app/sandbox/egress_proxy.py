"""The setup commands' only way out: an HTTP proxy on a Unix socket that checks each destination.

Setup commands run in a sandbox with no network of its own (`--unshare-net`: loopback only).
The job's proxy listens on a Unix socket that is bound into that sandbox; `bridge_script` starts
`socat` inside it, so the usual `HTTPS_PROXY=http://127.0.0.1:3128` reaches the socket. For each
`CONNECT host:port` (or absolute-form `GET http://host/...`) the proxy asks the `EgressPolicy`
whether the name is an allowed registry, resolves it itself, refuses unless every address is
public, and connects to the address it checked (never to a name resolved again later). A
refusal is a `403` whose body says why; the reasons are kept in `refused` for the job's report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from app.core.egress import EgressPolicy
from app.core.errors import EgressRefused

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[list[str]]]
PROXY_PORT = 3128  # inside the sandbox: socat listens here and forwards to the socket
SOCKET_DIR = "/run/honk-egress"  # inside the sandbox: where the socket's directory is bound
SOCKET_NAME = "proxy.sock"
MAX_HEAD_BYTES = 16 * 1024
HEAD_TIMEOUT = 10.0
CONNECT_TIMEOUT = 15.0
MAX_CONNECTIONS = 64
CHUNK = 65536


async def system_resolve(host: str, port: int) -> list[str]:
    """The host's resolver: every address of `host` (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def proxy_env() -> dict[str, str]:
    """The environment that points package tools at the bridge inside the sandbox."""
    url = f"http://127.0.0.1:{PROXY_PORT}"
    names = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "npm_config_proxy")
    return {name: url for name in names} | {"NO_PROXY": "", "no_proxy": ""}


def bridge_script() -> str:
    """Bash that starts the TCP-to-socket bridge in the background and waits until it listens."""
    target = f"{SOCKET_DIR}/{SOCKET_NAME}"
    return (
        f"socat TCP-LISTEN:{PROXY_PORT},bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:{target} "
        "</dev/null >/dev/null 2>&1 &\n"
        "for _ in $(seq 100); do "
        f"(exec 3<>/dev/tcp/127.0.0.1/{PROXY_PORT}) 2>/dev/null && break; sleep 0.02; done\n"
    )


class EgressProxy:
    """One job's proxy: `async with EgressProxy(policy, directory) as proxy: ...`."""

    def __init__(
        self, policy: EgressPolicy, directory: Path, *, resolve: Resolver = system_resolve
    ) -> None:
        self.policy = policy
        self.directory = directory
        self.socket_path = directory / SOCKET_NAME
        self.refused: list[str] = []
        self._resolve = resolve
        self._server: asyncio.Server | None = None
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> EgressProxy:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(
            self._serve, path=str(self.socket_path), limit=MAX_HEAD_BYTES
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        self.socket_path.unlink(missing_ok=True)

    def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.get_running_loop().create_task(self._serve_one(reader, writer))
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with self._slots:
            try:
                await self._handle(reader, writer)
            except EgressRefused as exc:
                self._refuse(writer, str(exc))
            except (
                TimeoutError,
                OSError,
                asyncio.IncompleteReadError,
                ValueError,
            ):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        except asyncio.LimitOverrunError:
            raise EgressRefused("request head too large") from None
        method, target, rest = _request_line(head)
        host, port, forwarded = _destination(method, target, rest)
        self.policy.check_host(host, port)
        addresses = self.policy.check_addresses(host, await self._resolve(host, port))
        upstream_reader, upstream = await _connect(addresses, port)
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            upstream.write(forwarded)
        await _pipe_both(reader, writer, upstream_reader, upstream)

    def _refuse(self, writer: asyncio.StreamWriter, reason: str) -> None:
        self.refused.append(reason)
        log.info("egress refused", extra={"reason": reason})
        body = f"Honk egress: {reason}\n".encode()
        head = f"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}"
        with contextlib.suppress(Exception):
            writer.write(head.encode() + b"\r\nConnection: close\r\n\r\n" + body)


def _request_line(head: bytes) -> tuple[str, str, bytes]:
    line, _, rest = head.partition(b"\r\n")
    parts = line.decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise EgressRefused("not an HTTP proxy request")
    return parts[0].upper(), parts[1], rest


def _destination(method: str, target: str, rest: bytes) -> tuple[str, int, bytes]:
    """(host, port, the request to forward) from a CONNECT or an absolute-form http:// request."""
    if method == "CONNECT":
        host, _, port = target.rpartition(":")
        if not host or not port.isdigit():
            raise EgressRefused("CONNECT needs host:port")
        return host.strip("[]"), int(port), b""
    try:
        url = urlsplit(target)
        port_number = url.port or 80
    except ValueError:
        raise EgressRefused("not a valid URL") from None
    if url.scheme != "http" or not url.hostname:
        raise EgressRefused("only CONNECT and http:// requests go through")
    if url.username or url.password:
        raise EgressRefused("credentials in the URL are not forwarded")
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    line = f"{method} {path} HTTP/1.1\r\n".encode("latin-1")
    return url.hostname, port_number, line + rest


async def _connect(
    addresses: list[str], port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    last: Exception | None = None
    for address in addresses:
        try:
            connecting = asyncio.open_connection(address, port)
            return await asyncio.wait_for(connecting, CONNECT_TIMEOUT)
        except (TimeoutError, OSError) as exc:
            last = exc
    raise EgressRefused(f"could not connect: {last}")


async def _pipe_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream: asyncio.StreamWriter,
) -> None:
    try:
        await asyncio.gather(_pipe(reader, upstream), _pipe(upstream_reader, writer))
    finally:
        upstream.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        while chunk := await source.read(CHUNK):
            sink.write(chunk)
            await sink.drain()
        if sink.can_write_eof():
            sink.write_eof()
