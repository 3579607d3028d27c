"""Sign-in routes against the fake GitHub OAuth flow: state, cookies, encryption, Slack links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from app.core.config import Secret, Settings
from app.store.accounts import Accounts, GitHubUser, SlackPerson
from app.store.engine import Store
from app.store.tables import github_users
from app.web.oauth import OAuthClient
from app.web.server import create_app
from app.web.signin import SignIn
from tests.conftest import ManualClock
from tests.fakes.github.oauth import FakeGitHubOAuth, FakePerson

MONA = FakePerson(583231, "mona")
PERSON = SlackPerson("T0001", "U0001")
BASE = "http://honk.test"


def make_settings(tmp_path: Path, public_url: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path,
        github_client_id="Iv1.fakeclientid",
        github_client_secret=Secret("fake-client-secret"),
        github_url="https://github.test",
        github_api_url="https://api.github.test",
        secret_key=Secret("web-test-key"),
        public_url=public_url,
    )


@pytest.fixture
def fake(clock: ManualClock) -> FakeGitHubOAuth:
    return FakeGitHubOAuth(clock=clock)


def sign_in_app(
    settings: Settings, store: Store, fake: FakeGitHubOAuth, clock: ManualClock
) -> SignIn:
    oauth = OAuthClient.from_settings(settings)
    assert oauth is not None

    async def get_store() -> Store:
        return store

    return SignIn(
        settings, get_store, oauth=replace(oauth, transport=fake.transport()), clock=clock
    )


@pytest.fixture
def signin(tmp_path: Path, store: Store, fake: FakeGitHubOAuth, clock: ManualClock) -> SignIn:
    return sign_in_app(make_settings(tmp_path), store, fake, clock)


@pytest.fixture
async def browser(signin: SignIn) -> AsyncIterator[httpx.AsyncClient]:
    async def whoami(request: Request) -> Response:
        user = signin.session_user(request)
        return PlainTextResponse("nobody" if user is None else f"{user.github_id} {user.login}")

    routes = [*signin.routes(), Route("/whoami", whoami)]
    transport = httpx.ASGITransport(app=Starlette(routes=routes))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


async def start_login(browser: httpx.AsyncClient) -> str:
    """Follow /auth/github/login; the state GitHub would send back."""
    response = await browser.get("/auth/github/login")
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["location"]).query)["state"][0]


def accounts_of(signin: SignIn, store: Store) -> Accounts:
    return Accounts(store, signin.sealer(), clock=signin.clock)


async def test_login_redirects_to_authorize_with_state_bound_to_the_browser(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get("/auth/github/login")
    assert response.status_code == 302
    url = urlsplit(response.headers["location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://github.test/login/oauth/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == ["Iv1.fakeclientid"]
    assert query["redirect_uri"] == [f"{BASE}/auth/github/callback"]
    assert browser.cookies["honk_oauth_state"] == query["state"][0]
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


@pytest.mark.parametrize("state", [None, "", "not-the-state"])
async def test_callback_refuses_a_state_not_bound_to_the_browser(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth, state: str | None
) -> None:
    await start_login(browser)
    params = {"code": fake.code_for(MONA)}
    if state is not None:
        params["state"] = state
    response = await browser.get("/auth/github/callback", params=params)
    assert response.status_code == 400
    assert "does not match this browser" in response.text
    assert fake.token_posts == []  # the code was never exchanged


async def test_callback_without_the_state_cookie_is_refused(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth
) -> None:
    state = await start_login(browser)
    browser.cookies.clear()
    response = await browser.get(
        "/auth/github/callback", params={"code": fake.code_for(MONA), "state": state}
    )
    assert response.status_code == 400


async def test_callback_signs_in_and_stores_tokens_encrypted(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth, signin: SignIn, store: Store
) -> None:
    state = await start_login(browser)
    response = await browser.get(
        "/auth/github/callback", params={"code": fake.code_for(MONA), "state": state}
    )
    assert response.status_code == 200
    assert "Signed in as @mona." in response.text
    post = fake.token_posts[0]
    assert (post["client_id"], post["redirect_uri"]) == (
        "Iv1.fakeclientid",
        f"{BASE}/auth/github/callback",
    )
    async with store.transaction() as conn:
        row = (await conn.execute(select(github_users))).mappings().one()
    access = next(iter(fake.access))
    assert row["login"] == "mona" and row["github_id"] == MONA.github_id
    assert access not in repr(dict(row)) and next(iter(fake.refresh)) not in repr(dict(row))
    session = browser.cookies["honk_session"]
    assert access not in session
    assert (await browser.get("/whoami")).text == "583231 mona"
    assert "honk_oauth_state" not in browser.cookies  # state is single-use


async def test_session_cookie_is_secure_behind_https(
    tmp_path: Path, store: Store, fake: FakeGitHubOAuth, clock: ManualClock
) -> None:
    signin = sign_in_app(make_settings(tmp_path, "https://honk.example.com"), store, fake, clock)
    transport = httpx.ASGITransport(app=Starlette(routes=signin.routes()))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        login = await client.get("/auth/github/login")
        query = parse_qs(urlsplit(login.headers["location"]).query)
        state = query["state"][0]
        assert query["redirect_uri"] == ["https://honk.example.com/auth/github/callback"]
        response = await client.get(
            "/auth/github/callback",
            params={"code": fake.code_for(MONA), "state": state},
            headers={"cookie": f"honk_oauth_state={state}"},  # a Secure cookie, sent over http
        )
    assert response.status_code == 200
    session = next(c for c in response.headers.get_list("set-cookie") if "honk_session=" in c)
    flags = session.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "secure" in flags


async def test_a_refused_code_is_a_clear_page_and_signs_nobody_in(
    browser: httpx.AsyncClient, store: Store
) -> None:
    state = await start_login(browser)
    response = await browser.get("/auth/github/callback", params={"code": "nope", "state": state})
    assert response.status_code == 502
    assert "incorrect or expired" in response.text
    assert "honk_session" not in browser.cookies


async def test_github_sending_an_error_is_a_clear_page(browser: httpx.AsyncClient) -> None:
    state = await start_login(browser)
    params = {"error": "access_denied", "error_description": "The user denied it", "state": state}
    response = await browser.get("/auth/github/callback", params=params)
    assert response.status_code == 400
    assert "The user denied it" in response.text


async def test_logout_ends_the_session(browser: httpx.AsyncClient, fake: FakeGitHubOAuth) -> None:
    state = await start_login(browser)
    await browser.get("/auth/github/callback", params={"code": fake.code_for(MONA), "state": state})
    assert (await browser.get("/whoami")).text == "583231 mona"
    response = await browser.post("/auth/logout")
    assert response.status_code == 200 and "signed out" in response.text
    assert (await browser.get("/whoami")).text == "nobody"


async def test_a_forged_session_cookie_is_nobody(browser: httpx.AsyncClient) -> None:
    browser.cookies.set("honk_session", "eyJkIjp7ImlkIjoxfX0.forged")
    assert (await browser.get("/whoami")).text == "nobody"


async def sign_in_through(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth, link: str
) -> httpx.Response:
    followed = await browser.get("/slack/link", params={"token": link})
    assert followed.status_code == 302
    assert followed.headers["location"] == "/auth/github/login"
    state = await start_login(browser)
    params = {"code": fake.code_for(MONA), "state": state}
    return await browser.get("/auth/github/callback", params=params)


async def test_signing_in_through_a_slack_link_links_that_person(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth, signin: SignIn, store: Store
) -> None:
    accounts = accounts_of(signin, store)
    link = await accounts.create_link_token(PERSON)
    response = await sign_in_through(browser, fake, link)
    assert response.status_code == 200
    assert "U0001" in response.text and "now linked to @mona" in response.text
    assert await accounts.linked_user(PERSON) == GitHubUser(MONA.github_id, "mona")
    assert "honk_slack_link" not in browser.cookies
    again = await browser.get("/slack/link", params={"token": link})
    assert again.status_code == 410 and "already used" in again.text


async def test_a_link_expires_after_ten_minutes(
    browser: httpx.AsyncClient, signin: SignIn, store: Store, clock: ManualClock
) -> None:
    link = await accounts_of(signin, store).create_link_token(PERSON)
    clock.advance(601)
    response = await browser.get("/slack/link", params={"token": link})
    assert response.status_code == 410 and "expired" in response.text


async def test_a_link_expiring_during_sign_in_links_nobody(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth, signin: SignIn, store: Store,
    clock: ManualClock,
) -> None:  # fmt: skip
    accounts = accounts_of(signin, store)
    link = await accounts.create_link_token(PERSON)
    await browser.get("/slack/link", params={"token": link})
    clock.advance(601)
    state = await start_login(browser)
    params = {"code": fake.code_for(MONA), "state": state}
    response = await browser.get("/auth/github/callback", params=params)
    assert response.status_code == 200 and "nothing was linked" in response.text
    assert await accounts.linked_user(PERSON) is None


@pytest.mark.parametrize("token", ["", "garbage", "eyJwIjoic2xhY2stbGluayJ9.bad"])
async def test_a_tampered_link_is_refused(browser: httpx.AsyncClient, token: str) -> None:
    response = await browser.get("/slack/link", params={"token": token})
    assert response.status_code == 400 and "not valid" in response.text
    assert "honk_slack_link" not in browser.cookies


async def test_an_expired_user_token_is_refreshed_at_github(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth, signin: SignIn, store: Store,
    clock: ManualClock,
) -> None:  # fmt: skip
    state = await start_login(browser)
    await browser.get("/auth/github/callback", params={"code": fake.code_for(MONA), "state": state})
    first = next(iter(fake.access))
    clock.advance(8 * 3600)
    assert signin.oauth is not None
    token = await accounts_of(signin, store).user_token(MONA.github_id, signin.oauth.refresh)
    assert token is not None and token != first
    assert fake.token_posts[-1]["grant_type"] == "refresh_token"
    assert await signin.oauth.user(token) == GitHubUser(MONA.github_id, "mona")


async def test_unlink_removes_the_stored_tokens(
    browser: httpx.AsyncClient, fake: FakeGitHubOAuth, signin: SignIn, store: Store
) -> None:
    accounts = accounts_of(signin, store)
    await sign_in_through(browser, fake, await accounts.create_link_token(PERSON))
    assert signin.oauth is not None
    assert await accounts.user_token(MONA.github_id, signin.oauth.refresh) is not None
    await accounts.unlink(PERSON)
    assert await accounts.user_token(MONA.github_id, signin.oauth.refresh) is None


@pytest.mark.parametrize("path", ["/auth/github/login", "/auth/github/callback", "/slack/link"])
async def test_without_a_client_id_the_routes_say_how_to_set_it_up(
    tmp_path: Path, path: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/honk.db",
        public_url="https://honk.example.com",
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        response = await client.get(path)
        logout = await client.post("/auth/logout")
    assert response.status_code == 200 and logout.status_code == 200
    assert "GITHUB_CLIENT_ID" in response.text
    assert "https://honk.example.com/auth/github/callback" in response.text
    assert not (tmp_path / "secret.key").exists()


async def test_github_unreachable_is_a_clear_page(
    tmp_path: Path, store: Store, fake: FakeGitHubOAuth, clock: ManualClock
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    signin = sign_in_app(make_settings(tmp_path), store, fake, clock)
    assert signin.oauth is not None
    signin.oauth = replace(signin.oauth, transport=httpx.MockTransport(refuse))
    transport = httpx.ASGITransport(app=Starlette(routes=signin.routes()))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        state = await start_login(client)
        response = await client.get("/auth/github/callback", params={"code": "c", "state": state})
    assert response.status_code == 502 and "could not be reached" in response.text
