"""Slack end to end: signed requests into Honk's real app, jobs run against the fake GitHub, the
git remote, the scripted model and the fake Slack. Asserted is what crossed the wire: Slack's
messages, ephemerals and reactions, GitHub's requests, the commits in the remote."""

from __future__ import annotations

import asyncio
import re

import pytest

from app.core.slack_blocks import ACTION_RETRY, ACTION_STOP
from tests.fakes import slack_requests as sr
from tests.fakes.anthropic_api import bash, text_block
from tests.fakes.slack_api import Reaction
from tests.fakes.slack_requests import BOT_USER_ID, CHANNEL_ID, USER_ID
from tests.flows.slack_e2e import (
    ASK,
    FIRST,
    PEOPLE,
    PUBLIC_URL,
    READER,
    SlackE2E,
    asked_pr,
    open_slack_e2e,
    until,
)
from tests.flows.slack_world import buttons
from tests.flows.test_e2e import script_fix
from tests.flows.world import REPO, World, script_edit

pytestmark = pytest.mark.httpx2(assert_all_called=False)
sandboxed = pytest.mark.usefixtures("needs_sandbox")
PULLS = "/repos/octo/widgets/pulls"
SECOND, REPLY = "1765000200.000200", "1765000300.000300"
FIXED = "def add(a, b):\n    return a + b"


@sandboxed
async def test_unlinked_then_link_sign_in_and_the_request_opens_a_pr(e2e: SlackE2E) -> None:
    world = e2e.world
    await e2e.mention(ASK, ts=FIRST)
    (request,) = await e2e.run_light()
    assert request.state == "succeeded"
    (refusal,) = e2e.ephemerals()
    assert f"<{PUBLIC_URL}/slack/link?token=" in refusal
    assert [job.kind for job in await e2e.jobs()] == ["slack_request"]  # nothing else queued
    assert e2e.slack.messages == [] and e2e.slack.reactions == []

    await e2e.command("link")
    await e2e.run_light()
    found = re.search(r"<([^|>]+)\|Connect GitHub>", e2e.ephemerals()[-1])
    assert found is not None and found.group(1).startswith(f"{PUBLIC_URL}/slack/link?token=")
    page = await e2e.sign_in(found.group(1).replace("&amp;", "&"), PEOPLE[USER_ID])
    assert page.status_code == 200 and "now linked to @mona" in page.text
    assert e2e.oauth.token_posts[-1].keys() >= {"code", "client_id"}

    task_id, pr_url = await asked_pr(e2e, SECOND)

    assert Reaction(CHANNEL_ID, SECOND, "eyes") in e2e.slack.reactions
    branch = f"honk/slack-{task_id}"
    assert world.git("show", f"{branch}:calc.py") == FIXED
    (create,) = world.fake.requests_to("POST", PULLS)
    assert (create.json["head"], create.json["draft"]) == (branch, True)
    assert "Requested in Slack by @mona" in create.json["body"]
    status = await e2e.view.status_of(task_id)
    assert status.thread_ts == SECOND and status.text.startswith("*Done*")
    (final,) = await e2e.view.finals(task_id)
    assert final.text.startswith(f"<@{USER_ID}> PR ready: <{pr_url}|{REPO}#")


@sandboxed
async def test_a_follow_up_in_the_thread_is_a_second_commit_on_the_same_pr(
    e2e: SlackE2E,
) -> None:
    world = e2e.world
    await e2e.link(USER_ID)
    first, pr_url = await asked_pr(e2e)
    note = {"command": "create", "path": "NOTES.md", "file_text": "add() adds.\n"}
    script_edit(world, note, "Document add()\n\nNOTES.md says what add() does.")

    await e2e.mention("also write a note about add()", ts=REPLY, thread_ts=FIRST)
    request, task = await world.run_jobs()

    assert (request.state, task.kind, task.state) == ("succeeded", "slack_task", "succeeded")
    branch = f"honk/slack-{first}"
    assert world.git("rev-list", "--count", f"main..{branch}") == "2"
    assert world.git("show", f"{branch}:NOTES.md") == "add() adds."
    assert len(world.fake.requests_to("POST", PULLS)) == 1  # no second PR
    (final,) = await e2e.view.finals(task.id)
    assert final.thread_ts == FIRST
    assert final.text.startswith(f"<@{USER_ID}> PR updated: <{pr_url}|")


