"""Honk on GitHub Enterprise Server: every address comes from GITHUB_API_URL and GITHUB_URL.

The world (tests/flows/enterprise_world.py) puts the whole server at https://ghe.example.test,
reachable only through a loopback proxy that records every host a client asks for: an issue
becomes a PR and a person signs in, and nothing asks for, links to or says github.com.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from tests.fakes.github.bodies import user_id
from tests.fakes.github.enterprise import HOST
from tests.fakes.github.oauth import FakePerson
from tests.flows.enterprise_world import (
    API_VERSION,
    WEB,
    EnterpriseWorld,
    open_enterprise_world,
)
from tests.flows.test_e2e import open_pr
from tests.flows.world import REPO

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
MONA = FakePerson(583231, "mona")


@pytest.fixture
async def ghe(
    tmp_path: Path, httpx2_mock: respx.Router, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[EnterpriseWorld]:
    async with open_enterprise_world(tmp_path, httpx2_mock, monkeypatch) as opened:
        opened.world.repo.set_permission("mona", "write")
        opened.oauth.signs_in = MONA
        yield opened


async def test_an_issue_becomes_a_pr_on_the_enterprise_server(ghe: EnterpriseWorld) -> None:
    world = ghe.world

    issue, pr = await open_pr(world)

    assert set(ghe.front.asked) == {f"{HOST}:443"}  # every HTTPS connection: the server's
    git = [path for path in ghe.front.paths if path.startswith(f"/{REPO}.git/")]
    assert any("git-upload-pack" in p for p in git) and any("git-receive-pack" in p for p in git)
    assert world.repo.pulls[pr].head_ref == f"honk/issue-{issue}"
    versions = {request.headers.get("x-github-api-version") for request in world.fake.requests}
    assert versions == {API_VERSION}  # and each was valid in the oldest GHES description
    (comment,) = world.bot_comments(issue)
    assert f"{WEB}/{REPO}/pull/{pr}" in comment  # the link GitHub Enterprise answered with
    said = json.dumps([r.json for r in world.fake.requests]) + comment + world.repo.pulls[pr].body
    assert "github.com" not in said
    author = world.git("log", "-1", "--format=%an <%ae>", f"honk/issue-{issue}")
    assert author == f"honk[bot] <{user_id('honk[bot]')}+honk[bot]@users.noreply.{HOST}>"
    trailers = world.git(
        "log", "-1", "--format=%(trailers:key=Co-authored-by,valueonly)", f"honk/issue-{issue}"
    )
    assert trailers.endswith(f"+mona@users.noreply.{HOST}>")  # the person, on this server too
    [files] = world.fake.requests_to("POST", "/graphql")  # at {HOST}/api/graphql
    assert files.json["variables"]["f0"] == "HEAD:.github/honk.yml"
    [lookup] = world.fake.requests_to("GET", r"/users/.*")  # private mode: not anonymous
    assert lookup.headers["authorization"].startswith("token ")


async def test_sign_in_goes_to_the_enterprise_server(ghe: EnterpriseWorld) -> None:
    honk = ghe.world.http

    start = await honk.get("/auth/github/login")
    authorize = start.headers["location"]
    async with httpx.AsyncClient() as browser:  # through the proxy, like every client here
        granted = await browser.get(authorize)
    back = urlsplit(granted.headers["location"])
    done = await honk.get("/auth/github/callback", params=parse_qs(back.query))

    assert authorize.startswith(f"{WEB}/login/oauth/authorize?")
    assert parse_qs(urlsplit(authorize).query)["redirect_uri"] == [
        "http://honk.test/auth/github/callback"
    ]
    assert done.status_code == 200 and "Signed in as @mona." in done.text
    assert ghe.oauth.token_posts[0]["code"]  # exchanged at the server's token endpoint
    assert set(ghe.front.asked) == {f"{HOST}:443"}
    assert {"/login/oauth/access_token", "/api/v3/user"} <= {
        path.split("?")[0] for path in ghe.front.paths
    }
