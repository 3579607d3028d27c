"""Pids cgroups: one per sandbox caps its process count and lists its members for the kill.

Why Honk needs them (RLIMIT_NPROC does not bind the host's root) is told in app.sandbox.sandbox.
"""

from __future__ import annotations

import asyncio
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


@dataclass(frozen=True)
class PidsCgroup:
    """One pids cgroup per sandbox: caps its process count and lists its members for the kill."""

    path: Path

    @classmethod
    def create(cls, parent: Path, limit: int) -> PidsCgroup:
        path = parent / f"honk-{os.getpid()}-{secrets.token_hex(4)}"
        path.mkdir()
        try:
            (path / "pids.max").write_text(str(limit))
        except OSError:
            path.rmdir()
            raise
        return cls(path)

    def enter_then(self, argv: Sequence[str]) -> list[str]:
        """`argv`, started by a shell that first moves itself into this cgroup."""
        return [
            "/bin/sh",
            "-c",
            'echo $$ > "$0" && exec "$@"',
            str(self.path / "cgroup.procs"),
            *argv,
        ]

    def members(self) -> set[int]:
        try:
            return {int(pid) for pid in (self.path / "cgroup.procs").read_text().split()}
        except OSError:
            return set()

    async def remove(self) -> None:
        for _ in range(int(KILL_WAIT_SECONDS / POLL_SECONDS)):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                await asyncio.sleep(POLL_SECONDS)
        logger.warning("cannot remove the sandbox's cgroup %s", self.path)


def find_pids_cgroup() -> Path | None:
    """A pids cgroup directory in which Honk may create children, or None."""
    for candidate in _pids_cgroup_candidates():
        try:
            PidsCgroup.create(candidate, 1).path.rmdir()
        except OSError:
            continue
        return candidate
    return None


def _pids_cgroup_candidates() -> list[Path]:
    candidates: list[Path] = []
    for line in read_or_empty(Path("/proc/self/cgroup")).splitlines():
        _, controllers, relative = line.split(":", 2)
        if "pids" in controllers.split(","):
            candidates.append(CGROUP_MOUNT / "pids" / relative.lstrip("/"))
        elif not controllers:
            unified = CGROUP_MOUNT / relative.lstrip("/")
            if "pids" in read_or_empty(unified / "cgroup.subtree_control").split():
                candidates.append(unified)
    return candidates


def read_or_empty(path: Path) -> str:
    """The text of a (kernel) file, or "" if it cannot be read."""
    try:
        return path.read_text()
    except OSError:
        return ""
