"""Buttons clicked in Slack (`slack_action` jobs): Stop, Retry, Ready for review, Approve, Merge.

Against the fake GitHub (branch protection, reviews, GraphQL, people's user tokens from the fake
OAuth), the fake Slack on loopback and the real queue. What crossed the wire is asserted: who
GitHub saw acting (the clicker's own token, never an installation token), what Slack showed to
whom.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.commands import Command
from app.core.slack_blocks import (
    ACTION_APPROVE,
    ACTION_MERGE,
    ACTION_READY,
    ACTION_RETRY,
    ACTION_STOP,
    JobStatus,
    status_message,
)
from app.flows.services import Services
from app.slack.client import SlackClient
from app.store.queue import Queue
from app.store.slack_records import SlackStatus, SlackThread
from tests.conftest import ManualClock
from tests.fakes.anthropic_api import bash, text_block
from tests.fakes.github.merging import HEAD_MODIFIED, person_tokens, serve_oauth
from tests.fakes.github.oauth import ACCESS_SECONDS, FakeGitHubOAuth
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_requests import CHANNEL_ID, TEAM_ID
from tests.flows.clicks import (
    HEAD,
    INSTALLATION_ID,
    REPO,
    THREAD_TS,
    Clicks,
    click_settings,
    open_clicks,
)
from tests.flows.test_e2e import labeled
from tests.flows.world import World

MOVED = "0" * 40


@pytest.fixture
async def clicks(tmp_path: Path, queue: Queue, clock: ManualClock) -> AsyncIterator[Clicks]:
    async with open_clicks(tmp_path, queue, clock) as world:
        world.repo.set_permission("mona", "write")
        world.repo.set_permission("hubot", "maintain")
        world.repo.set_permission("reader", "read")
        yield world


def fix_command(number: int = 1) -> Command:
    return Command("fix_issue", REPO, number, INSTALLATION_ID, "mona", f"d-{number}")


def pull(clicks: Clicks, *, draft: bool = False) -> str:
    number = clicks.repo.add_pull("honk/slack-1", user="honk[bot]", head_sha=HEAD, draft=draft)
    return f"{REPO}#{number}@{HEAD}"


def authorizations(clicks: Clicks, method: str, path: str) -> list[str]:
    return [r.headers["authorization"] for r in clicks.fake.requests_to(method, path)]


# Stop and Retry


async def test_stop_cancels_a_queued_job_at_once_and_says_so_once(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    _, job_id = await clicks.queue.enqueue(fix_command())

    first = await clicks.click(ACTION_STOP, str(job_id))
    again = await clicks.click(ACTION_STOP, str(job_id))

    stopped = await clicks.queue.get(job_id)
    assert stopped is not None and stopped.state == "cancelled"
    assert first.result == {"action": "stop", "stopped": job_id, "by": "mona"}
    assert clicks.thread_lines() == ["Stopped by <@U0MONA>."]
    assert again.result is not None and again.result["refused"] == "already ended"
    assert clicks.ephemerals() == [f"Job {job_id} already ended (cancelled)."]


async def test_a_job_stopped_while_queued_shows_it_on_its_status(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    _, job_id = await clicks.queue.enqueue(fix_command())
    queued = status_message(JobStatus(job_id, REPO, "main", "queued"))
    ts = await clicks.services.slack.post(CHANNEL_ID, queued, THREAD_TS)
    status = SlackStatus(job_id, TEAM_ID, "U0MONA", CHANNEL_ID, ts, THREAD_TS)
    await clicks.services.slack_records.save_status(status)

    await clicks.click(ACTION_STOP, str(job_id))

    shown = clicks.slack.message(CHANNEL_ID, ts)
    assert shown is not None and shown.text.startswith("*Stopped*")
    assert "honk_stop" not in str(shown.blocks)


async def test_stop_asks_a_running_job_to_stop(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    _, job_id = await clicks.queue.enqueue(fix_command())
    running = await clicks.queue.claim("elsewhere", ["fix_issue"])
    assert running is not None and running.id == job_id

    await clicks.click(ACTION_STOP, str(job_id))

    job = await clicks.queue.get(job_id)
    assert job is not None and job.state == "running"  # its worker stops it at its next poll
    assert await clicks.queue.heartbeat(job_id, "elsewhere") is True
    assert clicks.thread_lines() == ["Stopped by <@U0MONA>."]


@pytest.mark.usefixtures("needs_sandbox")
@pytest.mark.httpx2(assert_all_called=False)
async def test_stop_ends_the_running_command_within_seconds(world: World) -> None:
    oauth = FakeGitHubOAuth()
    world.fake.users = person_tokens(oauth)
    issue = world.repo.add_issue("Slow one", "")
    # The agent's command would wait a minute: only a kill ends it before the test's timeout.
    wait = "for i in $(seq 1200); do [ -e stop-now ] && break; sleep 0.05; done; echo resumed"
    world.model.reply([bash(wait)], "tool_use")
    world.model.reply([text_block("never reached")])
    await world.deliver("issues", labeled(world, issue))
    running = asyncio.create_task(world.worker.run_once())
    worktree = world.settings.data_dir / "worktrees" / "job-1"
    for _ in range(1500):  # bounded: a hang fails the test instead of stalling the suite
        if world.model.requests and worktree.exists():
            break
        await asyncio.sleep(0.02)
    assert world.model.requests and worktree.exists(), "the job never reached its first turn"
    async with serve_oauth(oauth) as web, FakeSlack() as slack:
        settings = click_settings(world.settings, web, oauth, slack.url)
        github, client = world.worker.services.github, SlackClient(BOT_TOKEN, slack.url)
        services = Services(settings, world.queue, github=github, slack=client)
        clicks = Clicks(
            world.fake, world.repo, oauth, slack, world.queue, ManualClock(), settings, services
        )
        await clicks.link("U0MONA")

        stop = await clicks.click(ACTION_STOP, "1")
        await asyncio.wait_for(running, timeout=30)

    assert stop.result == {"action": "stop", "stopped": 1, "by": "mona"}
    job = await world.queue.get(1)
    assert job is not None and job.state == "cancelled"
    assert len(world.model.requests) == 1  # the command was killed: no second model turn
    assert clicks.thread_lines() == ["Stopped by <@U0MONA>."]
    assert f"honk/issue-{issue}" not in world.git("branch", "--list")  # nothing pushed


async def test_retry_queues_the_ended_jobs_requests_again(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    _, job_id = await clicks.queue.enqueue(fix_command())
    claimed = await clicks.queue.claim("w", ["fix_issue"])
    assert claimed is not None
    await clicks.queue.fail(job_id, "w", "the model failed", retry=False)

    done = await clicks.click(ACTION_RETRY, str(job_id))

    assert done.result is not None and done.result["retried"] == job_id
    again = await clicks.queue.get(done.result["job"])
    assert again is not None and again.state == "queued"
    (command,) = again.commands
    assert (command.kind, command.repo, command.number) == ("fix_issue", REPO, 1)
    assert command.delivery_id.startswith(f"retry-of-{job_id}-0-by-")
    assert clicks.thread_lines() == [
        f"Retry by <@U0MONA>: job {job_id} queued again as job {again.id}."
    ]


async def test_retry_of_a_job_still_running_is_refused(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    _, job_id = await clicks.queue.enqueue(fix_command())

    done = await clicks.click(ACTION_RETRY, str(job_id))

    assert done.result is not None and done.result["refused"] == "not ended"
    assert [job.id for job in await clicks.queue.recent() if job.kind == "fix_issue"] == [job_id]
    assert clicks.thread_lines() == []


# Who may click


@pytest.mark.parametrize("action", [ACTION_STOP, ACTION_MERGE, ACTION_APPROVE, ACTION_READY])
async def test_a_reader_is_refused_privately_and_nothing_is_done(
    clicks: Clicks, action: str
) -> None:
    clicks.repo.set_permission("hubot", "read")
    await clicks.link("U0HUBOT")
    _, job_id = await clicks.queue.enqueue(fix_command())
    value = str(job_id) if action == ACTION_STOP else pull(clicks, draft=action == ACTION_READY)

    done = await clicks.click(action, value, user="U0HUBOT")

    assert done.result is not None and done.result["refused"] == "hubot has read permission"
    (refusal,) = clicks.ephemerals("U0HUBOT")
    assert refusal.startswith(f"No write access to {REPO} for GitHub hubot.")
    assert clicks.thread_lines() == []
    assert clicks.writes() == []
    queued = await clicks.queue.get(job_id)
    assert queued is not None and queued.state == "queued"


@pytest.mark.parametrize("action", [ACTION_STOP, ACTION_MERGE])
async def test_someone_not_linked_gets_a_fresh_link_only_they_see(
    clicks: Clicks, action: str
) -> None:
    _, job_id = await clicks.queue.enqueue(fix_command())
    value = str(job_id) if action == ACTION_STOP else pull(clicks)

    done = await clicks.click(action, value)

    assert done.result is not None and done.result["refused"] == "not linked"
    (refusal,) = clicks.slack.ephemerals
    assert refusal.user == "U0MONA" and refusal.channel == CHANNEL_ID
    assert "<https://honk.test/slack/link?token=" in refusal.text
    assert clicks.thread_lines() == [] and clicks.writes() == []


# Merge, Approve, Ready for review: the clicker's own token


async def test_merge_refused_by_protection_then_made_after_another_writers_approval(
    clicks: Clicks,
) -> None:
    mona = await clicks.link("U0MONA")
    hubot = await clicks.link("U0HUBOT")
    clicks.repo.merging.required_approvals = 1
    value = pull(clicks)
    number = int(value.split("#")[1].split("@")[0])

    refused = await clicks.click(ACTION_MERGE, value)
    approved = await clicks.click(ACTION_APPROVE, value, user="U0HUBOT")
    merged = await clicks.click(ACTION_MERGE, value)

    assert refused.result is not None and "approving review" in refused.result["refused"]
    assert clicks.ephemerals() == [
        "GitHub refused to merge:\n"
        "At least 1 approving review is required by reviewers with write access."
    ]
    assert approved.result == {"action": "approve", "pr": value, "by": "hubot"}
    assert merged.result == {"action": "merge", "pr": value, "method": "squash", "by": "mona"}
    assert clicks.thread_lines() == ["Approved by hubot", "Merged by mona (squash)"]
    assert clicks.repo.pulls[number].merged
    path = f"/repos/{REPO}/pulls/{number}"
    assert authorizations(clicks, "POST", path + "/reviews") == [f"token {hubot}"]
    assert authorizations(clicks, "PUT", path + "/merge") == [f"token {mona}"] * 2
    (put, _) = clicks.fake.requests_to("PUT", path + "/merge")
    assert put.json == {"sha": HEAD, "merge_method": "squash"}
    installation_tokens = set(clicks.fake.tokens)
    assert not installation_tokens & {mona, hubot}


async def test_a_merge_after_the_head_moved_shows_githubs_refusal(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    value = pull(clicks)
    number = int(value.split("#")[1].split("@")[0])
    clicks.repo.pulls[number].head_sha = "1" * 40  # a push after the offer was shown

    done = await clicks.click(ACTION_MERGE, value)

    assert done.result is not None and done.result["refused"] == HEAD_MODIFIED
    assert clicks.ephemerals() == [f"GitHub refused to merge:\n{HEAD_MODIFIED}"]
    assert not clicks.repo.pulls[number].merged and clicks.thread_lines() == []


async def test_approve_is_pinned_to_the_head_shown(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    value = pull(clicks).replace(HEAD, MOVED)

    done = await clicks.click(ACTION_APPROVE, value)

    assert done.result is not None and done.result["refused"] == "head moved"
    (said,) = clicks.ephemerals()
    assert said.startswith("Not approved: the head moved from 0000000 to 6dcb09b.")
    assert clicks.repo.reviews == {}


async def test_the_two_person_rule_refuses_a_merge_approved_by_the_requester_only(
    clicks: Clicks,
) -> None:
    await clicks.link("U0MONA")
    await clicks.link("U0HUBOT")
    clicks.repo.set_file(".github/honk.yml", "slack:\n  merge_requires_other_approver: true\n")
    value = pull(clicks)
    number = int(value.split("#")[1].split("@")[0])
    thread = SlackThread(TEAM_ID, CHANNEL_ID, THREAD_TS, REPO, number, "U0MONA", "mona")
    await clicks.services.slack_records.save_thread(thread)
    await clicks.click(ACTION_APPROVE, value)  # the requester approves her own request

    refused = await clicks.click(ACTION_MERGE, value, user="U0HUBOT")
    await clicks.click(ACTION_APPROVE, value, user="U0HUBOT")
    merged = await clicks.click(ACTION_MERGE, value, user="U0HUBOT")

    assert refused.result is not None and refused.result["refused"] == "two-person rule"
    (said,) = clicks.ephemerals("U0HUBOT")
    assert said.startswith("Merge refused: the only approval is the requester's.")
    assert merged.result is not None and merged.result["method"] == "squash"
    assert len(clicks.fake.requests_to("PUT", f"/repos/{REPO}/pulls/{number}/merge")) == 1


@pytest.mark.parametrize(
    ("squash", "merge", "rebase", "method"),
    [
        (True, True, True, "squash"),
        (False, True, True, "merge"),
        (False, False, True, "rebase"),
    ],
)
async def test_the_merge_method_follows_the_repository_squash_first(
    clicks: Clicks, squash: bool, merge: bool, rebase: bool, method: str
) -> None:
    await clicks.link("U0MONA")
    rules = clicks.repo.merging
    rules.allow_squash, rules.allow_merge, rules.allow_rebase = squash, merge, rebase

    done = await clicks.click(ACTION_MERGE, pull(clicks))

    assert done.result is not None and done.result["method"] == method
    assert clicks.thread_lines() == [f"Merged by mona ({method})"]


async def test_an_expired_user_token_is_refreshed_before_acting(clicks: Clicks) -> None:
    old = await clicks.link("U0MONA")
    clicks.clock.advance(ACCESS_SECONDS + 1)  # the user token expired (GitHub's 8 hours)

    done = await clicks.click(ACTION_APPROVE, pull(clicks))

    assert done.result is not None and done.result["by"] == "mona"
    refresh = clicks.oauth.token_posts[-1]
    assert refresh["grant_type"] == "refresh_token"
    (used,) = authorizations(clicks, "POST", f"/repos/{REPO}/pulls/1/reviews")
    assert used != f"token {old}" and used.startswith("token ghu_")


async def test_a_token_that_cannot_be_refreshed_asks_to_link_again(clicks: Clicks) -> None:
    await clicks.link("U0MONA")
    clicks.oauth.refresh.clear()  # GitHub no longer knows the refresh token
    clicks.clock.advance(ACCESS_SECONDS + 1)

    done = await clicks.click(ACTION_MERGE, pull(clicks))

    assert done.result is not None and done.result["refused"] == "user token expired"
    (said,) = clicks.ephemerals()
    assert "|Connect GitHub again>" in said and "https://honk.test/slack/link?token=" in said
    assert clicks.writes() == []


async def test_ready_for_review_goes_through_graphql_as_the_clicker(clicks: Clicks) -> None:
    mona = await clicks.link("U0MONA")
    value = pull(clicks, draft=True)

    done = await clicks.click(ACTION_READY, value)

    assert done.result == {"action": "ready", "pr": value, "by": "mona"}
    assert clicks.repo.pulls[1].draft is False
    (mutation,) = clicks.fake.requests_to("POST", "/graphql")
    assert mutation.headers["authorization"] == f"token {mona}"
    assert "markPullRequestReadyForReview" in mutation.json["query"]
    assert mutation.json["variables"] == {"id": f"PR_kwDO{clicks.repo.id}_1"}
    assert clicks.thread_lines() == ["Ready for review: marked by mona"]


async def test_a_button_value_that_names_nothing_is_refused(clicks: Clicks) -> None:
    await clicks.link("U0MONA")

    done = await clicks.click(ACTION_MERGE, "octo/widgets#1@not-a-sha")

    assert done.result is not None and done.result["refused"] == "bad value"
    assert clicks.writes() == []
