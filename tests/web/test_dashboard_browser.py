"""The dashboard in a real browser: chromium, driven by Playwright, against Honk over loopback."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from app.core.commands import Command
from app.core.config import Settings
from app.store.engine import Store
from app.store.jobs import update_jobs
from app.store.queue import Queue
from app.store.tables import jobs
from app.web.dashboard_runs import transcript_path
from app.web.server import create_app
from tests.fakes.github.oauth import FakeGitHubOAuth, FakePerson
from tests.fakes.loopback import serve_on_loopback
from tests.fakes.sandbox_probe import needs_tool, unavailable
from tests.web.dashboard_world import make_settings

try:
    from playwright.async_api import Page, async_playwright, expect
except ImportError:  # pragma: no cover - the fixture says so (skip, or fail under CI=true)
    HAS_PLAYWRIGHT = False
else:
    HAS_PLAYWRIGHT = True

MONA = FakePerson(583231, "mona")
REPOS = {"mona": ["octo/app"]}  # what each person's user token reads (and writes) on GitHub
WAIT_MS = 10_000


def fake_github(oauth: FakeGitHubOAuth) -> Starlette:
    """GitHub's OAuth web flow and `GET /user` (the fake), with `GET /user/repos` by token."""

    async def user_repos(request: Request) -> Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in oauth.access:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        names = REPOS.get(oauth.access[token][0].login, [])
        perms = {"pull": True, "push": True, "admin": False}
        return JSONResponse([{"full_name": name, "permissions": perms} for name in names])

    return Starlette(routes=[*oauth.asgi().routes, Route("/user/repos", user_repos)])


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """`app` on 127.0.0.1 (a free port); yields its URL."""
    async with serve_on_loopback(app) as url:
        yield url


@dataclass
class Honk:
    """Honk served on loopback, its queue and settings, and a chromium page signed in as mona."""

    url: str
    queue: Queue
    settings: Settings
    page: Page

    async def job(self, repo: str, number: int, state: str = "queued") -> int:
        command = Command(
            "fix_issue", repo, number, 1, "mona", f"d-{repo}-{number}", title="Flaky test",
            body="Please fix the flaky test.",
        )  # fmt: skip
        _, job_id = await self.queue.enqueue(command)
        async with self.queue.store.transaction(write=True) as conn:
            await update_jobs(conn, jobs.c.id == job_id, state=state)
        return job_id

    def transcript(self, job_id: int, *records: dict[str, Any]) -> None:
        """Append records to the job's transcript, as the agent writes it."""
        path = transcript_path(self.settings.transcripts_dir, job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.writelines(json.dumps(record) + "\n" for record in records)


def said(seq: int, text: str) -> dict[str, Any]:
    """A transcript record: the model said `text`."""
    return {"seq": seq, "type": "model", "turn": 1, "content": [{"type": "text", "text": text}]}


@pytest.fixture
async def honk(tmp_path: Path, store: Store) -> AsyncIterator[Honk]:
    needs_tool("chromium")
    if not HAS_PLAYWRIGHT:
        unavailable("playwright is not installed")
    oauth = FakeGitHubOAuth(signs_in=MONA)
    async with serve(fake_github(oauth)) as github:
        settings = replace(make_settings(tmp_path), github_url=github, github_api_url=github)
        app = create_app(settings, store=store)
        async with app.router.lifespan_context(app), serve(app) as url, async_playwright() as pw:
            # Debian's chromium, never Playwright's download; tests run as root in CI
            # containers, where chromium refuses to start with its sandbox.
            browser = await pw.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--no-sandbox"]
            )
            page = await browser.new_page()
            page.set_default_timeout(WAIT_MS)
            try:
                await sign_in(page, url)
                yield Honk(url, Queue(store), settings, page)
            finally:
                await browser.close()  # first: its open event streams end with it


async def sign_in(page: Page, url: str) -> None:
    """From the home page, through the fake GitHub's authorize page, back signed in."""
    await page.goto(f"{url}/")
    await page.get_by_role("link", name="Sign in with GitHub").click()
    await expect(page.locator("body")).to_contain_text("Signed in as @mona.")


async def test_the_jobs_list_shows_ones_own_repositorys_runs_only(honk: Honk) -> None:
    own = await honk.job("octo/app", 1)
    other = await honk.job("hubot/site", 2)
    await honk.page.goto(f"{honk.url}/")
    await expect(honk.page.locator(f'a[href="/runs/{own}"]')).to_have_count(1)
    await expect(honk.page.locator(f'a[href="/runs/{other}"]')).to_have_count(0)
    await expect(honk.page.locator("body")).not_to_contain_text("hubot/site")


async def test_a_running_jobs_page_shows_a_new_step_live(honk: Honk) -> None:
    job_id = await honk.job("octo/app", 3, state="running")
    honk.transcript(job_id, said(1, "Reading the failing test."))
    await honk.page.goto(f"{honk.url}/runs/{job_id}")
    steps = honk.page.locator("#steps .step")
    await expect(steps).to_have_count(1)
    honk.transcript(job_id, said(2, "Found the race; fixing it."))
    await expect(steps).to_have_count(2)
    await expect(steps.nth(1)).to_contain_text("Found the race; fixing it.")


async def test_cancel_asks_the_running_job_to_stop(honk: Honk) -> None:
    job_id = await honk.job("octo/app", 4, state="running")
    await honk.page.goto(f"{honk.url}/runs/{job_id}")
    assert not await honk.queue.cancel_requested(job_id)
    async with honk.page.expect_navigation():
        await honk.page.get_by_role("button", name="Cancel").click()
    assert honk.page.url == f"{honk.url}/runs/{job_id}"
    assert await honk.queue.cancel_requested(job_id)
    await expect(honk.page.locator("#stopping")).to_contain_text("Stop requested")
    await expect(honk.page.get_by_role("button", name="Cancel")).to_have_count(0)


async def test_a_post_without_the_csrf_token_is_refused(honk: Honk) -> None:
    job_id = await honk.job("octo/app", 5, state="running")
    answer = await honk.page.request.post(f"{honk.url}/runs/{job_id}/cancel", form={})
    assert answer.status == 403
    assert "token is missing or wrong" in await answer.text()
    assert not await honk.queue.cancel_requested(job_id)
