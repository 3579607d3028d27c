"""A Slack-asked job's report in its thread: the status found (or posted), edited at most every
3 s and once more at the end, one final message per job across attempts, Slack failures kept
from the job. The reporter alone against the fake Slack, then whole jobs end to end."""

from __future__ import annotations

import asyncio

import pytest

from app.agent.loop import TurnInfo
from app.agent.model import Usage
from app.core.slack_blocks import ACTION_RETRY, ACTION_STOP
from app.flows.report import Ending
from app.flows.slack_report import SlackReport
from tests.fakes.slack_requests import USER_ID
from tests.flows.slack_world import THREAD, SlackWorld, buttons
from tests.flows.test_e2e import script_fix
from tests.flows.world import REPO

pytestmark = pytest.mark.httpx2(assert_all_called=False)
TOKEN = "xoxb-" + "1234567890-" * 3 + "abcdef"


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def reporter(sw: SlackWorld, job_id: int, clock: Clock | None = None) -> SlackReport:
    job = await sw.world.queue.get(job_id)
    assert job is not None and job.command.slack is not None
    return SlackReport(
        sw.services, job, job.command.slack, repo=REPO, base_branch="main", clock=clock or Clock()
    )


def turn(number: int, cost: float) -> TurnInfo:
    return TurnInfo(number, ("bash",), Usage(10, 5, 0, 0), cost, 1.0)


def edits(sw: SlackWorld) -> int:
    return len(sw.slack.calls_to("chat.update"))


async def test_the_status_saved_a_moment_after_the_job_started_is_the_one_edited(
    slack_world: SlackWorld,
) -> None:
    sw = slack_world
    job_id = await sw.ask("a task", status=False)
    report = await reporter(sw, job_id)

    starting = asyncio.create_task(report.start(wait=5.0))
    await asyncio.sleep(0.2)
    await sw.accept(job_id, USER_ID, THREAD, "mona")  # the request's job saves it late
    await starting
    await report.phase("working")

    (status,) = sw.slack.messages  # no second status message
    assert report.status is not None and report.status.ts == status.ts
    assert status.text.startswith("*Working*") and buttons(status) == [ACTION_STOP]


async def test_with_no_status_saved_the_reporter_posts_its_own_in_the_thread(
    slack_world: SlackWorld,
) -> None:
    sw = slack_world
    job_id = await sw.ask("a task", status=False)
    report = await reporter(sw, job_id)

    await report.start(wait=0.1)

    (status,) = sw.slack.messages
    assert (status.thread_ts, status.text.startswith("*Queued*")) == (THREAD, True)
    saved = await sw.services.slack_records.status(job_id)
    assert saved is not None and (saved.ts, saved.thread_ts) == (status.ts, THREAD)


async def test_edits_come_at_most_every_three_seconds_and_the_last_always(
    slack_world: SlackWorld,
) -> None:
    sw, clock = slack_world, Clock()
    job_id = await sw.ask("a task")
    report = await reporter(sw, job_id, clock)
    await report.start()

    await report.phase("working")
    clock.now += 1
    await report.turn(turn(1, 0.05))  # too soon: kept for later
    assert edits(sw) == 1
    clock.now += 3
    await report.turn(turn(2, 0.10))
    status = await sw.status_of(job_id)
    assert edits(sw) == 2 and "2 turns · $0.10" in status.text
    clock.now += 0.5
    await report.ended(Ending("failed", reason="the tests failed"))
    await asyncio.sleep(0)

    assert edits(sw) == 3  # the last edit comes at once, and nothing comes after it
    assert status.text.startswith("*Failed*") and buttons(status) == []


async def test_the_final_message_is_posted_once_per_job_across_attempts(
    slack_world: SlackWorld,
) -> None:
    sw = slack_world
    job_id = await sw.ask("a task")
    first = await reporter(sw, job_id)
    await first.start()
    await first.ended(Ending("retrying", reason="GitHub answered 502"))
    assert (await sw.status_of(job_id)).text.startswith("*Queued*")
    assert await sw.finals(job_id) == []

    again = await reporter(sw, job_id)
    await again.start()
    done = Ending("done", pr_url="https://github.test/octo/widgets/pull/9", pr_label="#9")
    await again.ended(done)
    await (await reporter(sw, job_id)).ended(done)  # a later attempt finds it posted

    (final,) = await sw.finals(job_id)
    assert final.text.startswith(f"<@{USER_ID}> PR ready: <https://github.test/")
    saved = await sw.services.slack_records.status(job_id)
    assert saved is not None and saved.final_ts == final.ts


