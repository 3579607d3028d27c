"""Running git safely: a minimal non-interactive environment, the token only there, scrubbed errors.

- Git (and whatever it spawns: remote helpers, ssh, credential helpers) gets a minimal
  environment: the allow-list `INHERITED` taken from Honk's own environment (where to find
  programs, home, locale, time zone, temporary files, CA certificates, proxies), then the
  computed git variables. Nothing else: Honk's secrets (`ANTHROPIC_API_KEY`,
  `GITHUB_WEBHOOK_SECRET`, `GITHUB_PRIVATE_KEY`, `SLACK_*`, `HONK_*`...) and inherited
  `GIT_DIR`-like variables never reach git.
- The token lives only in the environment of the git processes that talk to the remote:
  `GIT_CONFIG_COUNT/KEY/VALUE` set `http.<scheme://host[:port]>/.extraheader` to a basic
  `x-access-token` header. It is never in argv, a URL or a config file; errors are scrubbed.
- Every git call never prompts, reads no system or global config (nor global attributes), runs
  with hooks and fsmonitor off, and is stopped after a timeout (or when the awaiting task is
  cancelled): SIGTERM first, so that git removes its lock files, then SIGKILL. The only config
  git reads is the repository's, which Honk writes and checks (app/workspace/cache_config.py),
  so an attribute the agent writes selects no filter or driver.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from app.core.config import Secret
from app.core.errors import WorkspaceError

GIT_VERB = re.compile(r"[a-z][a-z-]*")
STOP_GRACE_SECONDS = 5.0  # after SIGTERM, before SIGKILL
HARDENING = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.attributesFile=/dev/null",
    "commit.gpgSign=false",
)
PROXIES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
INHERITED = frozenset(
    {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"}
    | {"SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH"}
    | {name for proxy in PROXIES for name in (proxy, proxy.upper())}
)
NON_INTERACTIVE = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": ""}
NO_HOST_CONFIG = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}


class GitRunner(Protocol):
    """Runs one git command and returns its stdout; WorkspaceError on failure."""

    async def __call__(
        self,
        *args: str,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> str: ...


def identity_env(name: str, email: str) -> dict[str, str]:
    """Environment that makes `name <email>` both the author and the committer."""
    return {
        f"GIT_{role}_{what}": value
        for role in ("AUTHOR", "COMMITTER")
        for what, value in (("NAME", name), ("EMAIL", email))
    }


def auth_env(clone_url: str, token: Secret | None) -> dict[str, str]:
    """Environment that makes git send the token to the clone URL's origin (http(s) only)."""
    parts = urlsplit(clone_url)
    if token is None or parts.scheme not in ("http", "https"):
        return {}
    basic = base64.b64encode(f"x-access-token:{token.reveal()}".encode()).decode()
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"http.{parts.scheme}://{parts.netloc}/.extraheader",
        "GIT_CONFIG_VALUE_0": f"AUTHORIZATION: basic {basic}",
    }


def inherited_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of `environ` git may see: the `INHERITED` allow-list, nothing else."""
    return {name: value for name, value in environ.items() if name in INHERITED}


def scrub_token(text: str, env: Mapping[str, str]) -> str:
    """Hide the token (raw and base64) if git ever echoes it."""
    header = env.get("GIT_CONFIG_VALUE_0", "")
    if header.startswith("AUTHORIZATION: basic "):
        basic = header.split()[-1]
        token = base64.b64decode(basic).decode().partition(":")[2]
        for secret in (basic, token):
            text = text.replace(secret, "***")
    return text


async def run_git(
    *args: str,
    identity: Mapping[str, str],
    time_limit: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
) -> str:
    """Run git with a minimal, non-interactive environment; WorkspaceError on failure."""
    full_env = {**inherited_env(os.environ), **NON_INTERACTIVE, **identity, **(env or {})}
    full_env.update(NO_HOST_CONFIG)
    hardening = [part for setting in HARDENING for part in ("-c", setting)]
    pipe = asyncio.subprocess.PIPE
    try:
        proc = await asyncio.create_subprocess_exec(
            "git", *hardening, *args, cwd=cwd, env=full_env,
            stdin=pipe if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=pipe, stderr=pipe,
        )  # fmt: skip
    except OSError as exc:
        raise WorkspaceError(f"cannot run git in {cwd}: {exc.strerror}") from None
    code, out, err = await _communicate(proc, stdin, time_limit)
    if code != 0:
        verb = next((a for a in args if GIT_VERB.fullmatch(a)), "")
        message = f"git {verb} failed: {err.strip() or f'exit code {code}'}"
        raise WorkspaceError(scrub_token(message, env or {}))
    return out


async def _communicate(
    proc: asyncio.subprocess.Process, stdin: bytes | None, seconds: float
) -> tuple[int, str, str]:
    """Wait for a process at most `seconds`; stop it on timeout or cancellation."""
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), seconds)
    except (TimeoutError, asyncio.CancelledError) as exc:
        await asyncio.shield(_stop(proc))
        if isinstance(exc, TimeoutError):
            raise WorkspaceError(f"git timed out after {seconds}s") from None
        raise
    code = proc.returncode if proc.returncode is not None else -1
    return code, out.decode(errors="replace"), err.decode(errors="replace")


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM, so that git removes its lock files; SIGKILL if it is still there after a grace."""
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), STOP_GRACE_SECONDS)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
