"""Retries are idempotent and `/honk stop` is prompt, end to end (issue points 11, 13 and 15).

A GitHub or database failure after the agent finished never runs the agent again; a comment,
reply or PR is created once even when GitHub answers 502 after acting; spend counts across
attempts; a stop ends the running setup or test command at once, and keeps the agent's
changes so far as unfinished work.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import update

from app.core.errors import StoreError
from app.store.tables import jobs
from app.worker import Worker
from tests.fakes.anthropic_api import bash, text_block, usage
from tests.fakes.github import bodies
from tests.flows.test_e2e import commented, labeled, open_pr, reviewed, script_fix
from tests.flows.world import World, script_edit

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
COMMENT_EDIT = r"/repos/octo/widgets/issues/comments/\d+"
PULLS = "/repos/octo/widgets/pulls"


def commits_over_main(world: World, branch: str) -> int:
    return int(world.git("rev-list", "--count", f"main..{branch}"))


async def test_a_failed_progress_edit_after_the_agent_finished_fails_nothing(
    world: World,
) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    script_fix(world)
    # Every edit of the progress comment after the agent's run answers 502, retries included.
    world.fake.fail_next("PATCH", COMMENT_EDIT, 502, times=50)

    await world.deliver("issues", labeled(world, issue))
    (job,) = await world.run_jobs()

    assert job.state == "succeeded" and job.attempts == 1, job.error
    assert len(world.model.requests) == 4  # one run of the agent
    assert len(world.repo.pulls) == 1


async def test_a_github_failure_after_the_push_publishes_without_running_the_agent_again(
    world: World,
) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    script_fix(world)
    world.fake.fail_next("POST", PULLS, 502, times=3)  # the whole first attempt's PR creation

    await world.deliver("issues", labeled(world, issue))
    first, second = await world.run_jobs()

    assert (first.state, second.state, second.attempts) == ("queued", "succeeded", 2)
    assert len(world.model.requests) == 4  # the retry published the agent's commit
    assert commits_over_main(world, f"honk/issue-{issue}") == 1
    assert len(world.repo.pulls) == 1
    assert second.result is not None and second.result["sha"] == world.git(
        "rev-parse", f"honk/issue-{issue}"
    )


async def test_a_failed_push_is_retried_without_running_the_agent_again(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    script_fix(world)
    world.remote.fail_pushes = 1

    await world.deliver("issues", labeled(world, issue))
    first, second = await world.run_jobs()

    assert (first.state, second.state, second.attempts) == ("queued", "succeeded", 2)
    assert len(world.model.requests) == 4  # the retry pushed the agent's commit
    branch = f"honk/issue-{issue}"
    assert commits_over_main(world, branch) == 1
    assert world.git("show", f"{branch}:calc.py").endswith("a + b")
    assert len(world.repo.pulls) == 1


async def test_a_comment_created_behind_a_502_is_found_not_made_twice(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    script_fix(world)
    # GitHub creates the progress comment, and a proxy answers 502 all the same.
    world.fake.fail_next("POST", rf"/repos/octo/widgets/issues/{issue}/comments", 502, after=True)

    await world.deliver("issues", labeled(world, issue))
    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    (comment,) = world.bot_comments(issue)
    assert "pull request [#" in comment


def script_review_answer(world: World, *comment_ids: int) -> None:
    edit = {"command": "insert", "path": "calc.py", "insert_line": 1,
            "insert_text": '    """Return the sum of a and b."""'}  # fmt: skip
    answers = "\n".join(f"- {cid}: Done." for cid in comment_ids)
    script_edit(world, edit, f"Document add()\n\n## Replies\n{answers}")


async def test_a_database_error_after_the_replies_posts_each_once_and_commits_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    issue, pr = await open_pr(world)
    branch = f"honk/issue-{issue}"
    review = world.repo.add_review(pr, "changes_requested", "Please document add().", "mona")
    first = world.repo.add_review_comment(pr, "Docstring?", "mona", review_id=review, line=1)
    other = world.repo.add_review_comment(pr, "Rename b?", "mona", review_id=review, line=2)
    script_review_answer(world, first, other)
    calls = len(world.model.requests)
    pulls = world.worker.services.pulls
    real_reset, failures = pulls.reset_ci_attempts, [StoreError("database is locked")]

    async def flaky_reset(repo: str, number: int) -> None:
        if failures:
            raise failures.pop()
        await real_reset(repo, number)

    monkeypatch.setattr(pulls, "reset_ci_attempts", flaky_reset)
    await world.deliver(
        "pull_request_review", reviewed(world, pr, review, "changes_requested", branch)
    )
    jobs = await world.run_jobs()

    assert [job.state for job in jobs] == ["queued", "succeeded"]
    assert len(world.model.requests) == calls + 3  # one run of the agent
    assert commits_over_main(world, branch) == 2  # the PR's commit and one review commit
    replies = world.fake.requests_to("POST", f"/repos/octo/widgets/pulls/{pr}/comments")
    assert sorted(r.json["in_reply_to"] for r in replies) == [first, other]


async def test_a_reply_posted_behind_a_502_is_not_posted_again(world: World) -> None:
    issue, pr = await open_pr(world)
    branch = f"honk/issue-{issue}"
    review = world.repo.add_review(pr, "commented", "One thing.", "mona")
    comment = world.repo.add_review_comment(pr, "Why a - b?", "mona", review_id=review)
    world.model.reply([text_block(f"Answer\n\n## Replies\n- {comment}: It was a bug.")])
    world.fake.fail_next("POST", rf"/repos/octo/widgets/pulls/{pr}/comments", 502, after=True)

    await world.deliver("pull_request_review", reviewed(world, pr, review, "commented", branch))
    await world.run_jobs()

    posted = [c for c in world.repo.review_comments.values() if c.in_reply_to_id == comment]
    assert len(posted) == 1


async def test_spend_counts_across_attempts(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    costly = usage(input_tokens=1_000_000, output_tokens=100_000)  # most of HONK_MAX_USD
    world.model.reply([bash("true")], "tool_use", costly)
    world.model.error(400, "invalid_request_error", "the first attempt ends here")
    world.model.reply([bash("true")], "tool_use", costly)
    world.model.reply([bash("true")], "tool_use", costly)
    await world.deliver("issues", labeled(world, issue))

    first, second = await world.run_jobs()

    one_turn = first.cost_usd
    assert one_turn < world.settings.max_usd < 2 * one_turn, one_turn
    assert second.state == "failed" and "USD budget" in (second.error or "")
    # HONK_MAX_USD is the job's ceiling, not each attempt's: the second attempt stopped after
    # one turn (the sum passed it), and the job's cost is both attempts' spend.
    assert len(world.model.requests) == 3
    assert second.cost_usd == pytest.approx(2 * one_turn)


async def test_a_draft_refused_by_the_plan_is_opened_ready(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    script_fix(world)
    message = "Draft pull requests are not supported in this repository."
    error = {"resource": "PullRequest", "code": "custom", "message": message}
    world.fake.fail_next("POST", PULLS, 422, body=bodies.validation_body([error], "x"))

    await world.deliver("issues", labeled(world, issue))
    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    drafted, ready = world.fake.requests_to("POST", PULLS)
    assert (drafted.json["draft"], ready.json["draft"]) == (True, False)


async def test_a_first_attempt_makes_its_progress_comment_without_looking_for_it(
    world: World,
) -> None:
    issue, _ = await open_pr(world)

    assert world.fake.requests_to("GET", f"/repos/octo/widgets/issues/{issue}/comments") == []
    (progress, *_) = world.bot_comments(issue)
    job = await world.queue.get(1)
    assert job is not None and job.progress_comment_id is not None  # kept with the job
    assert world.repo.comments[job.progress_comment_id].body == progress


async def test_a_retried_attempt_edits_the_comment_by_its_kept_id(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    world.model.error(500, "api_error", "Internal server error")  # attempt 1 fails
    script_fix(world)
    await world.deliver("issues", labeled(world, issue))

    first, second = await world.run_jobs()

    assert (first.state, second.state) == ("queued", "succeeded"), second.error
    (progress,) = world.bot_comments(issue)  # taken over, not made again
    assert "Honk opened" in progress or "pull/" in progress
    assert world.fake.requests_to("GET", f"/repos/octo/widgets/issues/{issue}/comments") == []
    assert len(world.fake.requests_to("POST", f"/repos/octo/widgets/issues/{issue}/comments")) == 1


async def test_a_retried_attempt_that_lost_the_id_finds_the_comment_by_its_marker(
    world: World,
) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    world.model.error(500, "api_error", "Internal server error")
    script_fix(world)
    await world.deliver("issues", labeled(world, issue))
    (first,) = await world.run_jobs(limit=1)
    assert first.state == "queued" and first.progress_comment_id is not None
    async with world.queue.store.transaction(write=True) as conn:  # as if never kept
        await conn.execute(update(jobs).values(progress_comment_id=None))

    (second,) = await world.run_jobs()

    assert second.state == "succeeded", second.error
    assert len(world.bot_comments(issue)) == 1
    listings = world.fake.requests_to("GET", f"/repos/octo/widgets/issues/{issue}/comments")
    assert len(listings) == 1  # the id unknown and an earlier attempt ran: looked for once
    assert second.progress_comment_id == first.progress_comment_id  # found, and kept again


async def test_a_kept_comment_deleted_meanwhile_is_made_again(world: World) -> None:
    issue = world.repo.add_issue("add() subtracts", "")
    world.model.error(500, "api_error", "Internal server error")
    script_fix(world)
    await world.deliver("issues", labeled(world, issue))
    (first,) = await world.run_jobs(limit=1)
    assert first.progress_comment_id is not None
    del world.repo.comments[first.progress_comment_id]  # someone deleted it

    (second,) = await world.run_jobs()

    assert second.state == "succeeded", second.error
    (progress,) = world.bot_comments(issue)
    assert progress.startswith(f"<!-- honk:progress job={second.id} -->")
    assert second.progress_comment_id not in (None, first.progress_comment_id)


async def test_an_outsiders_approval_does_not_mark_the_pr_approved(world: World) -> None:
    issue, pr = await open_pr(world)
    world.repo.set_permission("reader", "read")
    review = world.repo.add_review(pr, "approved", "LGTM", "reader")
    approval = reviewed(world, pr, review, "approved", f"honk/issue-{issue}")
    approval["sender"]["login"] = "reader"

    await world.deliver("pull_request_review", approval)
    (job,) = await world.run_jobs()

    record = await world.worker.services.pulls.get("octo/widgets", pr)
    assert record is not None and record.state == "open"
    assert job.result is not None and "reader has read permission" in job.result["skipped"]


async def run_until_stopped(world: World, issue: int, where: Path) -> None:
    """Start the job, wait for `where/started`, ask `/honk stop`, let the job end."""
    running = asyncio.create_task(world.worker.run_once())
    for _ in range(1500):  # bounded: a hang fails the test instead of stalling the suite
        if (where / "started").exists():
            break
        await asyncio.sleep(0.02)
    assert (where / "started").exists(), "the command never started"
    await world.deliver("issue_comment", commented(world, issue, "/honk stop"))
    helper = Worker(world.queue, world.settings, services=world.worker.services, name="helper")
    await helper.run_once()
    # Without a prompt stop the command would go on for ten minutes: bound the wait well
    # below that, so that a stop seen only between model turns fails here.
    await asyncio.wait_for(running, timeout=60)


async def test_stop_ends_a_running_setup_command(world: World) -> None:
    world.repo.set_file(".github/honk.yml", 'setup:\n  - "touch started; sleep 600"\n')
    issue = world.repo.add_issue("Slow setup", "")
    await world.deliver("issues", labeled(world, issue))

    await run_until_stopped(world, issue, world.settings.data_dir / "worktrees" / "job-1")

    job = await world.queue.get(1)
    assert job is not None and job.state == "cancelled"
    assert world.model.requests == []


async def test_a_stop_during_the_tests_keeps_the_fix_as_wip_and_cancels(world: World) -> None:
    """A stop after the agent's first edit: the running test command ends at once, the work
    so far is pushed as a WIP commit on a draft PR that says so, and the job is cancelled."""
    slow = 'touch "$HOME/started"; sleep 600'  # in the job's HOME: nothing to commit
    world.repo.set_file(".github/honk.yml", f"test: {json.dumps(slow)}\n")
    issue = world.repo.add_issue("add() subtracts", "")
    script_fix(world)
    await world.deliver("issues", labeled(world, issue))
    home = world.settings.data_dir / "tools" / "job-1" / "home"

    await run_until_stopped(world, issue, home)

    job = await world.queue.get(1)
    assert job is not None and job.state == "cancelled"
    branch = f"honk/issue-{issue}"
    assert world.git("log", "-1", "--format=%s", branch) == "WIP (honk: stopped)"
    assert world.git("show", f"{branch}:calc.py").endswith("a + b")
    (create,) = world.fake.requests_to("POST", "/repos/octo/widgets/pulls")
    assert create.json["draft"] is True and create.json["head"] == branch
    assert "**Unfinished.** Honk stopped before finishing: stop requested" in create.json["body"]
    assert "Not run: the run is unfinished." in create.json["body"]
    (progress, _ack) = world.bot_comments(issue)
    assert "honk:unfinished" in progress and "Honk stopped before finishing" in progress
