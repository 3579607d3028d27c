"""The `slack_request` job end to end with the fake Slack and the fake GitHub: answers only the
person sees, the channel's repository, authorization like GitHub's, and accepted work queued
with 👀 and one status message in the thread."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.core.slack_blocks import ACTION_STOP
from app.core.slack_requests import NEEDS_REPOSITORY
from app.flows import slack_request
from app.flows.context import JobContext
from app.store.accounts import SlackPerson
from app.store.jobs import Job
from tests.fakes.github.api import AppKeyPair
from tests.fakes.slack_api import Reaction
from tests.fakes.slack_requests import CHANNEL_ID, DM_CHANNEL_ID, TEAM_ID, USER_ID
from tests.flows.request_world import (
    INSTALLATION_ID,
    MONA_ID,
    PUBLIC_URL,
    REPO,
    RequestWorld,
    open_request_world,
)

TS = "1765000100.000100"
READER = "U0RITA"


@pytest.fixture
async def world(tmp_path: Path, app_key: AppKeyPair) -> AsyncIterator[RequestWorld]:
    async with open_request_world(tmp_path, app_key) as world:
        world.repo.set_permission("rita", "read")
        yield world


def answers(world: RequestWorld, user: str = USER_ID) -> list[str]:
    return [e.text for e in world.slack.ephemerals_for(user)]


def stop_values(blocks: list[dict[str, Any]] | None) -> list[str]:
    found = []
    for block in blocks or []:
        elements = [*block.get("elements", []), block.get("accessory") or {}]
        found += [e["value"] for e in elements if e.get("action_id") == ACTION_STOP]
    return found


# -- answers only the person sees ------------------------------------------------------------

ANSWERS: list[tuple[str, str, bool, str]] = [
    ("help", "help", False, "*Honk* opens PRs from Slack"),
    ("unknown", "octo/widgets#abc fix", False, "is not an issue or PR number"),
    ("empty", "  ", False, "Nothing to do."),
    ("link", "link", False, f"<{PUBLIC_URL}/slack/link?token="),
    ("link when linked", "LINK", True, "Linked to GitHub as mona."),
    ("unlink", "unlink", True, "GitHub disconnected."),
    ("jobs", "jobs", True, "No jobs yet."),
    ("no repository", "fix the crash", True, NEEDS_REPOSITORY.split("\n")[0]),
    ("not linked", f"{REPO} fix the crash", False, f"<{PUBLIC_URL}/slack/link?token="),
    ("not installed", "octo/absent fix the crash", True, "Honk is not installed on octo/absent."),
    ("not found", f"{REPO}#99", True, f"No issue or PR {REPO}#99 on GitHub."),
]


@pytest.mark.parametrize(
    ("text", "linked", "expected"), [a[1:] for a in ANSWERS], ids=[a[0] for a in ANSWERS]
)
async def test_answers_only_the_person_and_queues_nothing(
    world: RequestWorld, text: str, linked: bool, expected: str
) -> None:
    if linked:
        await world.link()
    job = await world.ask(text)
    assert job.state == "succeeded", job.error
    [said] = answers(world)
    assert expected in said
    assert not world.slack.messages and not world.slack.reactions
    assert await world.agent_jobs() == []


async def test_the_link_works_once_for_that_person(world: RequestWorld) -> None:
    await world.ask("link")
    [said] = answers(world)
    url = re.search(r"<([^|>]+)\|Connect GitHub>", said)
    assert url is not None
    token = parse_qs(urlsplit(url.group(1).replace("&amp;", "&")).query)["token"][0]
    assert await world.services.accounts.pending_link(token) == SlackPerson(TEAM_ID, USER_ID)


@pytest.mark.parametrize(
    ("unset", "names"),
    [
        ({"github_client_id": None}, "`GITHUB_CLIENT_ID`"),
        ({"public_url": None}, "`HONK_PUBLIC_URL`"),
        ({"github_client_id": None, "public_url": None}, "`GITHUB_CLIENT_ID`, `HONK_PUBLIC_URL`"),
    ],
)
async def test_link_without_sign_in_set_up_says_what_to_set(
    tmp_path: Path, app_key: AppKeyPair, unset: dict[str, Any], names: str
) -> None:
    async with open_request_world(tmp_path, app_key, **unset) as world:
        job = await world.ask("link")
        assert job.state == "succeeded", job.error
        [said] = answers(world)
        assert said.startswith("GitHub sign-in is not set up") and names in said
        assert "slack/link" not in said


async def test_unlink_removes_the_link(world: RequestWorld) -> None:
    await world.link()
    await world.ask("unlink")
    assert await world.services.accounts.linked_user(SlackPerson(TEAM_ID, USER_ID)) is None


async def test_jobs_lists_the_persons_jobs(world: RequestWorld) -> None:
    await world.link()
    await world.ask(f"{REPO} fix the crash")
    [task] = await world.agent_jobs()
    await world.ask("jobs", ts="1765000200.000200")
    assert f"Job {task.id}: {REPO} · queued · $0.00" in answers(world)[-1]


async def test_in_a_dm_the_answer_is_a_normal_message(world: RequestWorld) -> None:
    await world.ask("help", channel=DM_CHANNEL_ID)
    assert not world.slack.ephemerals
    [posted] = world.slack.messages
    assert posted.channel == DM_CHANNEL_ID and "*Honk* opens PRs" in posted.text


async def test_a_slack_failure_is_logged_and_never_answered_twice(world: RequestWorld) -> None:
    world.slack.fail_next("chat.postEphemeral", "channel_not_found")
    job = await world.ask("help")
    assert job.state == "succeeded" and not world.slack.ephemerals
    await slack_request.run(_context(world, job))  # the job attempted again
    assert not world.slack.ephemerals


# -- the channel's repository ----------------------------------------------------------------


async def test_a_writer_sets_the_channel_repository_visibly(world: RequestWorld) -> None:
    await world.link()
    job = await world.ask(f"repo {REPO}")
    assert job.state == "succeeded", job.error
    assert await world.services.slack_records.channel_repo(TEAM_ID, CHANNEL_ID) == REPO
    [posted] = world.slack.messages
    assert posted.channel == CHANNEL_ID
    assert posted.text == f"This channel's repository is now {REPO}."
    await world.ask("fix the crash", ts="1765000200.000200")  # the default now decides
    [task] = await world.agent_jobs()
    assert task.repo == REPO


async def test_a_reader_cannot_set_the_channel_repository(world: RequestWorld) -> None:
    await world.link(READER, "rita", 1234)
    await world.ask(f"repo {REPO}", user=READER)
    assert await world.services.slack_records.channel_repo(TEAM_ID, CHANNEL_ID) is None
    [said] = answers(world, READER)
    assert "No write access to octo/widgets for GitHub rita." in said
    assert not world.slack.messages


async def test_a_reader_task_is_refused_and_nothing_queued(world: RequestWorld) -> None:
    await world.link(READER, "rita", 1234)
    await world.ask(f"{REPO} fix the crash", user=READER)
    [said] = answers(world, READER)
    assert said.startswith("No write access") and "write, maintain or admin" in said
    assert await world.agent_jobs() == [] and not world.slack.messages


# -- accepted work -----------------------------------------------------------------------------


async def test_a_task_gets_eyes_one_status_and_a_slack_task(world: RequestWorld) -> None:
    await world.link()
    request = await world.ask(f"<@U0HONKBOT> {REPO} fix the crash when the playlist is empty")
    assert request.state == "succeeded", request.error
    [task] = await world.agent_jobs()
    command = task.command
    assert (command.kind, command.repo, command.number) == ("slack_task", REPO, None)
    assert (command.sender, command.sender_id) == ("mona", MONA_ID)
    assert command.installation_id == INSTALLATION_ID
    assert command.notes == "fix the crash when the playlist is empty"
    assert command.delivery_id == request.command.delivery_id + ":task"
    assert command.slack is not None and command.slack.thread_ts == TS
    assert command.slack.status_ts is None and command.slack.user == USER_ID
    assert world.slack.reactions == [Reaction(CHANNEL_ID, TS, "eyes")]
    [status] = world.slack.thread(CHANNEL_ID, TS)
    assert status.thread_ts == TS
    assert f"*Queued*: {REPO} (main) · <{PUBLIC_URL}/runs/{task.id}|job {task.id}>" in status.text
    assert stop_values(status.blocks) == [str(task.id)]
    await _assert_rows(world, task, status.ts, TS, pr_number=None)


async def test_a_slash_command_status_starts_the_thread(world: RequestWorld) -> None:
    await world.link()
    await world.ask(f"{REPO} fix the crash", ts=None)
    [task] = await world.agent_jobs()
    [status] = world.slack.messages  # posted before the job was queued, then completed
    assert status.thread_ts is None and not world.slack.reactions
    assert f"<{PUBLIC_URL}/runs/{task.id}|job {task.id}>" in status.text and status.edits == 1
    assert stop_values(status.blocks) == [str(task.id)]
    # The job knows its thread from the start: it and any follow-up share one lock.
    assert task.command.slack is not None and task.command.slack.thread_ts == status.ts
    assert task.lock_key == f"slack:{TEAM_ID}:{CHANNEL_ID}:{status.ts}"
    await _assert_rows(world, task, status.ts, status.ts, pr_number=None)


@pytest.mark.parametrize("is_pull", [False, True], ids=["issue", "pull request"])
async def test_owner_repo_number_fixes_that_issue_or_pr(world: RequestWorld, is_pull: bool) -> None:
    number = (
        world.repo.add_pull("feature", title="Add a widget", body="It adds one.")
        if is_pull
        else world.repo.add_issue("Add a widget", "It adds one.")
    )
    await world.link()
    await world.ask(f"{REPO}#{number} keep it small")
    [job] = await world.agent_jobs()
    command = job.command
    assert command.kind == ("fix_pr" if is_pull else "fix_issue")
    assert (command.number, command.is_pull_request) == (number, is_pull)
    assert (command.title, command.body, command.notes) == (
        "Add a widget",
        "It adds one.",
        "keep it small",
    )
    assert command.sender == "mona" and command.slack is not None
    [status] = world.slack.thread(CHANNEL_ID, TS)
    await _assert_rows(world, job, status.ts, TS, pr_number=number if is_pull else None)


async def test_a_follow_up_in_a_jobs_thread_is_a_slack_task_there(world: RequestWorld) -> None:
    await world.link()
    await world.ask(f"{REPO} fix the crash")
    [first] = await world.agent_jobs()
    records = world.services.slack_records
    await records.attach_pull(TEAM_ID, CHANNEL_ID, TS, 5)  # the first job opened PR 5
    await world.queue.claim("agent-worker", kinds=["slack_task"])  # and is running
    reply = "1765000300.000300"
    await world.ask("<@U0HONKBOT> also handle an empty list", ts=reply, thread_ts=TS)
    first_job, second = await world.agent_jobs()
    assert first_job.id == first.id and second.command.kind == "slack_task"
    assert second.command.repo == REPO and second.command.notes == "also handle an empty list"
    assert second.command.slack is not None and second.command.slack.thread_ts == TS
    assert second.lock_key == first.lock_key  # waits for the running one, not lost
    assert Reaction(CHANNEL_ID, reply, "eyes") in world.slack.reactions
    statuses = world.slack.thread(CHANNEL_ID, TS)
    assert [stop_values(s.blocks) for s in statuses] == [[str(first.id)], [str(second.id)]]
    thread = await records.thread(TEAM_ID, CHANNEL_ID, TS)
    assert thread is not None and (thread.last_job_id, thread.pr_number) == (second.id, 5)


async def test_another_repository_in_a_jobs_thread_is_refused(world: RequestWorld) -> None:
    world.fake.add_repo("octo/gadgets", installation_id=INSTALLATION_ID)
    await world.link()
    await world.ask(f"{REPO} fix the crash")
    await world.ask("octo/gadgets fix it too", ts="1765000300.000300", thread_ts=TS)
    assert answers(world) == [
        f"This thread works on {REPO}.\nFor another repository, start a new message."
    ]
    assert len(await world.agent_jobs()) == 1


async def test_a_follow_up_while_the_job_waits_joins_it(world: RequestWorld) -> None:
    await world.link()
    await world.ask(f"{REPO} fix the crash")
    await world.ask("and the other one", ts="1765000300.000300", thread_ts=TS)
    [task] = await world.agent_jobs()
    assert [c.notes for c in task.commands] == ["fix the crash", "and the other one"]
    assert len(world.slack.thread(CHANNEL_ID, TS)) == 1  # still one status message
    assert answers(world) == [f"Added to job {task.id}, which has not started yet."]


async def test_a_retried_attempt_posts_no_second_status(world: RequestWorld) -> None:
    await world.link()
    world.fake.fail_next("GET", f"/repos/{REPO}", 502, times=3)  # the base branch, at first
    first = await world.ask(f"{REPO} fix the crash")
    assert first.state == "queued" and first.attempts == 1  # to be attempted again
    again = await world.run(first.id)
    assert again.state == "succeeded", again.error
    [task] = await world.agent_jobs()
    [status] = world.slack.thread(CHANNEL_ID, TS)
    assert stop_values(status.blocks) == [str(task.id)]
    await slack_request.run(_context(world, again))  # a third attempt: nothing more
    assert len(await world.agent_jobs()) == 1 and len(world.slack.messages) == 1
    assert world.slack.reactions == [Reaction(CHANNEL_ID, TS, "eyes")]


# -- App Home ------------------------------------------------------------------------------------


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "not linked"])
async def test_opening_app_home_publishes_link_state_and_jobs(
    world: RequestWorld, linked: bool
) -> None:
    await world.link()
    await world.ask(f"{REPO} fix the crash")
    [task] = await world.agent_jobs()
    if not linked:
        await world.services.accounts.unlink(SlackPerson(TEAM_ID, USER_ID))
    job = await world.ask("", channel="", ts=None, action="home")
    assert job.state == "succeeded", job.error
    view = world.slack.home_views[USER_ID]
    shown = str(view["blocks"])
    assert ("Linked to GitHub as mona." in shown) is linked
    assert (f"{PUBLIC_URL}/slack/link?token=" in shown) is not linked
    assert f"Job {task.id}: {REPO} · Queued" in shown
    assert stop_values(view["blocks"]) == [str(task.id)]


# -- helpers -------------------------------------------------------------------------------------


def _context(world: RequestWorld, job: Job) -> JobContext:
    return JobContext(job, world.settings, asyncio.Event(), world.services)


async def _assert_rows(
    world: RequestWorld, job: Job, status_ts: str, root: str, *, pr_number: int | None
) -> None:
    records = world.services.slack_records
    status = await records.status(job.id)
    assert status is not None
    assert (status.ts, status.thread_ts, status.channel, status.slack_user) == (
        status_ts, root, CHANNEL_ID, USER_ID,
    )  # fmt: skip
    thread = await records.thread(TEAM_ID, CHANNEL_ID, root)
    assert thread is not None
    assert thread == replace(
        thread, repo=REPO, pr_number=pr_number, requester=USER_ID, requester_login="mona",
        last_job_id=job.id, is_dm=False,
    )  # fmt: skip
