"""GitHubApp against the served fake GitHub: app JWT, scoped tokens, Enterprise URLs, no leaks."""

from __future__ import annotations

import logging
import time

import httpx
import jwt
import pytest

from app.core.config import Secret, Settings
from app.core.errors import ConfigError, GitHubError
from app.github.client import GitHubApp, RetryPolicy, noreply_host
from tests.fakes.github.api import AppKeyPair, FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.github.bodies import user_id
from tests.fakes.github.session import (
    APP_ID,
    INSTALLATION_ID,
    REPO,
    GitHubSession,
    RecordingSleep,
    SteppedClock,
    app_for,
    open_session,
)


async def test_bot_login_comes_from_get_app_with_a_valid_jwt(gh: GitHubSession) -> None:
    app = app_for(gh.api_url, gh.key, RecordingSleep(), SteppedClock())
    gh.fake.jwt_claims.clear()

    assert await app.bot_login() == "honk[bot]"
    assert await app.bot_login() == "honk[bot]"

    [request] = gh.fake.requests_to("GET", "/app")
    assert request.headers["authorization"].startswith("Bearer ")
    [claims] = gh.fake.jwt_claims
    assert claims["iss"] == str(APP_ID)
    assert 0 < claims["exp"] - claims["iat"] <= 600
    assert claims["exp"] > time.time()


async def test_installation_token_is_scoped_to_the_one_repository(gh: GitHubSession) -> None:
    gh.fake.add_repo("octo/other", installation_id=INSTALLATION_ID)

    token = await gh.app.installation_token(INSTALLATION_ID, "widgets")

    assert isinstance(token, Secret)
    [request] = gh.fake.requests_to("POST", f"/app/installations/{INSTALLATION_ID}/access_tokens")
    assert request.json == {"repositories": ["widgets"]}
    assert request.headers["authorization"].startswith("Bearer ")
    minted = gh.fake.tokens[token.reveal()]
    assert minted.repositories == ["widgets"]
    assert len(token.reveal()) > 40  # the ghs_APPID_JWT format is long
    assert token.reveal() not in repr(token)


@pytest.mark.parametrize(
    ("repo", "expected"), [(REPO, INSTALLATION_ID), ("octo/elsewhere", 91), ("octo/absent", None)]
)
async def test_installation_for_finds_the_app_installation_with_the_jwt(
    gh: GitHubSession, repo: str, expected: int | None
) -> None:
    gh.fake.add_repo("octo/elsewhere", installation_id=91)

    assert await gh.app.installation_for(repo) == expected

    [request] = gh.fake.requests_to("GET", f"/repos/{repo}/installation")
    assert request.headers["authorization"].startswith("Bearer ")
    assert not gh.fake.tokens  # no installation token was minted to ask


async def test_installation_for_refuses_a_malformed_name(gh: GitHubSession) -> None:
    with pytest.raises(ValueError, match="owner/name"):
        await gh.app.installation_for("octo")


async def test_installation_for_raises_on_a_server_error(gh: GitHubSession) -> None:
    gh.fake.fail_next("GET", f"/repos/{REPO}/installation", 500, times=3)

    with pytest.raises(GitHubError):
        await gh.app.installation_for(REPO)


async def test_repo_client_uses_one_repo_scoped_token_for_all_its_calls(
    gh: GitHubSession,
) -> None:
    await gh.client.repository()
    await gh.client.issue(gh.repo.add_issue("Bug"))

    [mint] = gh.fake.requests_to("POST", r"/app/installations/\d+/access_tokens")
    assert mint.json == {"repositories": ["widgets"]}
    used = {r.headers["authorization"] for r in gh.fake.requests if r.path.startswith("/repos/")}
    assert len(used) == 1
    scheme, token = used.pop().split(" ", 1)
    assert scheme == "token"
    assert gh.fake.tokens[token].repositories == ["widgets"]


