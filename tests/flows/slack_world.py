"""The end-to-end world with Slack: the fake Slack Web API on loopback, linked people, and
requests accepted as the `slack_request` job accepts them (job queued, status message posted
and saved, thread row saved)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from app.core.commands import Command, JobKind, SlackOrigin
from app.core.slack_blocks import JobStatus, status_message
from app.flows.services import Services
from app.slack.client import SlackClient
from app.store.accounts import GitHubUser, SlackPerson, TokenGrant
from app.store.slack_records import SlackStatus, SlackThread
from app.worker import Worker
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, PostedMessage
from tests.fakes.slack_requests import BOT_USER_ID, CHANNEL_ID, TEAM_ID, USER_ID
from tests.flows.world import INSTALLATION_ID, REPO, World

THREAD = "1764999999.000100"  # the person's message that started the thread
MONA_ID = 583231


@dataclass
class SlackWorld:
    world: World
    slack: FakeSlack

    @property
    def services(self) -> Services:
        return self.world.worker.services

    async def link(self, user: str, login: str, github_id: int) -> None:
        accounts = self.services.accounts
        await accounts.save_user(GitHubUser(github_id, login), TokenGrant(f"ghu_{login}_token"))
        await accounts.link(SlackPerson(TEAM_ID, user), github_id)

    async def ask(
        self,
        text: str,
        *,
        kind: JobKind = "slack_task",
        number: int | None = None,
        sender: str = "mona",
        sender_id: int = MONA_ID,
        user: str = USER_ID,
        thread: str = THREAD,
        status: bool = True,
    ) -> int:
        """Queue the request; with `status`, post and save its status message and thread."""
        origin = SlackOrigin(
            team=TEAM_ID, channel=CHANNEL_ID, user=user, ts=thread, thread_ts=thread,
            text=f"<@{BOT_USER_ID}> {text}",
        )  # fmt: skip
        command = Command(
            kind=kind, repo=REPO, number=number, installation_id=INSTALLATION_ID, sender=sender,
            delivery_id=str(uuid.uuid4()), notes=text, sender_id=sender_id, slack=origin,
        )  # fmt: skip
        _, job_id = await self.world.queue.enqueue(command)
        if status:
            await self.accept(job_id, user, thread, sender)
        return job_id

    async def accept(self, job_id: int, user: str, thread: str, login: str) -> None:
        queued = status_message(JobStatus(job_id, REPO, "main", "queued"))
        ts = await self.services.slack.post(CHANNEL_ID, queued, thread_ts=thread)
        records = self.services.slack_records
        await records.save_status(SlackStatus(job_id, TEAM_ID, user, CHANNEL_ID, ts, thread))
        await records.save_thread(
            SlackThread(TEAM_ID, CHANNEL_ID, thread, REPO, None, user, login, job_id)
        )

    async def status_of(self, job_id: int) -> PostedMessage:
        saved = await self.services.slack_records.status(job_id)
        assert saved is not None
        found = self.slack.message(CHANNEL_ID, saved.ts)
        assert found is not None
        return found

    async def finals(self, job_id: int) -> list[PostedMessage]:
        """The messages Honk posted in the job's thread after its status message and before
        the next job's (status messages start with the state in bold; the others are finals)."""
        status = await self.status_of(job_id)
        after = [
            m
            for m in self.slack.thread(CHANNEL_ID, status.thread_ts or status.ts)
            if float(m.ts) > float(status.ts)
        ]
        ends = next((i for i, m in enumerate(after) if m.text.startswith("*")), len(after))
        return after[:ends]

    def texts(self) -> str:
        """Everything Honk posted or edited in Slack, as sent (text and blocks)."""
        sent = [str(call.args) for call in self.slack.calls]
        return "\n".join([*sent, *(f"{m.text}{m.blocks}" for m in self.slack.messages)])


@asynccontextmanager
async def open_slack_world(world: World) -> AsyncIterator[SlackWorld]:
    """`world` with Honk's worker talking to a fake Slack; mona (write) linked as USER_ID."""
    async with FakeSlack() as slack:
        services = Services(
            world.settings,
            world.queue,
            github=world.worker.services.github,
            slack=SlackClient(BOT_TOKEN, slack.url),
        )
        world.worker = Worker(world.queue, world.settings, services=services)
        slack_world = SlackWorld(world, slack)
        await slack_world.link(USER_ID, "mona", MONA_ID)
        yield slack_world


def buttons(message: PostedMessage) -> list[str]:
    """The action ids of a message's buttons."""
    return [
        element["action_id"]
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]
