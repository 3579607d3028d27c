"""Fixtures shared by the sandbox tests: a job-like worktree and the sandbox per profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.sandbox.sandbox import Profile, Sandbox
from tests.fakes.sandbox_probe import ALL_PROFILES, BWRAP_PROFILES, job_worktree, sandbox_for


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty directory laid out like a job's worktree."""
    return job_worktree(tmp_path)


@pytest.fixture(params=BWRAP_PROFILES)
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Each bubblewrap profile this host runs (the others are skipped)."""
    profile: Profile = request.param
    return sandbox_for(profile)


@pytest.fixture(params=ALL_PROFILES)
def any_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Each profile, `none` included."""
    profile: Profile = request.param
    return sandbox_for(profile)