async def test_slack_failures_never_reach_the_job(slack_world: SlackWorld) -> None:
    sw = slack_world
    job_id = await sw.ask("a task", status=False)
    for method in ("chat.postMessage", "chat.update"):
        for _ in range(5):
            sw.slack.fail_next(method, "ratelimited")
    report = await reporter(sw, job_id)

    await report.start(wait=0.1)
    await report.phase("working")
    await report.turn(turn(1, 0.01))
    await report.ended(Ending("failed", reason="boom"))

    assert report.status is None and sw.slack.messages == []


@pytest.mark.parametrize("reason", ["<!channel> look", f"leaked {TOKEN}", "@here <@U0BOSS>"])
async def test_a_failure_reason_is_posted_harmless(slack_world: SlackWorld, reason: str) -> None:
    sw = slack_world
    job_id = await sw.ask("a task")
    report = await reporter(sw, job_id)
    await report.start()

    await report.ended(Ending("failed", reason=reason))

    (final,) = await sw.finals(job_id)
    assert buttons(final) == [ACTION_RETRY]
    for raw in ("<!channel>", TOKEN, "@here", "<@U0BOSS>"):
        assert raw not in final.text and raw not in str(final.blocks)


# -- whole jobs ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("needs_sandbox")
async def test_a_fix_asked_in_slack_reports_on_github_and_in_slack(
    slack_world: SlackWorld,
) -> None:
    sw, world = slack_world, slack_world.world
    issue = world.repo.add_issue("add() subtracts", "calc.add(2, 3) gives -1, not 5.")
    script_fix(world)
    job_id = await sw.ask("", kind="fix_issue", number=issue)

    (job,) = await world.run_jobs()

    assert job.state == "succeeded", job.error
    assert job.result is not None
    (comment,) = world.bot_comments(issue)
    assert f"pull request [#{job.result['pr']}]" in comment
    status = await sw.status_of(job_id)
    assert status.text.startswith("*Done*") and buttons(status) == []
    (final,) = await sw.finals(job_id)
    assert final.text.startswith(f"<@{USER_ID}> PR ready: <{job.result['pr_url']}|")
    assert "1 file changed, +1 −1\nTests passed" in final.text


@pytest.mark.usefixtures("needs_sandbox")
async def test_a_retried_publish_posts_one_final_message_with_the_lines(
    slack_world: SlackWorld,
) -> None:
    """The first attempt's PR creation fails; the second publishes the checkpointed commit
    (the agent runs once) and still knows the lines it added and removed."""
    sw, world = slack_world, slack_world.world
    script_fix(world)
    world.fake.fail_next("POST", "/repos/octo/widgets/pulls", 502, times=3)
    job_id = await sw.ask("make add() add")

    first, second = await world.run_jobs()

    assert (first.state, second.state, second.attempts) == ("queued", "succeeded", 2)
    assert len(world.model.requests) == 4
    (final,) = await sw.finals(job_id)
    assert "PR ready" in final.text and "1 file changed, +1 −1" in final.text


@pytest.mark.usefixtures("needs_sandbox")
async def test_a_slack_fix_from_a_reader_is_refused_in_its_thread(
    slack_world: SlackWorld,
) -> None:
    sw, world = slack_world, slack_world.world
    world.repo.set_permission("rita", "read")
    await sw.link("U0RITA", "rita", 7001)
    issue = world.repo.add_issue("add() subtracts", "")
    job_id = await sw.ask(
        "", kind="fix_issue", number=issue, sender="rita", sender_id=7001, user="U0RITA"
    )

    (job,) = await world.run_jobs()

    assert job.state == "succeeded" and job.result is not None and "skipped" in job.result
    assert world.model.requests == [] and world.bot_comments(issue) == []
    (final,) = await sw.finals(job_id)
    assert final.text.startswith(f"<@U0RITA> Job {job_id} failed: @rita has read permission")
