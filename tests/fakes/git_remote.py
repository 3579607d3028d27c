"""A fake git remote for tests: bare repositories with commits, served over smart HTTP."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.fakes.loopback import LoopbackTCP

AUTHOR_ENV = {
    "GIT_AUTHOR_NAME": "Remote Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.com",
    "GIT_COMMITTER_NAME": "Remote Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.com",
}


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git (no inherited GIT_* variables, a fixed test identity) and return stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(AUTHOR_ENV, GIT_TERMINAL_PROMPT="0")
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def make_remote(
    tmp: Path, files: dict[str, str], *, branch: str = "main", name: str = "origin.git"
) -> Path:
    """Create the bare repository `tmp/name` holding one commit of `files` on `branch`."""
    remote = tmp / name
    remote.parent.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "--bare", f"--initial-branch={branch}", str(remote))
    commit_to_remote(remote, files, "Initial commit", branch=branch)
    return remote


def commit_to_remote(
    remote: Path,
    files: dict[str, str],
    message: str,
    *,
    branch: str = "main",
    author: str | None = None,
) -> str:
    """Commit `files` (path → text) on `branch` of `remote` from a scratch clone; its sha.

    `author` ("Name <email>") writes the commit as someone else, e.g. Honk's bot account.

    A branch the remote lacks starts from the remote's default branch (or from nothing).
    """
    with tempfile.TemporaryDirectory(prefix="scratch-") as tmp:
        scratch = Path(tmp) / "clone"
        git("clone", "-q", str(remote), str(scratch))
        heads = git("ls-remote", "--heads", str(remote), branch, cwd=scratch)
        start = [f"origin/{branch}"] if heads else []
        git("checkout", "-q", "-B", branch, *start, cwd=scratch)
        for path, text in files.items():
            target = scratch / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        git("add", "-A", cwd=scratch)
        as_author = [f"--author={author}"] if author else []
        git("commit", "-q", "--allow-empty", "-m", message, *as_author, cwd=scratch)
        git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=scratch)
        return git("rev-parse", "HEAD", cwd=scratch).strip()


def remote_sha(remote: Path, ref: str) -> str:
    """The commit `ref` points at in the bare repository `remote`."""
    return git("--git-dir", str(remote), "rev-parse", "--verify", ref).strip()


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake remote received."""

    method: str
    path: str
    authorized: bool
    chunked: bool


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    keep_alive: bool = True


class SmartHTTPRemote(LoopbackTCP):
    """Serves the bare repositories under `root` with `git http-backend`, behind a token.

    Every request must carry `Authorization: Basic base64(x-access-token:<token>)`; others get
    401 with `WWW-Authenticate: Basic`. Authorized requests run as REMOTE_USER, which lets
    http-backend accept pushes. `requests` records what came in, for assertions.
    """

    def __init__(self, root: Path, token: str) -> None:
        self.root = root
        self.expected = "basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
        self.requests: list[RecordedRequest] = []
        self.fail_pushes = 0  # answer this many pushes 502, like a GitHub hiccup
        super().__init__()

    def url_for(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (request := await _read_request(reader)) is not None:
            writer.write(await self._answer(request))
            await writer.drain()
            if not request.keep_alive:
                break

    async def _answer(self, request: _Request) -> bytes:
        authorized = request.headers.get("authorization", "").lower() == self.expected.lower()
        chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
        self.requests.append(RecordedRequest(request.method, request.target, authorized, chunked))
        if not authorized:
            return (
                b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="fake"\r\n'
                b"Content-Length: 0\r\n\r\n"
            )
        if self.fail_pushes and request.target.split("?")[0].endswith("/git-receive-pack"):
            self.fail_pushes -= 1
            return b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        return await self._run_backend(request)

    async def _run_backend(self, request: _Request) -> bytes:
        url = urlsplit(request.target)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_PROJECT_ROOT=str(self.root),
            GIT_HTTP_EXPORT_ALL="1",
            REQUEST_METHOD=request.method,
            PATH_INFO=unquote(url.path),
            QUERY_STRING=url.query,
            CONTENT_TYPE=request.headers.get("content-type", ""),
            CONTENT_LENGTH=str(len(request.body)),
            REMOTE_USER="x-access-token",
            REMOTE_ADDR="127.0.0.1",
        )
        for name, value in request.headers.items():
            if name not in ("authorization", "content-type", "content-length"):
                env["HTTP_" + name.upper().replace("-", "_")] = value
        proc = await asyncio.create_subprocess_exec(
            "git", "http-backend", env=env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _err = await proc.communicate(request.body)
        return _cgi_to_http(out)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _version = line.decode("latin-1").split()
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    request = _Request(method, target, headers)
    request.keep_alive = headers.get("connection", "").lower() != "close"
    if headers.get("transfer-encoding", "").lower() == "chunked":
        request.body = await _read_chunked(reader)
    elif "content-length" in headers:
        request.body = await reader.readexactly(int(headers["content-length"]))
    return request


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while size := int((await reader.readline()).split(b";")[0].strip(), 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    while await reader.readline() not in (b"\r\n", b"\n", b""):
        pass  # trailers
    return bytes(body)


def _cgi_to_http(output: bytes) -> bytes:
    """Turn a CGI answer (headers, blank line, body) into an HTTP/1.1 response."""
    head, sep, body = output.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = output.partition(b"\n\n")
    status = b"200 OK"
    lines = []
    for line in head.splitlines():
        if line.lower().startswith(b"status:"):
            status = line.split(b":", 1)[1].strip()
        elif line.strip():
            lines.append(line.strip())
    lines.append(b"Content-Length: %d" % len(body))
    return b"HTTP/1.1 " + status + b"\r\n" + b"\r\n".join(lines) + b"\r\n\r\n" + body
