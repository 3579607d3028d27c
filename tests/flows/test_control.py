"""`/honk stop`, `/honk help` and `/honk retry` answer once per job, end to end (issue point 11).

A job is attempted again when its first outcome is lost (here: the database refuses to record
it after the answer was posted, the lease expires, a worker takes the job over). The second
attempt finds the answer its job already made, by the marker naming the job, and posts none.
"""

from __future__ import annotations

import pytest

from app.core.commands import JobKind
from app.core.errors import StoreError
from app.core.markdown import find_marker
from app.store.jobs import Job
from app.worker import Worker
from tests.flows.test_e2e import commented, expire_lease, labeled
from tests.flows.world import World

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]


async def run_losing_the_first_outcome(
    world: World, monkeypatch: pytest.MonkeyPatch, *kinds: JobKind
) -> Job:
    """Run the next job (of `kinds`, if given) twice: the database refuses to record the first
    attempt's outcome, so its lease expires and the job is attempted again. The job as it ended."""
    worker = Worker(
        world.queue, world.settings, services=world.worker.services, kinds=kinds or None
    )
    real_complete, failures = world.queue.complete, [StoreError("database is locked")]

    async def flaky_complete(*args: object, **kwargs: object) -> None:
        if failures:
            raise failures.pop()
        await real_complete(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(world.queue, "complete", flaky_complete)
    first = await worker.run_once()
    assert first is not None and failures == []
    await expire_lease(world, first.id)
    again = await worker.run_once()
    assert again is not None and (again.id, again.attempts) == (first.id, 2)
    ended = await world.queue.get(first.id)
    assert ended is not None
    assert ended.state == "succeeded", ended.error
    return ended


def answers(world: World, number: int, kind: str) -> list[str]:
    """Honk's comments on `number` whose marker is of `kind`."""
    return [
        body
        for body in world.bot_comments(number)
        if (found := find_marker(body)) is not None and found["kind"] == kind
    ]


async def test_help_attempted_twice_answers_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = world.repo.add_issue("Anything", "")
    await world.deliver("issue_comment", commented(world, issue, "/honk help"))

    job = await run_losing_the_first_outcome(world, monkeypatch)

    (answer,) = world.bot_comments(issue)
    assert find_marker(answer) == {"kind": "help", "job": str(job.id)}
    assert "/honk fix" in answer


async def test_an_unknown_command_attempted_twice_answers_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = world.repo.add_issue("Anything", "")
    await world.deliver("issue_comment", commented(world, issue, "/honk deploy"))

    await run_losing_the_first_outcome(world, monkeypatch)

    (answer,) = world.bot_comments(issue)
    assert "deploy" in answer


async def test_stop_attempted_twice_answers_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    await world.deliver("issues", labeled(world, issue))  # job 1 waits for a worker
    await world.deliver("issue_comment", commented(world, issue, "/honk stop"))

    stop = await run_losing_the_first_outcome(world, monkeypatch, "stop")

    # The first attempt cancelled job 1; the second found nothing left to stop, and its
    # answer would have said so in a second comment.
    (answer,) = answers(world, issue, "stop")
    assert find_marker(answer) == {"kind": "stop", "job": str(stop.id)}
    assert "Honk is stopping job 1" in answer
    assert world.bot_comments(issue) == [answer]
    cancelled = await world.queue.get(1)
    assert cancelled is not None and cancelled.state == "cancelled"


async def test_retry_with_nothing_to_retry_attempted_twice_answers_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = world.repo.add_issue("Anything", "")
    await world.deliver("issue_comment", commented(world, issue, "/honk retry"))

    job = await run_losing_the_first_outcome(world, monkeypatch)

    (answer,) = world.bot_comments(issue)
    assert find_marker(answer) == {"kind": "retry", "job": str(job.id)}
    assert "no earlier job here to retry" in answer


async def test_retry_attempted_twice_queues_the_job_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    world.model.error(500, "api_error", "Internal server error")  # attempt 1 fails...
    world.model.error(500, "api_error", "Internal server error")  # ...and attempt 2 too
    await world.deliver("issues", labeled(world, issue))
    assert [job.state for job in await world.run_jobs()] == ["queued", "failed"]
    await world.deliver("issue_comment", commented(world, issue, "/honk retry"))

    retried = await run_losing_the_first_outcome(world, monkeypatch, "retry")

    queued = [job for job in await world.queue.recent() if job.state == "queued"]
    assert retried.result is not None
    assert [(job.kind, job.id) for job in queued] == [("fix_issue", retried.result["job"])]


async def test_a_failed_first_attempt_leaves_no_stale_tries_again_comment(world: World) -> None:
    issue = world.repo.add_issue("Anything", "")
    # GitHub refuses the answer, and again after Honk looked and found none: attempt 1 fails.
    world.fake.fail_next("POST", rf"/repos/octo/widgets/issues/{issue}/comments", 500, times=2)
    await world.deliver("issue_comment", commented(world, issue, "/honk help"))

    jobs = await world.run_jobs()

    assert [(job.kind, job.state) for job in jobs] == [("help", "queued"), ("help", "succeeded")]
    (answer,) = world.bot_comments(issue)  # the usage, and no "tries again" left behind
    assert find_marker(answer) == {"kind": "help", "job": str(jobs[-1].id)}
