"""The CI-fix limit is said once per PR head, end to end, however often its job is attempted
(issue point 11): never twice, and not lost when the first attempt failed to say it."""

from __future__ import annotations

import pytest

from app.core.errors import StoreError
from app.core.markdown import find_marker
from tests.flows.test_control import answers, run_losing_the_first_outcome
from tests.flows.test_e2e import open_pr, suite_failed
from tests.flows.world import REPO, World

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]


async def pr_at_its_limit(world: World) -> tuple[int, str]:
    """A Honk PR whose CI-fix attempts (2 by default) are used up; (number, branch)."""
    issue, pr = await open_pr(world)
    for _ in range(2):
        await world.worker.services.pulls.add_ci_attempt(REPO, pr)
    return pr, f"honk/issue-{issue}"


async def test_the_limit_is_said_once_when_its_job_is_attempted_twice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pr, branch = await pr_at_its_limit(world)
    await world.deliver("check_suite", suite_failed(world, pr, branch))

    await run_losing_the_first_outcome(world, monkeypatch)

    (said,) = answers(world, pr, "ci-limit")
    assert find_marker(said) == {
        "kind": "ci-limit",
        "attempts": "2",
        "head": world.repo.pulls[pr].head_sha,
    }


async def test_the_limit_is_said_after_a_first_attempt_that_could_not_post_it(
    world: World,
) -> None:
    pr, branch = await pr_at_its_limit(world)
    # GitHub refuses the comment, and again after Honk looked and found none: attempt 1 fails.
    world.fake.fail_next("POST", rf"/repos/octo/widgets/issues/{pr}/comments", 500, times=2)
    await world.deliver("check_suite", suite_failed(world, pr, branch))

    jobs = await world.run_jobs()

    assert [(job.kind, job.state) for job in jobs] == [
        ("ci_fix", "queued"),
        ("ci_fix", "succeeded"),
    ]
    (said,) = answers(world, pr, "ci-limit")
    assert "after 2 fix attempts" in said


async def test_a_database_error_after_the_limit_was_said_does_not_say_it_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pr, branch = await pr_at_its_limit(world)
    pulls = world.worker.services.pulls
    real_add, failures = pulls.add_ci_attempt, [StoreError("database is locked")]

    async def flaky_add(repo: str, number: int) -> int:
        if failures:
            raise failures.pop()
        return await real_add(repo, number)

    monkeypatch.setattr(pulls, "add_ci_attempt", flaky_add)
    await world.deliver("check_suite", suite_failed(world, pr, branch))

    jobs = await world.run_jobs()

    assert [job.state for job in jobs] == ["queued", "succeeded"]
    assert len(answers(world, pr, "ci-limit")) == 1
    await world.deliver("check_suite", suite_failed(world, pr, branch))  # a later suite
    await world.run_jobs()
    assert len(answers(world, pr, "ci-limit")) == 1