async def test_git_and_the_client_share_one_token_while_it_lasts(gh: GitHubSession) -> None:
    await gh.client.repository()
    for_git = await gh.app.installation_token(INSTALLATION_ID, REPO)
    client = await gh.app.repo(INSTALLATION_ID, REPO)  # a later job's client
    await client.issue(gh.repo.add_issue("Bug"))

    assert len(gh.fake.requests_to("POST", r"/app/installations/\d+/access_tokens")) == 1
    used = {r.headers["authorization"] for r in gh.fake.requests if r.path.startswith("/repos/")}
    assert used == {f"token {for_git.reveal()}"}


async def test_git_gets_a_fresh_token_when_the_kept_one_would_expire_in_its_job(
    gh: GitHubSession,
) -> None:
    await gh.client.repository()  # kept, but it would expire before a long job's push
    for_git = await gh.app.installation_token(INSTALLATION_ID, REPO, lasting=2 * 3600)
    await gh.client.issue(gh.repo.add_issue("Bug"))

    mints = gh.fake.requests_to("POST", r"/app/installations/\d+/access_tokens")
    assert len(mints) == 2
    assert gh.fake.requests[-1].headers["authorization"] == f"token {for_git.reveal()}"


async def test_the_minted_token_reads_its_repository_and_no_other(gh: GitHubSession) -> None:
    gh.fake.add_repo("octo/other", installation_id=INSTALLATION_ID)
    token = await gh.app.installation_token(INSTALLATION_ID, REPO)
    headers = {"Authorization": f"token {token.reveal()}"}

    async with httpx.AsyncClient(base_url=gh.api_url, headers=headers) as http:
        own = await http.get(f"/repos/{REPO}")
        other = await http.get("/repos/octo/other")

    assert (own.status_code, other.status_code) == (200, 404)
    assert other.json()["message"] == "Not Found"


async def test_a_key_the_app_does_not_have_is_refused(gh: GitHubSession) -> None:
    app = app_for(gh.api_url, generate_app_key(), RecordingSleep(), SteppedClock())

    with pytest.raises(GitHubError, match=r"GET /app failed: 401 A JSON web token"):
        await app.bot_login()


def test_missing_credentials_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="GITHUB_APP_ID"):
        GitHubApp(Settings())


async def test_enterprise_base_url_with_a_path_prefix(app_key: AppKeyPair) -> None:
    async with open_session(app_key, prefix="/api/v3") as gh:
        assert gh.api_url.endswith("/api/v3")
        number = gh.repo.add_issue("Bug", "It breaks", "alice")

        issue = await gh.client.issue(number)
        token = await gh.app.installation_token(INSTALLATION_ID, "widgets")

        assert (issue.title, issue.user) == ("Bug", "alice")
        assert token.reveal() in gh.fake.tokens
        mint = ("POST", f"/app/installations/{INSTALLATION_ID}/access_tokens")
        served = [(r.method, r.path) for r in gh.fake.requests]
        # git's token is the one the client minted for its first call (it lasts the job)
        assert served == [mint, ("GET", f"/repos/{REPO}/issues/{number}")]


async def test_a_base_url_without_the_enterprise_prefix_fails_clearly(
    app_key: AppKeyPair,
) -> None:
    fake = FakeGitHub(public_key_pem=app_key.public_pem, app_id=APP_ID)
    async with serve_fake_github(fake, prefix="/api/v3") as url:
        app = app_for(url.removesuffix("/api/v3"), app_key, RecordingSleep(), SteppedClock())
        with pytest.raises(GitHubError, match="GET /app failed: 404"):
            await app.bot_login()
    assert fake.requests == []  # nothing reached the API routes


