"""Dashboard queries: requester filter on both databases, aggregates over jobs and PRs."""

from __future__ import annotations

import pytest

from app.core.commands import Command
from app.store.engine import Store
from app.store.job_search import DAY, JobFilter, JobSearch
from app.store.jobs import update_jobs
from app.store.pulls import PullRecord, PullRequests
from app.store.queue import Queue
from app.store.tables import jobs
from tests.conftest import ManualClock


async def add_job(
    queue: Queue, repo: str, number: int, sender: str = "mona", **values: object
) -> int:
    command = Command("fix_issue", repo, number, 1, sender, f"d-{repo}-{number}-{sender}")
    _, job_id = await queue.enqueue(command)
    if values:
        async with queue.store.transaction(write=True) as conn:
            await update_jobs(conn, jobs.c.id == job_id, **values)
    return job_id


async def add_pull(
    store: Store, clock: ManualClock, repo: str, number: int, issue: int, state: str
) -> None:
    pulls = PullRequests(store, clock=clock)
    await pulls.record(
        PullRecord(repo, number, issue, f"honk/issue-{issue}", "mona", 1, "t", "open", 0)
    )
    await pulls.set_state(repo, number, state)  # type: ignore[arg-type]


async def test_an_empty_set_of_readable_repositories_reads_nothing(
    store: Store, queue: Queue
) -> None:
    await add_job(queue, "octo/app", 1)
    search = JobSearch(store)
    page = await search.page(JobFilter(readable=frozenset()))
    assert page.jobs == [] and page.next_before is None
    assert (await search.aggregates(frozenset())).finished == 0


@pytest.mark.parametrize(("person", "found"), [("MONA", [1]), ("hubot", [2]), ("nobody", [])])
async def test_person_filter_matches_the_requester_in_any_case(
    store: Store, queue: Queue, person: str, found: list[int]
) -> None:
    await add_job(queue, "octo/app", 1, "mona")
    await add_job(queue, "octo/app", 2, "Hubot")
    page = await JobSearch(store).page(JobFilter(person=person))
    assert [job.number for job in page.jobs] == found


async def test_aggregates(store: Store, queue: Queue, clock: ManualClock) -> None:
    start = clock()
    await add_job(queue, "octo/app", 1, state="succeeded", cost_usd=2.0)  # issue 1 -> PR 10
    clock.advance(600)
    await add_pull(store, clock, "octo/app", 10, 1, "merged")
    await add_job(queue, "octo/app", 10, kind="address_review", state="succeeded", cost_usd=1.0)
    clock.advance(DAY)
    await add_job(queue, "octo/app", 2, state="failed", cost_usd=0.5)  # issue 2 -> PR 11
    clock.advance(1800)
    await add_pull(store, clock, "octo/app", 11, 2, "closed")
    await add_job(queue, "octo/lib", 3, state="running", cost_usd=4.0)
    await add_job(queue, "octo/old", 4, state="succeeded", created_at=start - 40 * DAY)
    totals = await JobSearch(store, clock=clock).aggregates(None)
    assert [count for _, count in totals.per_day] == [2, 2]
    assert (totals.succeeded, totals.finished) == (2, 3)
    assert (totals.prs, totals.merged, totals.closed, totals.merge_rate) == (2, 1, 1, 0.5)
    assert totals.median_to_pr == pytest.approx((600 + 1800) / 2)
    assert totals.cost_per_merged == pytest.approx(3.0)
    assert [(s.repo, s.cost_usd) for s in totals.top_repos] == [
        ("octo/lib", 4.0),
        ("octo/app", 3.5),
    ]
    only_lib = await JobSearch(store, clock=clock).aggregates(frozenset({"octo/lib"}))
    assert (only_lib.prs, only_lib.finished) == (0, 0)
