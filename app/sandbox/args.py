"""The pieces of a sandbox's command line: binds, prlimit limits, environment."""

from __future__ import annotations

import resource
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import SandboxError

SANDBOX_ID = "1000"  # the host user maps to it: the worktree looks owned by the sandbox's user
SANDBOX_TMP = "/tmp"  # noqa: S108 - inside the sandbox: a private tmpfs
SANDBOX_HOME = f"{SANDBOX_TMP}/home"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
MIB = 1024 * 1024


@dataclass(frozen=True)
class SandboxLimits:
    """Per-command limits: prlimit, cgroups, tmpfs and disk sizes, a wall-clock timeout."""

    memory_mb: int = 4096
    processes: int = 512
    file_size_mb: int = 1024
    cpu_seconds: int = 900
    open_files: int = 4096
    command_timeout: float = 300.0
    output_chars: int = 30_000
    tmp_mb: int = 1024  # the private /tmp, $HOME included (a tmpfs of this size)
    disk_mb: int = 8192  # the worktree and the other writable binds, together


DEFAULT_LIMITS = SandboxLimits()


@dataclass(frozen=True)
class Bind:
    """An extra host path shown inside the sandbox (at `target`, default its own path)."""

    source: Path
    target: Path | None = None
    writable: bool = False


def sandbox_env(extra: Mapping[str, str] | None, home: str) -> dict[str, str]:
    """The whole environment a sandboxed command gets: nothing of Honk's own."""
    env = {"PATH": SANDBOX_PATH, "HOME": home, "LANG": "C.UTF-8", "TERM": "dumb"}
    env.update(extra or {})
    return env


def prlimit_args(limits: SandboxLimits) -> list[str]:
    """prlimit's options (soft = hard, so the command cannot raise them back; CPU: see below)."""
    values = {
        "as": (resource.RLIMIT_AS, limits.memory_mb * MIB),
        "nproc": (resource.RLIMIT_NPROC, limits.processes),
        "fsize": (resource.RLIMIT_FSIZE, limits.file_size_mb * MIB),
        "cpu": (resource.RLIMIT_CPU, limits.cpu_seconds),
        "nofile": (resource.RLIMIT_NOFILE, limits.open_files),
    }
    options = [
        f"--{name}={_within_hard_limit(kind, value)}" for name, (kind, value) in values.items()
    ]
    # CPU: SIGXCPU at the limit (a clear exit, 128+24), SIGKILL a second later if it is caught.
    options[3] += f":{_within_hard_limit(resource.RLIMIT_CPU, limits.cpu_seconds + 1)}"
    return ["prlimit", *options, "--"]


def _within_hard_limit(kind: int, value: int) -> int:
    hard = resource.getrlimit(kind)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def bind_args(binds: Sequence[Bind]) -> list[str]:
    """bwrap options for the extra binds, in order (a later one may sit inside an earlier one)."""
    args: list[str] = []
    for bind in binds:
        source = _existing(bind.source)
        target = bind.target or source
        if not target.is_absolute():
            raise SandboxError(f"a sandbox bind target must be absolute, got {target}")
        args += ["--bind" if bind.writable else "--ro-bind", str(source), str(target)]
    return args


def _existing(path: Path) -> Path:
    try:
        return path.resolve(strict=True)
    except OSError as exc:
        raise SandboxError(f"cannot show {path} in the sandbox: {exc.strerror}") from None


def existing_dir(path: Path) -> Path:
    """`path` resolved (as the sandbox shows it); SandboxError unless it is a directory."""
    resolved = _existing(path)
    if not resolved.is_dir():
        raise SandboxError(f"the sandbox root {path} is not a directory")
    return resolved
