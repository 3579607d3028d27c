"""The data directory: created private, and swept by age (transcripts, worktrees, caches,
deliveries), while whatever was touched within the retention period stays."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.core.commands import Command
from app.flows.retention import DAY_SECONDS, make_private, periodic_sweep, sweep
from app.store.engine import Store
from app.store.queue import Queue

NOW = time.time()


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[Queue]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/db/honk.db")
    yield Queue(store)
    await store.close()


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """A common umask (022): what Honk makes would be world-readable unless made private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def touch(path: Path, days: float) -> None:
    moment = NOW - days * DAY_SECONDS
    os.utime(path, (moment, moment))


def aged(path: Path, days: float) -> Path:
    """A file last changed `days` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    touch(path, days)
    return path


def aged_dir(path: Path, days: float, inside: dict[str, float]) -> Path:
    """A directory last changed `days` ago, holding files last changed as `inside` says."""
    for name, file_days in inside.items():
        aged(path / name, file_days)
    touch(path, days)
    return path


@pytest.mark.usefixtures("usual_umask")
def test_the_data_dir_is_created_private(tmp_path: Path) -> None:
    make_private(tmp_path / "honk")
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    make_private(loose)

    for made in (tmp_path / "honk", loose):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700


@pytest.mark.usefixtures("usual_umask")
async def test_the_sqlite_database_dir_is_created_private(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/fresh/honk.db")
    await store.close()

    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o700


async def test_a_sweep_removes_what_is_older_than_the_retention(
    tmp_path: Path, queue: Queue
) -> None:
    data = tmp_path / "honk"
    old_transcript = aged(data / "transcripts" / "job-1.jsonl", 20)
    new_transcript = aged(data / "transcripts" / "job-2.jsonl", 1)
    old_tree = aged_dir(data / "worktrees" / "job-1", 20, {"calc.py": 20})
    busy_tree = aged_dir(data / "worktrees" / "job-3", 20, {"calc.py": 0})  # being edited
    repos = data / "repos" / "github.com" / "octo"
    gone_cache = aged_dir(repos / "gone.git", 30, {"FETCH_HEAD": 30})
    used_cache = aged_dir(repos / "used.git", 30, {"FETCH_HEAD": 2})
    command = Command("fix_issue", "octo/used", 1, 7, "mona", "d-new")
    queue.clock = lambda: NOW - 20 * DAY_SECONDS
    await queue.accept_delivery("d-old", "ping", None, None)
    queue.clock = lambda: NOW
    await queue.accept_delivery("d-new", "issues", "labeled", command)

    swept = await sweep(data, queue, retention_days=14, now=NOW)

    assert (swept.transcripts, swept.worktrees, swept.caches, swept.deliveries) == (1, 1, 1, 1)
    assert not old_transcript.exists() and new_transcript.exists()
    assert not old_tree.exists() and busy_tree.exists()
    assert not gone_cache.exists() and (used_cache / "FETCH_HEAD").exists()
    assert await queue.accept_delivery("d-new", "issues", "labeled", command) == ("duplicate", 1)
    assert (await queue.accept_delivery("d-old", "ping", None, None))[0] == "ignored"  # forgotten


async def test_the_periodic_sweep_runs_at_most_hourly(tmp_path: Path, queue: Queue) -> None:
    transcript = aged(tmp_path / "transcripts" / "job-1.jsonl", 20)
    maybe_sweep = periodic_sweep(tmp_path, queue, retention_days=14)

    first = await maybe_sweep()
    aged(transcript, 20)  # old again, but within the hour
    second = await maybe_sweep()

    assert first is not None and first.transcripts == 1
    assert second is None and transcript.exists()


async def test_a_sweep_removes_old_tool_directories_read_only_parts_too(
    tmp_path: Path, queue: Queue
) -> None:
    data = tmp_path / "honk"
    module = aged(data / "tools" / "job-1" / "home" / "go" / "pkg" / "mod" / "x.go", 20)
    module.parent.chmod(0o555)  # Go's module cache is read-only
    for parent in list(module.parents)[:5]:  # mod, pkg, go, home, job-1
        touch(parent, 20)
    kept = aged_dir(data / "tools" / "job-2", 20, {"setup-excludes": 0})  # a running job's

    swept = await sweep(data, queue, retention_days=14, now=NOW)

    assert swept.tools == 1
    assert not (data / "tools" / "job-1").exists() and kept.exists()
