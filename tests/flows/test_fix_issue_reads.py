"""An issue job's first reads (settings, repository, open PR) are in flight together."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest

from app.core.errors import GitHubError, RepoConfigError
from app.core.repo_config import RepoConfig
from app.flows.fix_issue import first_reads
from app.flows.job import JobRun
from app.github.client import RepoInfo

INFO = RepoInfo(
    full_name="octo/widgets", clone_url="https://x/y.git", default_branch="main", private=False
)


class Reads:
    """Each read waits until all three have started: run one after another, they never end."""

    def __init__(self, *, config_error: Exception | None = None) -> None:
        self.started = 0
        self.all_started = asyncio.Event()
        self.config_error = config_error

    async def _begin(self) -> None:
        self.started += 1
        if self.started == 3:
            self.all_started.set()
        await asyncio.wait_for(self.all_started.wait(), timeout=5)

    async def config(self) -> RepoConfig:
        await self._begin()
        if self.config_error is not None:
            raise self.config_error
        return RepoConfig()

    async def repository(self) -> RepoInfo:
        await self._begin()
        return INFO

    async def find_open_pull(self, branch: str) -> None:
        await self._begin()
        if branch == "fail":
            raise GitHubError("boom", status=502)


def run_of(reads: Reads) -> JobRun:
    fake: Any = SimpleNamespace(config=reads.config, repo=reads)
    return cast(JobRun, fake)


async def test_the_three_reads_overlap() -> None:
    config, info, existing = await first_reads(run_of(Reads()), "honk/issue-1")
    assert (config, info, existing) == (RepoConfig(), INFO, None)


async def test_an_invalid_settings_file_is_the_error_raised_first() -> None:
    bad = RepoConfigError(".github/honk.yml", "test", "must be text")
    with pytest.raises(RepoConfigError):
        await first_reads(run_of(Reads(config_error=bad)), "fail")


async def test_a_github_failure_is_raised() -> None:
    with pytest.raises(GitHubError):
        await first_reads(run_of(Reads()), "fail")
