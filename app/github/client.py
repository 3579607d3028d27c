"""The GitHub App on githubkit: the app's JWT, repo-scoped installation tokens, a client per repo.

This module and its `github_*` siblings are the only ones that import githubkit; callers get
plain records (`app.github.results`) and `app.core.errors.GitHubError`, never githubkit's types.
Each `GitHub` client gets its own `MemCacheStrategy` (githubkit's default cache is process-wide),
no HTTP cache (a cached `GET /pulls?head=` would hide a PR created a second ago), and no
githubkit retries: `app.github.calls` retries with bounded waits instead of sleeping an hour.
Every request, the token requests of githubkit's auth flows included, names GITHUB_API_VERSION
in `X-GitHub-Api-Version` (an event hook sets it over githubkit's per-call default).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx
from githubkit import AppAuthStrategy, GitHub, Response, TokenAuthStrategy
from githubkit.cache import BaseCacheStrategy, MemCacheStrategy
from githubkit_schemas.latest.models import InstallationToken

from app.core.config import Secret, Settings
from app.core.errors import ConfigError, GitHubError
from app.core.github_rest import USER_AGENT
from app.github.as_user import UserClient
from app.github.calls import GitHubCalls, Refusal, RetryPolicy
from app.github.comments import ReactionContent
from app.github.repo import PermissionCache, RepoClient
from app.github.results import (
    AnnotationInfo,
    ArtifactInfo,
    CheckRunInfo,
    IssueInfo,
    PullInfo,
    RepoInfo,
    ReviewComment,
    ReviewInfo,
    given,
)
from app.github.tokens import GIT_TOKEN_SECONDS, InstallationTokens, SharedTokenAuth

__all__ = [
    "AnnotationInfo",
    "ArtifactInfo",
    "CheckRunInfo",
    "GitHubApp",
    "IssueInfo",
    "PullInfo",
    "ReactionContent",
    "RepoClient",
    "RepoInfo",
    "RetryPolicy",
    "ReviewComment",
    "ReviewInfo",
    "UserClient",
    "noreply_host",
]


class GitHubApp:
    """Honk's GitHub App: who it is, tokens for git, and a `RepoClient` per repository."""

    def __init__(
        self,
        settings: Settings,
        *,
        cache: BaseCacheStrategy | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.github_app_id is None or settings.github_private_key is None:
            raise ConfigError(
                "GITHUB_APP_ID and GITHUB_PRIVATE_KEY (or GITHUB_PRIVATE_KEY_PATH) must be set"
            )
        self._auth = AppAuthStrategy(settings.github_app_id, settings.github_private_key.reveal())
        self._github = GitHub(
            self._auth,
            base_url=settings.github_api_url,
            user_agent=USER_AGENT,
            timeout=timeout,
            cache_strategy=cache or MemCacheStrategy(),
            http_cache=False,
            auto_retry=False,
            async_event_hooks={"request": [versioned(settings.github_api_version)]},
        )
        self._calls = GitHubCalls(retry)
        self._permissions = PermissionCache(clock=clock)
        self._tokens = InstallationTokens()
        self._bot_login = settings.bot_login
        self._bot_email = settings.bot_email
        self._identity: tuple[str, str] | None = None
        self._noreply_host = noreply_host(settings.github_api_url)

    def __repr__(self) -> str:
        return f"GitHubApp(app_id={self._auth.app_id}, api={self._github.config.base_url})"

    @property
    def noreply_host(self) -> str:
        """The host of people's noreply addresses: github.com, or the Enterprise server's."""
        return self._noreply_host

    async def bot_login(self) -> str:
        """`<slug>[bot]`, the login of Honk's comments (GET /app once, or HONK_BOT_LOGIN)."""
        if self._bot_login is None:
            app = await self._calls.parsed(
                "GET", "/app", self._github.rest.apps.async_get_authenticated
            )
            slug = given(app.slug, "") if app is not None else ""
            if not slug:
                raise GitHubError("GitHub GET /app: the app has no slug")
            self._bot_login = f"{slug}[bot]"
        return self._bot_login

    async def installation_count(self) -> int:
        """How many installations the App has (GET /app/installations, every page)."""
        count, page = 0, 1
        while True:
            found = await self._calls.parsed(
                "GET",
                "/app/installations",
                partial(self._github.rest.apps.async_list_installations, per_page=100, page=page),
            )
            count += len(found)
            if len(found) < 100:
                return count
            page += 1

    async def bot_identity(self, token: Secret) -> tuple[str, str]:
        """(name, email) for Honk's commits: `slug[bot]` and HONK_BOT_EMAIL, else
        `ID+slug[bot]@users.noreply.HOST`, which makes GitHub show the commits as the app's.

        ID is the bot account's user id, asked once with an installation token (`token`):
        a GitHub Enterprise Server in private mode answers no anonymous request.
        """
        if self._identity is None:
            login = await self.bot_login()
            email = self._bot_email or await self._noreply_email(login, token)
            self._identity = (login, email)
        return self._identity

    async def _noreply_email(self, login: str, token: Secret) -> str:
        github = self._github.with_auth(TokenAuthStrategy(token.reveal()))
        user = await self._calls.parsed(
            "GET", f"/users/{login}", lambda: github.rest.users.async_get_by_username(login)
        )
        return f"{user.id}+{login}@users.noreply.{self._noreply_host}"

    async def repo(self, installation_id: int, full_name: str) -> RepoClient:
        """A client for `owner/name` whose installation token is scoped to that repository
        (the one git gets too: minted once, kept while it lasts)."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be owner/name, got {full_name!r}")
        key = (installation_id, name)
        auth = SharedTokenAuth(self._tokens, key, partial(self._mint, installation_id, name))
        github = self._github.with_auth(auth)
        return RepoClient(github, self._calls, full_name, await self.bot_login(), self._permissions)

    async def installation_for(self, full_name: str) -> int | None:
        """The id of the App's installation on `owner/name`; None when it is not installed there
        (GitHub answers 404: no such repository, or the App cannot see it)."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be owner/name, got {full_name!r}")
        found = await self._calls.parsed_unless(
            "GET",
            f"/repos/{full_name}/installation",
            lambda: self._github.rest.apps.async_get_repo_installation(owner, name),
            tolerate=(404,),
        )
        return None if isinstance(found, Refusal) else found.id

    def as_user(self, token: str) -> UserClient:
        """Calls made as a person, with their own user token (never an installation token)."""
        return UserClient.with_token(self._github, self._calls, token)

    async def installation_token(
        self, installation_id: int, repo_name: str, *, lasting: float = GIT_TOKEN_SECONDS
    ) -> Secret:
        """An installation token for git, scoped to the one repository (name or owner/name),
        valid `lasting` seconds more: the one the repository's client uses when it lasts
        that long, else a fresh one (which the client then uses too)."""
        name = repo_name.rsplit("/", 1)[-1]
        path = f"/app/installations/{installation_id}/access_tokens"

        async def mint() -> tuple[str, str]:
            token = await self._calls.parsed(
                "POST",
                path,
                partial(self._mint_request, installation_id, name),
                repeatable=True,  # a second token does no harm
            )
            return token.token, token.expires_at

        key = (installation_id, name)
        return Secret(await self._tokens.get(key, mint, lasting=lasting))

    async def _mint(self, installation_id: int, name: str) -> tuple[str, str]:
        """A new token inside a repository client's request (its failure is that request's,
        as with githubkit's own installation auth)."""
        token = (await self._mint_request(installation_id, name)).parsed_data
        return token.token, token.expires_at

    def _mint_request(
        self, installation_id: int, name: str
    ) -> Awaitable[Response[InstallationToken, Any]]:
        return self._github.rest.apps.async_create_installation_access_token(
            installation_id, repositories=[name]
        )


def versioned(api_version: str) -> Callable[[httpx.Request], Awaitable[None]]:
    """An httpx request hook that names `api_version` in X-GitHub-Api-Version."""

    async def hook(request: httpx.Request) -> None:
        request.headers["X-GitHub-Api-Version"] = api_version

    return hook


def noreply_host(api_url: str) -> str:
    """github.com for api.github.com; an Enterprise server's own host otherwise."""
    host = urlsplit(api_url).hostname or "github.com"
    return "github.com" if host == "api.github.com" else host
