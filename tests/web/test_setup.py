"""`/setup`: the manifest posted, its state, the code exchange, the file kept, who may use it."""

from __future__ import annotations

import html
import json
import re
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from app.core.config import Secret, Settings
from app.store.accounts import GitHubUser
from app.store.app_credentials import LiveSettings, credentials_path
from app.store.engine import Store
from app.web.server import create_app
from app.web.setup import Setup, read_app_yml
from tests.fakes.github.api import FakeGitHub, generate_app_key
from tests.fakes.github.manifests import offer_manifest

PUBLIC = "https://honk.example.com"
GITHUB = "https://github.test"


def make_settings(tmp_path: Path, **changes: Any) -> Settings:
    base = Settings(
        data_dir=tmp_path / "honk",
        github_url=GITHUB,
        github_api_url="https://api.github.test",
        secret_key=Secret("setup-test-key"),
        admins=("mona",),
    )
    return replace(base, **changes)


@dataclass
class Browser:
    client: httpx.AsyncClient
    live: LiveSettings
    fake: FakeGitHub

    async def start(self, query: str = "") -> tuple[str, dict[str, Any]]:
        """GET /setup: the form's action and the manifest it posts."""
        response = await self.client.get("/setup" + query)
        assert response.status_code == 200, response.text
        action = re.search(r"<form method='post' action='([^']+)'>", response.text)
        posted = re.search(r"name='manifest' value='([^']+)'", response.text)
        assert action is not None and posted is not None
        return html.unescape(action.group(1)), json.loads(html.unescape(posted.group(1)))

    async def create_app(self) -> httpx.Response:
        """The whole flow: the form, GitHub creating the App, the callback."""
        action, manifest = await self.start()
        state = parse_qs(urlsplit(action).query)["state"][0]
        code = offer_manifest(self.fake, manifest)
        return await self.client.get("/setup/callback", params={"code": code, "state": state})


def signed_in_as(request: Request) -> GitHubUser | None:
    """Stands in for sign-in's session reader: the `who` cookie names the person."""
    login = request.cookies.get("who")
    return GitHubUser(1, login) if login else None


@pytest.fixture
def fake() -> FakeGitHub:
    return FakeGitHub(public_key_pem=generate_app_key().public_pem)


def browser_for(settings: Settings, fake: FakeGitHub, base_url: str = PUBLIC) -> Browser:
    live = LiveSettings(settings)
    setup = Setup(live, signed_in_as, transport=httpx.ASGITransport(app=fake.asgi()))
    transport = httpx.ASGITransport(app=Starlette(routes=setup.routes()))
    return Browser(httpx.AsyncClient(transport=transport, base_url=base_url), live, fake)


@pytest.fixture
async def browser(tmp_path: Path, fake: FakeGitHub) -> AsyncIterator[Browser]:
    opened = browser_for(make_settings(tmp_path, public_url=PUBLIC), fake)
    async with opened.client:
        yield opened


def urls_of(manifest: dict[str, Any]) -> list[str]:
    hook = manifest["hook_attributes"]["url"]
    setup, redirect, home = manifest["setup_url"], manifest["redirect_url"], manifest["url"]
    return [home, hook, redirect, setup, *manifest["callback_urls"]]


@pytest.mark.parametrize(
    ("public_url", "base_url", "expected"),
    [
        (PUBLIC, "http://127.0.0.1:3000", PUBLIC),  # HONK_PUBLIC_URL wins over the Host
        (None, "http://honk.local:8080", "http://honk.local:8080"),  # else the request's host
    ],
)
async def test_the_manifest_points_every_url_at_this_honk(
    tmp_path: Path, fake: FakeGitHub, public_url: str | None, base_url: str, expected: str
) -> None:
    opened = browser_for(make_settings(tmp_path, public_url=public_url), fake, base_url)
    async with opened.client:
        action, manifest = await opened.start()

    assert urls_of(manifest) == [
        expected,
        f"{expected}/webhooks/github",
        f"{expected}/setup/callback",
        f"{expected}/",
        f"{expected}/auth/github/callback",
    ]
    template = read_app_yml()
    assert manifest["default_events"] == template["default_events"]
    assert manifest["default_permissions"] == template["default_permissions"]
    assert (manifest["name"], manifest["public"], manifest["hook_attributes"]["active"]) == (
        "Honk",
        False,
        True,
    )
    state = parse_qs(urlsplit(action).query)["state"][0]
    assert action == f"{GITHUB}/settings/apps/new?state={state}"
    assert opened.client.cookies["honk_setup_state"] == state


