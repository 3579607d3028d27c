"""GitHub Enterprise Server: the endpoints Honk calls exist there, and the API version is named.

The endpoints are app/github/endpoints.py's table (the fake GitHub's judge keeps it complete:
a request of Honk's to an unlisted endpoint fails the test that made it); they are checked
against the oldest GHES release whose description the pinned @octokit/openapi ships.
"""

from __future__ import annotations

from typing import Any

import pytest
from githubkit.versions import LATEST_VERSION

from app.core.config import API_VERSION, Secret, Settings
from app.github.client import GitHubApp, RetryPolicy
from app.github.endpoints import ENDPOINTS
from tests.fakes.github import description
from tests.fakes.github.description import DescriptionMissing
from tests.fakes.github.session import (
    APP_ID,
    INSTALLATION_ID,
    REPO,
    GitHubSession,
    RecordingSleep,
)
from tests.fakes.sandbox_probe import unavailable


def described(name: str) -> dict[str, Any]:
    try:
        return description.load(name)
    except DescriptionMissing as exc:
        unavailable(str(exc))


def oldest_ghes() -> str:
    try:
        return description.ghes_releases()[0]
    except DescriptionMissing as exc:
        unavailable(str(exc))


@pytest.mark.parametrize("product", [description.GITHUB, "oldest GHES"])
def test_every_endpoint_honk_calls_is_described(product: str) -> None:
    name = oldest_ghes() if product == "oldest GHES" else product
    paths = described(name)["paths"]

    missing = [
        f"{endpoint.method} {endpoint.template}"
        for endpoint in ENDPOINTS
        if endpoint.method.lower() not in paths.get(endpoint.template, {})
    ]

    assert missing == [], f"not in {name} (@octokit/openapi {description.pinned_version()})"


def test_the_oldest_enterprise_server_knows_only_the_first_api_version() -> None:
    """Why GITHUB_API_VERSION exists: githubkit's default is newer than such a server's API."""
    name = oldest_ghes()

    described(name)
    assert description.versions(name) == ["2022-11-28"]
    assert API_VERSION != "2022-11-28"


def test_the_default_api_version_is_githubkits() -> None:
    assert API_VERSION == LATEST_VERSION


async def test_every_request_names_the_configured_api_version(gh: GitHubSession) -> None:
    settings = Settings(
        github_app_id=APP_ID,
        github_private_key=Secret(gh.key.private_pem),
        github_api_url=gh.api_url,
        github_api_version="2022-11-28",
    )
    app = GitHubApp(settings, retry=RetryPolicy(sleep=RecordingSleep()))

    client = await app.repo(INSTALLATION_ID, REPO)  # GET /app (the App's JWT)
    await client.repository()  # the token minted inside the call, then GET /repos
    await app.bot_identity(await app.installation_token(INSTALLATION_ID, REPO))  # token kept

    sent = [(r.method, r.headers.get("x-github-api-version")) for r in gh.fake.requests]
    assert len(sent) == 4 and {version for _, version in sent} == {"2022-11-28"}, sent