async def test_no_secret_reaches_logs_errors_or_repr(
    gh: GitHubSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = await gh.app.installation_token(INSTALLATION_ID, "widgets")
    await gh.client.repository()
    gh.fake.fail_next("GET", "/repos/octo/widgets", 401, {"message": "Bad credentials"})

    with pytest.raises(GitHubError) as failure:
        await (await gh.app.repo(INSTALLATION_ID, REPO)).repository()

    secrets = [token.reveal(), *gh.fake.tokens, gh.key.private_pem.splitlines()[1]]
    shown = [str(failure.value), caplog.text, repr(gh.app), repr(gh.client)]
    assert "GET /repos/octo/widgets failed: 401 Bad credentials" in str(failure.value)
    assert not [s for s in secrets for text in shown if s in text]


def _app_jwt(key: AppKeyPair, iss: str, iat: float, exp: float) -> str:
    return jwt.encode({"iss": iss, "iat": int(iat), "exp": int(exp)}, key.private_pem, "RS256")


@pytest.mark.parametrize(
    ("iss", "iat", "exp", "status"),
    [
        (str(APP_ID), -60, 540, 200),
        ("999", -60, 540, 401),  # another app
        (str(APP_ID), -60, 3600, 401),  # lives longer than ten minutes
        (str(APP_ID), -700, -100, 401),  # expired
    ],
)
async def test_the_fake_checks_the_app_jwt_like_github(
    gh: GitHubSession, iss: str, iat: int, exp: int, status: int
) -> None:
    now = time.time()
    headers = {"Authorization": f"Bearer {_app_jwt(gh.key, iss, now + iat, now + exp)}"}

    async with httpx.AsyncClient(base_url=gh.api_url, headers=headers) as http:
        answer = await http.get("/app")

    assert answer.status_code == status


async def test_the_fake_wants_the_right_kind_of_credential(gh: GitHubSession) -> None:
    token = await gh.app.installation_token(INSTALLATION_ID, REPO)
    app_jwt = _app_jwt(gh.key, str(APP_ID), time.time() - 60, time.time() + 540)

    async with httpx.AsyncClient(base_url=gh.api_url) as http:
        answers = [
            await http.get("/app", headers={"Authorization": f"token {token.reveal()}"}),
            await http.get(f"/repos/{REPO}", headers={"Authorization": f"Bearer {app_jwt}"}),
            await http.get(f"/repos/{REPO}", headers={"Authorization": "token ghs_made_up"}),
            await http.get(f"/repos/{REPO}"),
        ]

    assert [a.status_code for a in answers] == [401] * 4
    assert answers[-1].json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }


async def test_bot_identity_links_commits_to_the_bot_account(gh: GitHubSession) -> None:
    gh.fake.private_mode = True  # an Enterprise server that answers no anonymous request
    token = await gh.app.installation_token(INSTALLATION_ID, REPO)

    name, email = await gh.app.bot_identity(token)
    await gh.app.bot_identity(token)

    [lookup] = gh.fake.requests_to("GET", r"/users/.*")
    assert lookup.path == "/users/honk[bot]"
    assert lookup.headers["authorization"] == f"token {token.reveal()}"
    assert (name, email) == (
        "honk[bot]",
        f"{user_id('honk[bot]')}+honk[bot]@users.noreply.127.0.0.1",
    )


async def test_honk_bot_email_takes_the_place_of_the_lookup(gh: GitHubSession) -> None:
    settings = Settings(
        github_app_id=APP_ID,
        github_private_key=Secret(gh.key.private_pem),
        github_api_url=gh.api_url,
        bot_email="1234+honk[bot]@users.noreply.ghe.example.test",
    )
    app = GitHubApp(settings, retry=RetryPolicy(sleep=gh.sleep))

    identity = await app.bot_identity(Secret("ghs_never_used"))

    assert identity == ("honk[bot]", "1234+honk[bot]@users.noreply.ghe.example.test")
    assert [(r.method, r.path) for r in gh.fake.requests] == [("GET", "/app")]


@pytest.mark.parametrize(
    ("api_url", "host"),
    [
        ("https://api.github.com", "github.com"),
        ("https://ghe.example.com/api/v3", "ghe.example.com"),
    ],
)
def test_noreply_host(api_url: str, host: str) -> None:
    assert noreply_host(api_url) == host
