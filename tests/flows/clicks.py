"""A world for Slack button clicks: fake GitHub (with people's user tokens), fake OAuth, fake
Slack, the queue on a manual clock and a worker that runs `slack_action` jobs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.commands import Command, SlackOrigin
from app.core.config import Secret, Settings
from app.flows.services import Services
from app.github.client import GitHubApp, RetryPolicy
from app.slack.client import SlackClient
from app.store.accounts import GitHubUser, SlackPerson
from app.store.jobs import Job
from app.store.queue import Queue
from app.web.oauth import OAuthClient
from app.worker import Worker
from tests.conftest import ManualClock
from tests.fakes.github.api import FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.github.merging import person_tokens, serve_oauth
from tests.fakes.github.oauth import FakeGitHubOAuth, FakePerson
from tests.fakes.github.state import FakeRepo
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_requests import CHANNEL_ID, TEAM_ID

APP_ID = 4242
INSTALLATION_ID = 77
REPO = "octo/widgets"
PUBLIC_URL = "https://honk.test"
THREAD_TS = "1700000000.000100"
MESSAGE_TS = "1700000000.000200"
HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
PEOPLE = {"U0MONA": FakePerson(583231, "mona"), "U0HUBOT": FakePerson(7001, "hubot")}


@dataclass
class Clicks:
    fake: FakeGitHub
    repo: FakeRepo
    oauth: FakeGitHubOAuth
    slack: FakeSlack
    queue: Queue
    clock: ManualClock
    settings: Settings
    services: Services

    async def link(self, slack_user: str) -> str:
        """Sign `slack_user`'s person in through the fake OAuth and link them; their token."""
        person = PEOPLE[slack_user]
        client = OAuthClient.from_settings(self.settings)
        assert client is not None
        grant = await client.exchange_code(self.oauth.code_for(person), f"{PUBLIC_URL}/cb")
        accounts = self.services.accounts
        await accounts.save_user(GitHubUser(person.github_id, person.login), grant)
        await accounts.link(SlackPerson(TEAM_ID, slack_user), person.github_id)
        return grant.access_token

    def click_command(self, action: str, value: str, user: str) -> Command:
        origin = SlackOrigin(
            TEAM_ID, CHANNEL_ID, user, MESSAGE_TS, THREAD_TS, text=value, action=action
        )
        return Command("slack_action", "", None, None, user, str(uuid.uuid4()), slack=origin)

    async def click(self, action: str, value: str, user: str = "U0MONA") -> Job:
        """The click's job, run to its end by a worker of `slack_action` jobs."""
        _, job_id = await self.queue.enqueue(self.click_command(action, value, user))
        worker = Worker(self.queue, self.settings, services=self.services, kinds=["slack_action"])
        ran = await worker.run_once()
        assert ran is not None and ran.id == job_id
        ended = await self.queue.get(job_id)
        assert ended is not None
        return ended

    def thread_lines(self) -> list[str]:
        return [m.text for m in self.slack.messages if m.thread_ts == THREAD_TS]

    def ephemerals(self, user: str = "U0MONA") -> list[str]:
        return [e.text for e in self.slack.ephemerals_for(user)]

    def writes(self) -> list[str]:
        """Every request that changed something on GitHub (tokens aside)."""
        return [
            f"{r.method} {r.path}"
            for r in self.fake.requests
            if r.method != "GET" and "access_tokens" not in r.path and r.path != "/graphql"
        ] + [f"POST {r.path}" for r in self.fake.requests if r.path == "/graphql"]


def click_settings(base: Settings, github_url: str, oauth: FakeGitHubOAuth, slack: str) -> Settings:
    return replace(
        base,
        github_url=github_url,
        github_client_id=oauth.client_id,
        github_client_secret=Secret(oauth.client_secret),
        public_url=PUBLIC_URL,
        slack_bot_token=Secret(BOT_TOKEN),
        slack_api_url=slack,
        secret_key=Secret("k" * 43 + "="),
    )


@asynccontextmanager
async def open_clicks(tmp: Path, queue: Queue, clock: ManualClock) -> AsyncIterator[Clicks]:
    key = generate_app_key()
    oauth = FakeGitHubOAuth(clock=clock)
    fake = FakeGitHub(public_key_pem=key.public_pem, app_id=APP_ID, users=person_tokens(oauth))
    repo = fake.add_repo(REPO, installation_id=INSTALLATION_ID)
    async with serve_fake_github(fake) as api, serve_oauth(oauth) as web, FakeSlack() as slack:
        base = Settings(
            github_app_id=APP_ID,
            github_private_key=Secret(key.private_pem),
            github_api_url=api,
            data_dir=tmp / "honk",
        )
        settings = click_settings(base, web, oauth, slack.url)
        github = GitHubApp(settings, retry=RetryPolicy(sleep=_no_sleep))
        client = SlackClient(BOT_TOKEN, slack.url)
        services = Services(settings, queue, github=github, slack=client)
        yield Clicks(fake, repo, oauth, slack, queue, clock, settings, services)


async def _no_sleep(seconds: float) -> None:
    return None
