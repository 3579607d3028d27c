"""A served fake GitHub and a `GitHubApp` wired to it, with a recording sleeper and a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from app.core.config import Secret, Settings
from app.github.client import GitHubApp, RepoClient, RetryPolicy
from tests.fakes.github.api import AppKeyPair, FakeGitHub, serve_fake_github
from tests.fakes.github.state import FakeRepo

APP_ID = 4242
INSTALLATION_ID = 77
REPO = "octo/widgets"


@dataclass
class RecordingSleep:
    """Stands in for asyncio.sleep: records each requested wait and returns at once."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class SteppedClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class GitHubSession:
    key: AppKeyPair
    fake: FakeGitHub
    repo: FakeRepo
    api_url: str
    app: GitHubApp
    client: RepoClient
    sleep: RecordingSleep
    clock: SteppedClock


def app_for(url: str, key: AppKeyPair, sleep: RecordingSleep, clock: SteppedClock) -> GitHubApp:
    settings = Settings(
        github_app_id=APP_ID, github_private_key=Secret(key.private_pem), github_api_url=url
    )
    return GitHubApp(settings, retry=RetryPolicy(sleep=sleep), clock=clock)


@asynccontextmanager
async def open_session(key: AppKeyPair, *, prefix: str = "") -> AsyncIterator[GitHubSession]:
    """The fake (app "honk", repository octo/widgets in installation 77) served on loopback."""
    fake = FakeGitHub(public_key_pem=key.public_pem, app_id=APP_ID)
    repo = fake.add_repo(REPO, installation_id=INSTALLATION_ID)
    sleep, clock = RecordingSleep(), SteppedClock()
    async with serve_fake_github(fake, prefix=prefix) as url:
        app = app_for(url, key, sleep, clock)
        client = await app.repo(INSTALLATION_ID, REPO)
        fake.requests.clear()  # tests see only their own requests
        yield GitHubSession(key, fake, repo, url, app, client, sleep, clock)
