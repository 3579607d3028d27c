"""The real sandbox for tests: skip where bubblewrap cannot run, fail under CI=true."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

from app.core.env_values import SandboxMode
from app.core.errors import SandboxUnavailable
from app.sandbox.sandbox import Profile, Sandbox

BWRAP_PROFILES: list[Profile] = ["bwrap-full", "bwrap-weak"]
ALL_PROFILES: list[Profile] = [*BWRAP_PROFILES, "none"]


def unavailable(reason: str) -> NoReturn:
    """This host lacks what the test needs: a skip here, a failure under CI=true (where
    `make test` installed it and CI runs as root)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, but {reason}")
    else:
        pytest.skip(reason)


def needs_tool(name: str) -> None:
    """Skip (fail under CI=true) unless the command `name` is installed."""
    if shutil.which(name) is None:
        unavailable(f"{name} is not installed")


def probed_sandbox(mode: SandboxMode = "bwrap") -> Sandbox:
    """The probed sandbox; skips where bubblewrap cannot run, fails under CI=true."""
    try:
        return Sandbox.probe(mode)
    except SandboxUnavailable as exc:
        unavailable(f"the sandbox is unavailable: {exc}")


def sandbox_for(profile: Profile) -> Sandbox:
    """The sandbox in exactly `profile` (skipped if this host cannot run that one)."""
    if profile == "none":
        return Sandbox.probe("none")
    probed_sandbox()
    try:
        return Sandbox.require(profile)
    except SandboxUnavailable as exc:
        unavailable(f"this host runs another sandbox profile: {exc}")


def job_worktree(tmp_path: Path) -> Path:
    """An empty directory laid out like a job's worktree, for the sandbox to run in."""
    worktree = tmp_path / "worktrees" / "job-1"
    worktree.mkdir(parents=True)
    return worktree
