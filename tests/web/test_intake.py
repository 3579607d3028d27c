"""Group commit: the intake gives exactly the queue's answers, many deliveries per transaction."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.commands import Command
from app.core.errors import DatabaseUnavailable
from app.store.engine import Store
from app.store.jobs import MAX_COALESCED
from app.store.queue import Queue
from app.web.intake import Accepted, Intake

Step = tuple[str, Command | None]  # (delivery id, command)


def command(number: int = 1, notes: str = "") -> Command:
    return Command("fix_issue", "octo/repo", number, 7, "mona", f"d-{number}", notes=notes)


SCENARIOS: dict[str, list[Step]] = {
    "one job": [("d-1", command())],
    "redelivered three times": [("d-1", command()), ("d-1", command()), ("d-1", command())],
    "nothing to do, then redelivered": [("d-1", None), ("d-1", None)],
    "coalesced while queued": [("d-1", command(notes="a")), ("d-2", command(notes="b"))],
    "different issues": [("d-1", command(1)), ("d-2", command(2)), ("d-3", command(3))],
    "no number, no dedupe": [
        ("d-1", replace(command(), number=None)),
        ("d-2", replace(command(), number=None)),
    ],
    "duplicate of a coalesced one": [("d-1", command()), ("d-2", command()), ("d-2", command())],
    "past the coalescing cap": [
        (f"d-{i}", command(notes=str(i))) for i in range(MAX_COALESCED + 2)
    ],
}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/honk.db")
    yield store
    await store.close()


async def snapshot(queue: Queue) -> list[tuple[object, ...]]:
    return [
        (job.id, job.kind, job.number, job.state, tuple(c.notes for c in job.commands),
         job.delivery_id, job.dedupe_key, job.lock_key, job.max_attempts)
        for job in await queue.recent(100)
    ]  # fmt: skip


@pytest.mark.parametrize("name", SCENARIOS)
async def test_intake_answers_like_the_queue(tmp_path: Path, name: str) -> None:
    steps = SCENARIOS[name]
    answers: list[list[Accepted]] = []
    states = []
    for variant in ("queue", "intake"):
        store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/{variant}.db")
        queue = Queue(store, max_attempts=4, clock=lambda: 1000.0)
        intake = Intake.for_queue(queue)
        assert intake is not None
        accept = queue.accept_delivery if variant == "queue" else intake.accept
        answers.append([await accept(d, "issues", "labeled", c) for d, c in steps])
        states.append(await snapshot(queue))
        await intake.close()
        await store.close()
    assert answers[0] == answers[1]
    assert states[0] == states[1]


async def test_concurrent_deliveries_share_transactions(store: Store) -> None:
    queue = Queue(store)
    intake = Intake.for_queue(queue)
    assert intake is not None
    deliveries = [(f"d-{i % 150}", command(i % 50, notes=str(i % 150))) for i in range(300)]
    answers = await asyncio.gather(
        *(intake.accept(d, "issues", "labeled", c) for d, c in deliveries)
    )
    await intake.close()
    outcomes = [outcome for outcome, _ in answers]
    assert outcomes.count("duplicate") == 150  # every delivery id came twice
    jobs = await queue.recent(100)
    assert len(jobs) == 50  # one queued job per issue
    assert sorted(len(job.commands) for job in jobs) == [3] * 50  # three deliveries each, kept
    for (delivery, _), (outcome, job_id) in zip(deliveries, answers, strict=True):
        assert job_id is not None, (delivery, outcome)


async def test_a_bad_delivery_fails_alone(store: Store) -> None:
    queue = Queue(store)
    intake = Intake.for_queue(queue)
    assert intake is not None
    bad = replace(command(2), kind=None)  # type: ignore[arg-type]  # violates NOT NULL
    results = await asyncio.gather(
        intake.accept("d-1", "issues", "labeled", command(1)),
        intake.accept("d-2", "issues", "labeled", bad),
        intake.accept("d-3", "issues", "labeled", command(3)),
        return_exceptions=True,
    )
    await intake.close()
    assert [r if isinstance(r, BaseException) else r[0] for r in results][::2] == ["queued"] * 2
    assert isinstance(results[1], Exception)
    assert [job.number for job in await queue.recent()] == [3, 1]


async def test_locked_database_is_unavailable(store: Store, tmp_path: Path) -> None:
    intake = Intake(tmp_path / "honk.db", max_attempts=3, busy_timeout=0.05)
    holder = sqlite3.connect(tmp_path / "honk.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(DatabaseUnavailable, match="locked"):
        await intake.accept("d-1", "issues", "labeled", command())
    holder.execute("ROLLBACK")
    assert await intake.accept("d-1", "issues", "labeled", command()) == ("queued", 1)
    holder.close()
    await intake.close()


async def test_only_sqlite_files_get_an_intake(store: Store) -> None:
    assert Intake.for_queue(Queue(store)) is not None
    memory = await Store.open("sqlite+aiosqlite:///:memory:")
    assert Intake.for_queue(Queue(memory)) is None
    await memory.close()
