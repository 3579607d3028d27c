"""A world for Slack request jobs: the fake GitHub and the fake Slack on loopback, a SQLite queue,
Honk's services, and a light-lane worker that runs only `slack_request` jobs (the agent jobs they
queue stay queued for the test to read)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.commands import Command, SlackOrigin
from app.core.config import Secret, Settings
from app.flows.services import Services
from app.github.client import GitHubApp, RetryPolicy
from app.slack.client import SlackClient
from app.store.accounts import GitHubUser, SlackPerson, TokenGrant
from app.store.engine import Store
from app.store.jobs import Job, JobReader
from app.store.queue import Queue
from app.worker import Worker
from tests.fakes.github.api import AppKeyPair, FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.github.state import FakeRepo
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_requests import CHANNEL_ID, TEAM_ID, USER_ID

APP_ID = 4242
INSTALLATION_ID = 77
REPO = "octo/widgets"
PUBLIC_URL = "https://honk.example"
CLIENT_ID = "Iv1.0123456789abcdef"
MONA_ID = 583231


@dataclass
class RequestWorld:
    fake: FakeGitHub
    repo: FakeRepo
    slack: FakeSlack
    settings: Settings
    queue: Queue
    services: Services
    worker: Worker
    deliveries: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def link(
        self, user: str = USER_ID, login: str = "mona", github_id: int = MONA_ID
    ) -> None:
        """`user` signed in with GitHub as `login` (a writer unless the test says otherwise)."""
        accounts = self.services.accounts
        await accounts.save_user(GitHubUser(github_id, login), TokenGrant("ghu_" + "u" * 36))
        await accounts.link(SlackPerson(TEAM_ID, user), github_id)

    async def ask(
        self,
        text: str,
        *,
        user: str = USER_ID,
        channel: str = CHANNEL_ID,
        ts: str | None = "1765000100.000100",
        thread_ts: str | None = None,
        action: str | None = None,
    ) -> Job:
        """Queue what the person wrote as the request path does, run it, return the ended job."""
        origin = SlackOrigin(
            TEAM_ID, channel, user, ts, thread_ts, text, action, is_dm=channel.startswith("D")
        )
        delivery = f"slack:Ev{next(self.deliveries):04d}"
        command = Command("slack_request", "", None, None, user, delivery, slack=origin)
        _, job_id = await self.queue.enqueue(command)
        return await self.run(job_id)

    async def run(self, job_id: int) -> Job:
        """Run the queued request job (once); the job as it ended (or was queued again)."""
        ran = await self.worker.run_once()
        assert ran is not None and ran.id == job_id
        ended = await self.queue.get(job_id)
        assert ended is not None
        return ended

    async def agent_jobs(self) -> list[Job]:
        """The jobs the requests queued, oldest first."""
        found = await JobReader(self.queue.store).recent()
        return sorted((j for j in found if j.kind != "slack_request"), key=lambda j: j.id)


@asynccontextmanager
async def open_request_world(
    tmp: Path, key: AppKeyPair | None = None, **settings: Any
) -> AsyncIterator[RequestWorld]:
    key = key or generate_app_key()
    fake = FakeGitHub(public_key_pem=key.public_pem, app_id=APP_ID)
    repo = fake.add_repo(REPO, installation_id=INSTALLATION_ID)
    repo.set_permission("mona", "write")
    async with serve_fake_github(fake) as url, FakeSlack() as slack:
        base = Settings(
            github_app_id=APP_ID,
            github_private_key=Secret(key.private_pem),
            github_api_url=url,
            data_dir=tmp / "honk",
            database_url=f"sqlite+aiosqlite:///{tmp}/honk.db",
            slack_bot_token=Secret(BOT_TOKEN),
            slack_api_url=slack.url,
            github_client_id=CLIENT_ID,
            github_client_secret=Secret("client-secret"),
            public_url=PUBLIC_URL,
            secret_key=Secret("request-world-key"),
        )
        config = replace(base, **settings)
        store = await Store.open(config.database_url)
        queue = Queue(store, backoff_base=0)
        github = GitHubApp(config, retry=RetryPolicy(sleep=_no_sleep))
        services = Services(config, queue, github=github, slack=SlackClient(BOT_TOKEN, slack.url))
        worker = Worker(queue, config, services=services, kinds={"slack_request"})
        try:
            yield RequestWorld(fake, repo, slack, config, queue, services, worker)
        finally:
            await store.close()


async def _no_sleep(seconds: float) -> None:
    return None
