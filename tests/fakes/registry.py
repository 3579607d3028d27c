"""A stand-in package registry on loopback: a PEP 503 simple index and an npm registry.

It serves one package, `tinydep`, both as a Python wheel and as an npm tarball, each built here
in memory, so setup commands can install it through Honk's egress proxy without the internet.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

HOST = "registry.test"
VALUE = "tinydep-value-42"
WHEEL = "tinydep-1.0-py3-none-any.whl"
TARBALL = "tinydep-1.0.0.tgz"


def tinydep_wheel() -> bytes:
    """A pure-Python wheel of `tinydep` 1.0 whose module holds `VALUE`."""
    files = {
        "tinydep/__init__.py": f"VALUE = {VALUE!r}\n",
        "tinydep-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n",
        "tinydep-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: honk-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [f"{name},{_record_hash(text.encode())},{len(text)}" for name, text in files.items()]
    files["tinydep-1.0.dist-info/RECORD"] = "\n".join([*record, "tinydep-1.0.dist-info/RECORD,,"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    return buffer.getvalue()


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def tinydep_tarball() -> bytes:
    """An npm package tarball of `tinydep` 1.0.0 (`package/package.json`, `package/index.js`)."""
    files = {
        "package/package.json": json.dumps({"name": "tinydep", "version": "1.0.0"}),
        "package/index.js": f"module.exports = {{ VALUE: {json.dumps(VALUE)} }};\n",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class StandInRegistry:
    """The registry's documents by path; `requests` lists the paths asked for."""

    port: int = 0
    documents: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def publish(self) -> None:
        wheel, tarball = tinydep_wheel(), tinydep_tarball()
        sha256 = hashlib.sha256(wheel).hexdigest()
        index = f'<a href="{self.url}/files/{WHEEL}#sha256={sha256}">{WHEEL}</a>'
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
        dist = {
            "tarball": f"{self.url}/tinydep/-/{TARBALL}",
            "shasum": hashlib.sha1(tarball).hexdigest(),  # noqa: S324 - npm's own field
            "integrity": integrity,
        }
        version = {"name": "tinydep", "version": "1.0.0", "dist": dist}
        packument = {"name": "tinydep", "dist-tags": {"latest": "1.0.0"}}
        packument["versions"] = {"1.0.0": version}
        self.documents = {
            "/simple/tinydep/": ("text/html", f"<html><body>{index}</body></html>".encode()),
            f"/files/{WHEEL}": ("application/octet-stream", wheel),
            "/tinydep": ("application/json", json.dumps(packument).encode()),
            f"/tinydep/-/{TARBALL}": ("application/octet-stream", tarball),
        }

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        target = head.split(b" ", 2)[1].decode("latin-1")
        path = urlsplit(target).path or "/"
        self.requests.append(path)
        kind, body = self.documents.get(path, ("text/plain", b""))
        status = "200 OK" if path in self.documents else "404 Not Found"
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


@asynccontextmanager
async def stand_in_registry() -> AsyncIterator[StandInRegistry]:
    """The registry, listening on 127.0.0.1 at a free port, with `tinydep` published."""
    registry = StandInRegistry()
    server = await asyncio.start_server(registry.serve, "127.0.0.1", 0)
    async with server:
        registry.port = int(server.sockets[0].getsockname()[1])
        registry.publish()
        yield registry