async def test_an_organization_gets_its_own_new_app_page(browser: Browser) -> None:
    action, _ = await browser.start("?org=octo-org")
    assert urlsplit(action).path == "/organizations/octo-org/settings/apps/new"
    assert action.startswith(GITHUB)
    response = await browser.client.get("/setup", params={"org": "../../evil"})
    assert response.status_code == 400


@pytest.mark.parametrize("state", [None, "", "not-the-state"])
async def test_the_callback_refuses_a_state_not_bound_to_the_browser(
    browser: Browser, state: str | None
) -> None:
    _, manifest = await browser.start()
    code = offer_manifest(browser.fake, manifest)
    params = {"code": code} if state is None else {"code": code, "state": state}
    response = await browser.client.get("/setup/callback", params=params)
    assert response.status_code == 400 and "does not match this browser" in response.text
    assert code in browser.fake.manifest_codes  # never exchanged
    assert not credentials_path(browser.live.base.data_dir).exists()


async def test_the_conversion_is_kept_in_a_private_file_and_used_at_once(
    browser: Browser,
) -> None:
    assert browser.live().github_app_id is None
    response = await browser.create_app()

    assert response.status_code == 200, response.text
    (created,) = browser.fake.apps_created
    path = credentials_path(browser.live.base.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text())
    assert kept == {
        name: created[name]
        for name in ("id", "slug", "html_url", "pem", "webhook_secret", "client_id")
    } | {"client_secret": created["client_secret"]}
    assert f"{created['html_url']}/installations/new" in response.text
    assert created["pem"] not in response.text and created["webhook_secret"] not in response.text
    current = browser.live()
    assert current.github_app_id == created["id"]
    assert current.github_webhook_secret == Secret(created["webhook_secret"])
    assert current.github_client_id == created["client_id"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


async def test_github_refusing_the_code_is_a_clear_page(browser: Browser) -> None:
    action, _ = await browser.start()
    state = parse_qs(urlsplit(action).query)["state"][0]
    response = await browser.client.get(
        "/setup/callback", params={"code": "expired", "state": state}
    )
    assert response.status_code == 502
    assert "GitHub refused the code (404: Not Found)" in response.text
    assert not credentials_path(browser.live.base.data_dir).exists()


async def test_github_unreachable_is_a_clear_page(tmp_path: Path, fake: FakeGitHub) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    live = LiveSettings(make_settings(tmp_path))
    setup = Setup(live, signed_in_as, transport=httpx.MockTransport(refuse))
    transport = httpx.ASGITransport(app=Starlette(routes=setup.routes()))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
        await client.get("/setup")
        state = client.cookies["honk_setup_state"]
        response = await client.get("/setup/callback", params={"code": "c", "state": state})
    assert response.status_code == 502 and "could not be reached" in response.text


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 403), ("octocat", 403), ("mona", 200), ("Mona", 200)],
)
async def test_once_an_app_exists_only_a_signed_in_admin_may_set_up(
    browser: Browser, who: str | None, status: int
) -> None:
    assert (await browser.create_app()).status_code == 200
    if who is not None:
        browser.client.cookies.set("who", who)
    response = await browser.client.get("/setup")
    assert response.status_code == status
    if status == 403:
        assert "already has a GitHub App" in response.text
        callback = await browser.client.get("/setup/callback", params={"code": "c", "state": "s"})
        assert callback.status_code == 403


async def test_an_app_from_the_environment_closes_setup(tmp_path: Path, fake: FakeGitHub) -> None:
    opened = browser_for(make_settings(tmp_path, github_app_id=12), fake)
    async with opened.client:
        response = await opened.client.get("/setup")
    assert response.status_code == 403 and "/auth/github/login" in response.text


async def test_the_home_page_links_to_setup_until_an_app_exists(
    tmp_path: Path, store: Store
) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC) as c:
        before = await c.get("/")
        credentials_path(settings.data_dir).parent.mkdir(parents=True)
        credentials_path(settings.data_dir).write_text(json.dumps(SAVED))
        after = await c.get("/")
    assert "href='/setup'" in before.text
    assert "href='/setup'" not in after.text


SAVED = {
    "id": 77,
    "slug": "honk-test",
    "html_url": "https://github.test/apps/honk-test",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----\n",
    "webhook_secret": "whsec",
    "client_id": "Iv1.abc",
    "client_secret": "cs",
}
