"""Per-command cgroups: a pids cap and a memory cap for the whole tree, and its member list.

Why Honk needs the pids cap (RLIMIT_NPROC does not bind the host's root) is told in
app.sandbox.sandbox. Memory: RLIMIT_AS binds each process alone, so four processes may use four
times the limit; a memory cgroup caps the sum (the kernel's OOM killer ends one process when the
tree goes past it). On cgroup v1 the two controllers are separate hierarchies: the command joins
one child cgroup in each; on v2 one child cgroup carries both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CGROUP_MOUNT = Path("/sys/fs/cgroup")
KILL_WAIT_SECONDS = 5.0
POLL_SECONDS = 0.02
MEMORY_LIMIT_FILES = (  # v1, then v2; the swap file is written when it exists
    ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control"),
    ("memory.max", "memory.swap.max", "memory.events"),
)
ENTER_SCRIPT = (
    'for f; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"'
)


@dataclass(frozen=True)
class CommandCgroup:
    """The cgroups of one sandbox: it joins each of `paths`; `memory` is the one capping memory."""

    paths: tuple[Path, ...]
    memory: Path | None = None

    @classmethod
    def create(
        cls, pids: Path | None, memory: Path | None, processes: int, memory_mb: int
    ) -> CommandCgroup:
        """Child cgroups under the given parents (one if they are the same v2 directory)."""
        name = f"honk-{os.getpid()}-{secrets.token_hex(4)}"
        made: list[Path] = []
        try:
            for parent in dict.fromkeys(p for p in (pids, memory) if p is not None):
                made.append(parent / name)
                made[-1].mkdir()
                if parent == pids:
                    (parent / name / "pids.max").write_text(str(processes))
                if parent == memory:
                    _cap_memory(parent / name, memory_mb * 1024 * 1024)
        except OSError:
            for path in made:
                with contextlib.suppress(OSError):
                    path.rmdir()
            raise
        return cls(tuple(made), memory / name if memory else None)

    def enter_then(self, argv: Sequence[str]) -> list[str]:
        """`argv`, started by a shell that first moves itself into these cgroups."""
        procs = [str(path / "cgroup.procs") for path in self.paths]
        return ["/bin/sh", "-c", ENTER_SCRIPT, "sh", *procs, "--", *argv]

    def members(self) -> set[int]:
        found: set[int] = set()
        for path in self.paths:
            found |= {int(pid) for pid in read_or_empty(path / "cgroup.procs").split()}
        return found

    def oom_kills(self) -> int:
        """How many processes the kernel killed for going past the memory cap, so far."""
        if self.memory is None:
            return 0
        for _, _, events in MEMORY_LIMIT_FILES:
            for line in read_or_empty(self.memory / events).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    async def remove(self) -> None:
        for path in self.paths:
            await _remove(path)


def _cap_memory(path: Path, limit: int) -> None:
    for memory_file, swap_file, _ in MEMORY_LIMIT_FILES:
        if (path / memory_file).exists():
            (path / memory_file).write_text(str(limit))
            if (path / swap_file).exists():  # no swapping past the cap (v1: memory+swap total)
                (path / swap_file).write_text(
                    str(limit if swap_file.startswith("memory.memsw") else 0)
                )
            return
    raise OSError(f"no memory limit file in {path}")


async def _remove(path: Path) -> None:
    for _ in range(int(KILL_WAIT_SECONDS / POLL_SECONDS)):
        try:
            path.rmdir()  # noqa: ASYNC240 - a kernel object: no disk I/O
            return
        except FileNotFoundError:
            return
        except OSError:
            await asyncio.sleep(POLL_SECONDS)
    logger.warning("cannot remove the sandbox's cgroup %s", path)


def find_cgroup_parents() -> tuple[Path | None, Path | None]:
    """Where this host lets Honk create per-command pids and memory cgroups (None: nowhere)."""
    return find_cgroup_parent("pids"), find_cgroup_parent("memory")


def find_cgroup_parent(controller: str) -> Path | None:
    """A cgroup directory with `controller` in which Honk may create children, or None."""
    for candidate in _cgroup_candidates(controller):
        pids, memory = (candidate, None) if controller == "pids" else (None, candidate)
        try:
            for path in CommandCgroup.create(pids, memory, 1, 64).paths:
                path.rmdir()  # empty: no process ever joined it
        except OSError:
            continue
        return candidate
    return None


def _cgroup_candidates(controller: str) -> list[Path]:
    candidates: list[Path] = []
    for line in read_or_empty(Path("/proc/self/cgroup")).splitlines():
        _, controllers, relative = line.split(":", 2)
        if controller in controllers.split(","):
            candidates.append(CGROUP_MOUNT / controller / relative.lstrip("/"))
        elif not controllers:
            unified = CGROUP_MOUNT / relative.lstrip("/")
            if controller in read_or_empty(unified / "cgroup.subtree_control").split():
                candidates.append(unified)
    return candidates


def read_or_empty(path: Path) -> str:
    """The text of a (kernel) file, or "" if it cannot be read."""
    try:
        return path.read_text()
    except OSError:
        return ""
