"""Honk's real HTTP app WITH its Slack route in front of the end-to-end World.

Signed Slack requests go to `POST /slack/events` (or through the fake's Socket Mode hub), GitHub
deliveries to `/webhooks/github`, the browser follows the sign-in redirects; the World's workers
run the jobs against the fake GitHub (with the fake OAuth's user tokens), the git remote, the
scripted model and FakeSlack. One clock (now, plus what a test adds) is shared by Honk's queue
and stored tokens, and by the fake OAuth, so a token can expire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx

from app.core.commands import LIGHT_KINDS
from app.core.config import Secret
from app.flows.services import Services
from app.process import SlackWiring
from app.slack.client import SlackClient
from app.store.accounts import GitHubUser, SlackPerson
from app.store.jobs import Job
from app.web.oauth import OAuthClient
from app.web.server import create_app
from app.worker import Worker
from tests.fakes import slack_requests as sr
from tests.fakes.github.merging import person_tokens, serve_oauth
from tests.fakes.github.oauth import FakeGitHubOAuth, FakePerson
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack, PostedMessage
from tests.fakes.slack_requests import BOT_USER_ID, CHANNEL_ID, TEAM_ID, USER_ID, SignedRequest
from tests.flows.slack_world import SlackWorld
from tests.flows.test_e2e import script_fix
from tests.flows.world import REPO, World

PUBLIC_URL = "http://honk.test"
WRITER = "U0HUBOT"
READER = "U0RITA"
PEOPLE = {
    USER_ID: FakePerson(583231, "mona"),
    WRITER: FakePerson(7001, "hubot"),
    READER: FakePerson(7002, "rita"),
}
TASK = "make add() add instead of subtracting"
ASK = f"{REPO} {TASK}"
FIRST = "1765000100.000100"  # the person's message that starts the thread
DEADLINE_SECONDS = 30.0  # a guard against a hung test, never an assertion on speed


class SkewClock:
    """The wall clock, moved forward when a test says so."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class SlackE2E:
    world: World
    slack: FakeSlack
    oauth: FakeGitHubOAuth
    clock: SkewClock
    honk: httpx.AsyncClient  # the browser and Slack's side of Honk's web app

    @property
    def services(self) -> Services:
        return self.world.worker.services

    @property
    def view(self) -> SlackWorld:
        """The Slack World's readers (status messages, finals) over this world."""
        return SlackWorld(self.world, self.slack)

    async def post(self, request: SignedRequest, **headers: str) -> httpx.Response:
        sent = request.headers | headers
        return await self.honk.post("/slack/events", content=request.body, headers=sent)

    async def mention(
        self, text: str, *, user: str = USER_ID, ts: str, thread_ts: str = "", event_id: str = ""
    ) -> httpx.Response:
        event = sr.app_mention(f"<@{BOT_USER_ID}> {text}", user=user, ts=ts, thread_ts=thread_ts)
        response = await self.post(sr.event_callback(event, event_id=event_id))
        assert response.status_code == 200, response.text
        return response

    async def command(self, text: str, *, user: str = USER_ID) -> httpx.Response:
        response = await self.post(sr.slash_command(text, user_id=user))
        assert response.status_code == 200, response.text
        return response

    async def click(self, action: str, value: str, on: PostedMessage, user: str) -> None:
        request = sr.block_actions(
            action, value, user_id=user, message_ts=on.ts, thread_ts=on.thread_ts or ""
        )
        response = await self.post(request)
        assert response.status_code == 200, response.text

    async def run_light(self) -> list[Job]:
        """Run the queued quick jobs (requests, clicks, PR events) as the light lane does."""
        world = self.world
        lane = Worker(world.queue, world.settings, services=self.services, kinds=LIGHT_KINDS)
        ran = []
        while (job := await lane.run_once()) is not None:
            ran.append(await self.job(job.id))
        return ran

    async def job(self, job_id: int) -> Job:
        found = await self.world.queue.get(job_id)
        assert found is not None
        return found

    async def jobs(self) -> list[Job]:
        return sorted(await self.world.queue.recent(), key=lambda job: job.id)

    async def link(self, user: str) -> str:
        """`user` signed in through the fake OAuth and linked (as `link` would); their token."""
        person = PEOPLE[user]
        client = OAuthClient.from_settings(self.world.settings)
        assert client is not None
        grant = await client.exchange_code(self.oauth.code_for(person), f"{PUBLIC_URL}/cb")
        accounts = self.services.accounts
        await accounts.save_user(GitHubUser(person.github_id, person.login), grant)
        await accounts.link(SlackPerson(TEAM_ID, user), person.github_id)
        return grant.access_token

    async def sign_in(self, link_url: str, person: FakePerson) -> httpx.Response:
        """Follow a Slack link in a browser: Honk, GitHub's authorize page, back to Honk."""
        self.oauth.signs_in = person
        response = await self.honk.get(link_url)
        async with httpx.AsyncClient() as github:
            while response.status_code in (302, 303, 307):
                url = response.headers["location"]
                on_honk = url.startswith("/") or url.startswith(PUBLIC_URL)
                response = await (self.honk if on_honk else github).get(_local(url))
        return response

    def ephemerals(self, user: str = USER_ID) -> list[str]:
        return [e.text for e in self.slack.ephemerals_for(user)]

    def thread(self, thread_ts: str) -> list[PostedMessage]:
        return self.slack.thread(CHANNEL_ID, thread_ts)


