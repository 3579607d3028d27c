"""Honk's pull requests table: record, read back, outcome, CI-fix attempts (both databases)."""

from __future__ import annotations

from dataclasses import replace

from app.store.engine import Store
from app.store.pulls import PullRecord, PullRequests

PULL = PullRecord(
    repo="octo/repo", number=12, issue_number=7, branch="honk/issue-7", requester="mona",
    requester_id=583231, task="Fix the empty case", state="open", ci_fix_attempts=0,
)  # fmt: skip


async def test_record_and_read_back(store: Store) -> None:
    pulls = PullRequests(store)
    await pulls.record(PULL)
    assert await pulls.get("octo/repo", 12) == PULL
    assert await pulls.get("octo/repo", 13) is None
    assert await pulls.get("other/repo", 12) is None


async def test_record_again_refreshes_and_reopens(store: Store) -> None:
    pulls = PullRequests(store)
    await pulls.record(PULL)
    await pulls.set_state("octo/repo", 12, "closed")
    await pulls.add_ci_attempt("octo/repo", 12)
    await pulls.record(replace(PULL, task="Fix it again", requester="hubot"))
    record = await pulls.get("octo/repo", 12)
    assert record is not None
    assert (record.task, record.requester, record.state) == ("Fix it again", "hubot", "open")
    assert record.ci_fix_attempts == 1  # the count is kept; a person's request resets it


async def test_outcome_and_ci_attempts(store: Store) -> None:
    pulls = PullRequests(store)
    assert await pulls.set_state("octo/repo", 12, "merged") is False  # unknown to Honk
    await pulls.record(PULL)
    assert await pulls.set_state("octo/repo", 12, "approved") is True
    assert [await pulls.add_ci_attempt("octo/repo", 12) for _ in range(3)] == [1, 2, 3]
    await pulls.reset_ci_attempts("octo/repo", 12)
    record = await pulls.get("octo/repo", 12)
    assert record is not None and (record.state, record.ci_fix_attempts) == ("approved", 0)
    assert await pulls.add_ci_attempt("octo/repo", 99) == 0