async def test_a_reader_is_refused_privately_and_nothing_is_queued(e2e: SlackE2E) -> None:
    e2e.world.repo.set_permission("rita", "read")
    await e2e.link(READER)

    await e2e.mention(ASK, user=READER, ts=FIRST)
    (request,) = await e2e.run_light()

    assert request.state == "succeeded"
    (refusal,) = e2e.ephemerals(READER)
    assert refusal.startswith(f"No write access to {REPO} for GitHub rita.")
    assert [job.kind for job in await e2e.jobs()] == ["slack_request"]
    assert e2e.slack.messages == [] and e2e.slack.reactions == []
    assert e2e.world.fake.requests_to("POST", PULLS) == []


@sandboxed
async def test_stop_mid_run_cancels_within_seconds_and_pushes_nothing(e2e: SlackE2E) -> None:
    world = e2e.world
    await e2e.link(USER_ID)
    wait = "for i in $(seq 1200); do [ -e stop-now ] && break; sleep 0.05; done; echo resumed"
    world.model.reply([bash(wait)], "tool_use")
    world.model.reply([text_block("never reached")])
    await e2e.mention(ASK, ts=FIRST)
    await e2e.run_light()
    task = next(job for job in await e2e.jobs() if job.kind == "slack_task")
    status = await e2e.view.status_of(task.id)
    assert ACTION_STOP in buttons(status)
    running = asyncio.create_task(world.worker.run_once())
    worktree = world.settings.data_dir / "worktrees" / f"job-{task.id}"
    await until(lambda: bool(world.model.requests) and worktree.exists(), "the first turn")

    await e2e.click(ACTION_STOP, str(task.id), status, USER_ID)
    (click,) = await e2e.run_light()
    await asyncio.wait_for(running, timeout=30)

    assert click.result == {"action": "stop", "stopped": task.id, "by": "mona"}
    assert (await e2e.job(task.id)).state == "cancelled"
    assert len(world.model.requests) == 1  # the command was killed: no second turn
    assert f"honk/slack-{task.id}" not in world.git("branch", "--list")  # nothing pushed
    assert world.fake.requests_to("POST", PULLS) == []
    (final,) = [m for m in e2e.thread(FIRST) if f"Job {task.id} stopped" in m.text]
    assert final.text.startswith(f"<@{USER_ID}> ") and ACTION_RETRY in buttons(final)


async def test_the_same_event_delivered_twice_makes_one_job(e2e: SlackE2E) -> None:
    await e2e.link(USER_ID)
    event = sr.app_mention(f"<@{BOT_USER_ID}> {ASK}", ts=FIRST)
    request = sr.event_callback(event, event_id="Ev0TWICE")

    first = await e2e.post(request)
    again = await e2e.post(request, **{"X-Slack-Retry-Num": "1",
                                       "X-Slack-Retry-Reason": "http_timeout"})  # fmt: skip
    await e2e.run_light()

    assert (first.status_code, again.status_code) == (200, 200)
    jobs = await e2e.jobs()
    assert [(job.kind, job.commands[0].delivery_id) for job in jobs[:1]] == [
        ("slack_request", "slack:Ev0TWICE")
    ]
    assert [job.kind for job in jobs] == ["slack_request", "slack_task"]
    assert e2e.slack.reactions == [Reaction(CHANNEL_ID, FIRST, "eyes")]
    assert len(e2e.thread(FIRST)) == 1  # one status message


@sandboxed
async def test_a_socket_mode_request_is_answered_like_http_mode(world: World) -> None:
    async with open_slack_e2e(world, socket=True) as e2e:
        await e2e.link(USER_ID)
        script_fix(world)
        event = sr.app_mention(f"<@{BOT_USER_ID}> {ASK}", ts=FIRST)

        ack = await e2e.slack.socket.push("events_api", sr.event_callback_payload(event))
        request, task = await world.run_jobs()

        assert ack["envelope_id"] == e2e.slack.socket.pushed[-1]["envelope_id"]
        assert (request.kind, task.kind, task.state) == ("slack_request", "slack_task", "succeeded")
        assert Reaction(CHANNEL_ID, FIRST, "eyes") in e2e.slack.reactions
        assert world.git("show", f"honk/slack-{task.id}:calc.py") == FIXED
        (final,) = await e2e.view.finals(task.id)
        assert final.thread_ts == FIRST and final.text.startswith(f"<@{USER_ID}> PR ready: <")
