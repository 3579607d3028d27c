"""A job's tool directory: the sandbox's HOME for setup, agent and tests, outside the worktree.

`HONK_DATA_DIR/tools/<job>/` is Honk's own (0700) and is never shown to the sandbox; inside it,
`home/` is bound writable at its own path and is `HOME` for every command of the job: package
caches (pip, npm, cargo, go) land there, and `home/venv` is the job's Python virtual
environment, active through `PATH` and `VIRTUAL_ENV` once setup made it. Beside `home/` lie the
egress proxy's socket directory and the list of what setup left in the worktree (never
committed). The whole directory goes when the job's worktree is released.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from app.flows.agent_run import AGENT_ENV
from app.sandbox.args import SANDBOX_PATH
from app.sandbox.sandbox import Bind
from app.workspace.pool import force_rmtree

TOOLS_DIR = "tools"
VENV = "venv"


@dataclass(frozen=True)
class ToolDir:
    """One job's tool directory (`root`, Honk's) and the HOME inside it (the sandbox's)."""

    root: Path

    @classmethod
    def for_job(cls, data_dir: Path, job_key: str) -> ToolDir:
        """Where `job_key`'s tool directory lives (made by `make`)."""
        return cls(data_dir.resolve() / TOOLS_DIR / job_key)

    async def make(self) -> None:
        """Make it fresh and empty (an earlier attempt's is removed first)."""
        await asyncio.to_thread(self._make)

    def _make(self) -> None:
        self.root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        force_rmtree(self.root)
        self.root.mkdir(mode=0o700)
        self.home.mkdir(mode=0o700)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def venv(self) -> Path:
        return self.home / VENV

    @property
    def egress(self) -> Path:
        """The egress proxy's socket directory (bound read-only at SOCKET_DIR during setup)."""
        return self.root / "egress"

    @property
    def excludes(self) -> Path:
        """What setup left untracked in the worktree, as git exclude patterns."""
        return self.root / "setup-excludes"

    def env(self) -> dict[str, str]:
        """The environment of the job's commands: HOME here, the venv first on PATH if made."""
        env = {**AGENT_ENV, "HOME": str(self.home)}
        if (self.venv / "pyvenv.cfg").is_file():
            env |= {"VIRTUAL_ENV": str(self.venv), "PATH": f"{self.venv}/bin:{SANDBOX_PATH}"}
        return env

    def binds(self) -> list[Bind]:
        return [Bind(self.home, writable=True)]

    async def remove(self) -> None:
        await asyncio.to_thread(force_rmtree, self.root)
