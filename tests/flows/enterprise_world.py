"""The end-to-end world as GitHub Enterprise Server: everything at https://ghe.example.test.

Honk is configured as an Enterprise installation is (`GITHUB_API_URL=https://HOST/api/v3`,
GITHUB_URL derived, `GITHUB_API_VERSION=2022-11-28`) and reaches the host only through the
`EnterpriseFront` (https_proxy, a throwaway CA): the fake API is served under `/api/v3`, answers
with the host's own addresses, refuses anonymous requests (private mode) and is judged against
the oldest GHES description @octokit/openapi ships; the git remote and the fake OAuth sit
behind the same host.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import respx

from app.core.config import Settings
from tests.fakes.anthropic_api import BASE_URL
from tests.fakes.git_remote import SmartHTTPRemote, make_remote
from tests.fakes.github import description
from tests.fakes.github.api import FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.github.enterprise import HOST, EnterpriseFront, throwaway_certificates
from tests.fakes.github.judge import judge_for
from tests.fakes.github.merging import person_tokens, serve_oauth
from tests.fakes.github.oauth import FakeGitHubOAuth
from tests.flows.world import (
    API_KEY,
    APP_ID,
    FILES,
    INSTALLATION_ID,
    REPO,
    SECRET,
    TEST_COMMAND,
    TOKEN,
    GitRefs,
    World,
    world_on,
)

WEB = f"https://{HOST}"
API = f"{WEB}/api/v3"
API_VERSION = "2022-11-28"  # what GitHub Enterprise Server releases before 2026-03-10 know


@dataclass
class EnterpriseWorld:
    world: World
    front: EnterpriseFront
    oauth: FakeGitHubOAuth


def enterprise_env(tmp: Path, private_key: str) -> dict[str, str]:
    """The environment of an Enterprise installation of Honk (no GITHUB_URL: derived)."""
    return {
        "GITHUB_API_URL": API,
        "GITHUB_API_VERSION": API_VERSION,
        "GITHUB_APP_ID": str(APP_ID),
        "GITHUB_PRIVATE_KEY": private_key,
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "GITHUB_CLIENT_ID": "Iv1.fakeclientid",
        "GITHUB_CLIENT_SECRET": "fake-client-secret",
        "HONK_SECRET_KEY": "enterprise-test-key",
        "HONK_PUBLIC_URL": "http://honk.test",
        "ANTHROPIC_API_KEY": API_KEY,
        "ANTHROPIC_BASE_URL": BASE_URL,
        "HONK_DATA_DIR": str(tmp / "honk"),
        "HONK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/honk/honk.db",
        "HONK_MODEL_MAX_RETRIES": "0",
        "HONK_MAX_ATTEMPTS": "2",
    }


def enterprise_fake(public_key_pem: str) -> FakeGitHub:
    oldest = description.ghes_releases()[0]
    return FakeGitHub(
        public_key_pem=public_key_pem, app_id=APP_ID, fixed_token=TOKEN,
        judge=judge_for(oldest), web_url=WEB, api_url=API, private_mode=True,
    )  # fmt: skip


@asynccontextmanager
async def open_enterprise_world(
    tmp: Path, router: respx.Router, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[EnterpriseWorld]:
    key, oauth = generate_app_key(), FakeGitHubOAuth()
    fake = enterprise_fake(key.public_pem)
    fake.users = person_tokens(oauth)
    bare = make_remote(tmp / "remotes", FILES, name=f"{REPO}.git")
    certificates = throwaway_certificates(HOST, tmp / "tls")
    async with (
        SmartHTTPRemote(tmp / "remotes", TOKEN) as remote,
        serve_fake_github(fake, prefix="/api/v3") as api,
        serve_oauth(oauth) as web,
    ):
        root = api.removesuffix("/api/v3")
        routes = [("/api/v3/", root), ("/api/graphql", root), ("/login/oauth/", web)]
        async with EnterpriseFront(certificates, [*routes, ("/", remote.url_for(""))]) as front:
            for name, value in proxied(front, certificates.ca_file).items():
                monkeypatch.setenv(name, value)
            repo = fake.add_repo(REPO, installation_id=INSTALLATION_ID)
            repo.refs = GitRefs(bare)
            repo.set_file(".github/honk.yml", f"test: {json.dumps(TEST_COMMAND)}\n")
            settings = Settings.from_env(enterprise_env(tmp, key.private_pem), env_file=None)
            async with world_on(settings, fake, bare, router, remote) as world:
                yield EnterpriseWorld(world, front, oauth)


def proxied(front: EnterpriseFront, ca_file: Path) -> dict[str, str]:
    """What makes httpx and git reach https://HOST through the front and trust its CA."""
    proxy = {"https_proxy": front.proxy_url, "HTTPS_PROXY": front.proxy_url}
    trust = {"SSL_CERT_FILE": str(ca_file), "GIT_SSL_CAINFO": str(ca_file)}
    return {**proxy, **trust, "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"}
