"""`/setup` end to end, no restart: the App is created on the fake GitHub, a delivery signed with
its new secret is taken by the running web app, and a worker's job authenticates as the new App."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import httpx

from app.core.config import Secret, Settings
from app.store.engine import Store
from app.store.queue import Queue
from app.web.server import create_app
from app.worker import Worker
from tests.fakes.deliveries import delivery_headers
from tests.fakes.github.api import FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.github.manifests import offer_manifest
from tests.flows.world import INSTALLATION_ID, REPO, payload

PUBLIC = "https://honk.example.com"


async def create_the_app(http: httpx.AsyncClient, fake: FakeGitHub) -> httpx.Response:
    """A person at /setup: the button, GitHub's "new App" page, GitHub's redirect back."""
    page = await http.get("/setup")
    found = re.search(r"name='manifest' value='([^']+)'", page.text)
    assert page.status_code == 200 and found is not None
    code = offer_manifest(fake, json.loads(html.unescape(found.group(1))))
    state = http.cookies["honk_setup_state"]
    return await http.get("/setup/callback", params={"code": code, "state": state})


async def deliver(http: httpx.AsyncClient, body: bytes, secret: str) -> int:
    headers = delivery_headers("issue_comment", body, secret)
    return (await http.post("/webhooks/github", content=body, headers=headers)).status_code


def help_request(fake: FakeGitHub) -> bytes:
    repo = fake.repos[REPO]
    number = repo.add_issue("Anything", "")
    comment = repo.add_comment(number, "/honk help", "mona")
    delivery = payload(
        "issue_comment/created.honk-fix.json",
        issue__number=number,
        comment__body="/honk help",
        comment__id=comment,
        sender__login="mona",
    )
    return json.dumps(delivery).encode()


async def test_setup_takes_effect_without_a_restart(tmp_path: Path) -> None:
    fake = FakeGitHub(public_key_pem=generate_app_key().public_pem, app_id=1)
    fake.add_repo(REPO, installation_id=INSTALLATION_ID).set_permission("mona", "write")
    async with serve_fake_github(fake) as api_url:
        settings = Settings(
            github_api_url=api_url,
            github_url="https://github.test",
            public_url=PUBLIC,
            data_dir=tmp_path / "honk",
            database_url=f"sqlite+aiosqlite:///{tmp_path}/honk.db",
            secret_key=Secret("e2e-key"),
        )
        store = await Store.open(settings.database_url)
        queue = Queue(store, max_attempts=1, backoff_base=0)
        worker = Worker(queue, settings)  # its own Services: the GitHub App from settings
        app = create_app(settings, store=store)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC
        ) as http:
            body = help_request(fake)
            before = await deliver(http, body, "guessed")
            created = await create_the_app(http, fake)
            (new_app,) = fake.apps_created
            forged = await deliver(http, body, "guessed")
            accepted = await deliver(http, body, new_app["webhook_secret"])
            ran = await worker.run_once()
            assert ran is not None
            job = await queue.get(ran.id)
        await store.close()

    assert (before, created.status_code, forged, accepted) == (503, 200, 401, 202)
    assert job is not None
    assert job.state == "succeeded", job.error
    assert fake.jwt_claims and {str(c["iss"]) for c in fake.jwt_claims} == {str(new_app["id"])}
    (answer,) = [c.body for c in fake.repos[REPO].comments.values() if c.user == fake.bot_login]
    assert "/honk fix" in answer
