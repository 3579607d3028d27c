"""A dashboard over a real store: people with user tokens, a fake `GET /user/repos`, jobs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.core.commands import Command, SlackOrigin
from app.core.config import Secret, Settings
from app.core.oauth import TokenGrant
from app.store.accounts import Accounts, GitHubUser
from app.store.engine import Store
from app.store.jobs import update_jobs
from app.store.queue import Queue
from app.store.tables import jobs
from app.web.dashboard import Dashboard
from app.web.dashboard_access import RepoAccess
from app.web.oauth import OAuthClient
from app.web.signin import SESSION_COOKIE, SESSION_PURPOSE, SignIn
from tests.conftest import ManualClock
from tests.fakes.github.judge import Judge, judge_for, refusal_of

API = "https://api.github.test"
BASE = "http://honk.test"
DASHBOARD_TOKEN = "dash-token-for-scripts"
MONA = GitHubUser(583231, "mona")  # reads and writes octo/app, reads octo/docs
HUBOT = GitHubUser(2, "hubot")  # reads hubot/site only
ADMIN = GitHubUser(3, "Boss")  # in HONK_ADMINS, no repositories of their own


@dataclass
class FakeRepos:
    """`GET /user/repos` for known user tokens: full names with permissions, paged."""

    by_token: dict[str, dict[str, bool]] = field(default_factory=dict)  # repo -> can push
    calls: int = 0
    judge: Judge | None = field(default_factory=judge_for)  # against GitHub's description

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=Starlette(routes=[Route("/user/repos", self._repos)]))

    async def _repos(self, request: Request) -> Response:
        self.calls += 1
        if (refused := await refusal_of(self.judge, request)) is not None:
            return refused
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.by_token:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        per_page = int(request.query_params.get("per_page", "30"))
        page = int(request.query_params.get("page", "1"))
        repos = [
            {"full_name": name, "permissions": {"pull": True, "push": push, "admin": False}}
            for name, push in sorted(self.by_token[token].items())
        ]
        return JSONResponse(repos[(page - 1) * per_page : page * per_page])


def make_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        github_client_id="Iv1.fakeclientid",
        github_client_secret=Secret("fake-client-secret"),
        github_url="https://github.test",
        github_api_url=API,
        secret_key=Secret("dashboard-test-key"),
        dashboard_token=Secret(DASHBOARD_TOKEN),
        admins=("boss",),
    )


@dataclass
class World:
    settings: Settings
    store: Store
    queue: Queue
    clock: ManualClock
    signin: SignIn
    dashboard: Dashboard
    repos: FakeRepos
    woken: list[bool] = field(default_factory=list)
    made: int = 0

    def client(self, person: GitHubUser | None = None, **headers: str) -> httpx.AsyncClient:
        app = Starlette(routes=[*self.signin.routes(), *self.dashboard.routes()])
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE, headers=headers
        )
        if person is not None:
            session = {"id": person.github_id, "login": person.login}
            cookie = self.signin.sealer().sign(SESSION_PURPOSE, session, now=self.clock())
            client.cookies.set(SESSION_COOKIE, cookie)
        return client

    def operator(self) -> httpx.AsyncClient:
        return self.client(authorization=f"Bearer {DASHBOARD_TOKEN}")

    async def person(self, user: GitHubUser, repos: dict[str, bool]) -> None:
        """Someone who signed in once: their user token and what it reaches on GitHub."""
        accounts = Accounts(self.store, self.signin.sealer(), clock=self.clock)
        token = f"ghu_{user.login}"
        await accounts.save_user(user, TokenGrant(token, expires_in=28800))
        self.repos.by_token[token] = repos

    async def job(self, repo: str, number: int = 1, **values: Any) -> int:
        """A job on `repo#number` (sender `values.pop('sender')`), its row then set to values."""
        sender = values.pop("sender", "mona")
        slack = values.pop("slack", None)
        body = values.pop("body", "Please fix the flaky test.")
        command = Command(
            "fix_issue", repo, number, 1, sender, f"d-{repo}-{number}-{self.made}",
            title="Flaky test", body=body, slack=slack,
        )  # fmt: skip
        self.made += 1
        _, job_id = await self.queue.enqueue(command)
        if "result" in values:
            values["result"] = json.dumps(values["result"])
        if values:
            async with self.store.transaction(write=True) as conn:
                await update_jobs(conn, jobs.c.id == job_id, **values)
        return job_id

    async def job_state(self, job_id: int, state: str) -> None:
        async with self.store.transaction(write=True) as conn:
            await update_jobs(conn, jobs.c.id == job_id, state=state, finished_at=self.clock())

    def transcript(self, job_id: int, records: Iterable[dict[str, Any]]) -> Path:
        """Append records to the job's transcript, as the agent writes it."""
        path = self.settings.transcripts_dir / f"job-{job_id}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            for record in records:
                file.write(json.dumps(record) + "\n")
        return path


def build_world(tmp_path: Path, store: Store, clock: ManualClock) -> World:
    settings = make_settings(tmp_path)
    oauth = OAuthClient.from_settings(settings)
    assert oauth is not None
    queue = Queue(store, clock=clock)

    async def get_store() -> Store:
        return store

    async def get_queue() -> Queue:
        return queue

    signin = SignIn(settings, get_store, oauth=oauth, clock=clock)
    repos = FakeRepos()
    access = RepoAccess(API, transport=repos.transport(), clock=clock)
    world = World(settings, store, queue, clock, signin, None, repos)  # type: ignore[arg-type]

    def operator(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {DASHBOARD_TOKEN}"

    world.dashboard = Dashboard(
        settings, signin, get_queue, operator, lambda: world.woken.append(True),
        access=access, poll_seconds=0.01, clock=clock,
    )  # fmt: skip
    return world


SLACK = SlackOrigin("T1", "C1", "U1", ts="1.0", text="fix it from slack")