async def asked_pr(e2e: SlackE2E, ts: str = FIRST) -> tuple[int, str]:
    """A linked writer's mention made into a PR; (the task's job id, the PR's URL)."""
    script_fix(e2e.world)
    await e2e.mention(ASK, ts=ts)
    request, task = await e2e.world.run_jobs()
    assert (request.kind, task.kind, task.state) == ("slack_request", "slack_task", "succeeded")
    assert task.result is not None, task.error
    return task.id, str(task.result["pr_url"])


def _local(url: str) -> str:
    """Honk's own URLs as paths (the test client's base is Honk); others as they are."""
    if url.startswith(PUBLIC_URL):
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return url


async def until(check: Callable[[], bool], what: str) -> None:
    """Poll `check()` until true; fails after the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@asynccontextmanager
async def open_slack_e2e(world: World, *, socket: bool = False) -> AsyncIterator[SlackE2E]:
    """`world` served by Honk's app with the Slack route (and Socket Mode when `socket`)."""
    clock = SkewClock()
    oauth = FakeGitHubOAuth(clock=clock)
    world.fake.users = person_tokens(oauth)
    world.queue.clock = clock
    async with FakeSlack() as slack, serve_oauth(oauth) as github_web:
        settings = replace(
            world.settings,
            workers=0,  # the test runs the workers
            github_url=github_web,
            github_client_id=oauth.client_id,
            github_client_secret=Secret(oauth.client_secret),
            public_url=PUBLIC_URL,
            secret_key=Secret("e2e-" + "k" * 40),
            slack_bot_token=Secret(BOT_TOKEN),
            slack_signing_secret=Secret(sr.SIGNING_SECRET),
            slack_api_url=slack.url,
            slack_app_token=Secret(APP_TOKEN) if socket else None,
        )
        world.settings = settings
        github = world.worker.services.github
        client = SlackClient(BOT_TOKEN, slack.url)
        services = Services(settings, world.queue, github=github, slack=client)
        world.worker = Worker(world.queue, settings, services=services)
        wiring = SlackWiring()
        app = create_app(
            settings,
            store=world.queue.store,
            extra_routes=wiring.routes,
            background=wiring.background,
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as honk:
                world.http = honk  # GitHub's deliveries go through the same app
                yield SlackE2E(world, slack, oauth, clock, honk)
