"""Who may see and control which runs: the viewer, their repositories, and the CSRF token.

A signed-in person's repositories come from GitHub with their own user token
(`GET /user/repos`, which for a GitHub App's user token lists the repositories the App is
installed on that the person can reach, with their permissions), cached briefly per person.
This is the dashboard's own outside call (httpx), kept in the web layer like `oauth.py`.
`HONK_ADMINS` see and control every run; `HONK_DASHBOARD_TOKEN` (Bearer) reads every run.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.core.config import API_VERSION, Settings
from app.core.errors import BadSeal, SignInError
from app.core.github_rest import rest_headers
from app.core.sealing import Sealer

TIMEOUT = 15.0
CACHE_SECONDS = 60.0
PER_PAGE = 100
MAX_PAGES = 20  # 2,000 repositories: beyond that, the first ones GitHub lists
WRITE_ROLES = ("push", "maintain", "admin")
CSRF_PURPOSE = "csrf"
CSRF_SECONDS = 30 * 24 * 3600.0  # as long as a session


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a signed-in person (login, id) or a script with the dashboard token.

    `readable` None: every repository; `writable` None: control over every run.
    """

    login: str | None
    github_id: int | None
    readable: frozenset[str] | None
    writable: frozenset[str] | None
    session: str | None = None  # the session cookie, which the CSRF token is bound to

    def can_read(self, repo: str) -> bool:
        return self.readable is None or repo in self.readable

    def can_control(self, repo: str) -> bool:
        if self.session is None:  # the Bearer token reads only
            return False
        return self.writable is None or repo in self.writable


def operator_viewer() -> Viewer:
    """The dashboard token's viewer: reads everything, controls nothing."""
    return Viewer(None, None, None, frozenset())


@dataclass(frozen=True)
class RepoRights:
    """The repositories one person can read, and those they can write to."""

    readable: frozenset[str]
    writable: frozenset[str]


@dataclass
class RepoAccess:
    """`GET /user/repos` with a person's user token, cached for CACHE_SECONDS per person."""

    api_url: str
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], float] = time.time
    api_version: str = API_VERSION
    _cache: dict[int, tuple[float, RepoRights]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> RepoAccess:
        return cls(settings.github_api_url, api_version=settings.github_api_version)

    async def rights(self, github_id: int, token: str) -> RepoRights:
        """The person's repositories (SignInError when GitHub refuses or cannot be reached)."""
        cached = self._cache.get(github_id)
        if cached is not None and cached[0] > self.clock():
            return cached[1]
        rights = await self._fetch(token)
        self._cache[github_id] = (self.clock() + CACHE_SECONDS, rights)
        return rights

    def forget(self, github_id: int) -> None:
        self._cache.pop(github_id, None)

    async def _fetch(self, token: str) -> RepoRights:
        headers = rest_headers(self.api_version, token)
        readable: set[str] = set()
        writable: set[str] = set()
        async with httpx.AsyncClient(timeout=TIMEOUT, transport=self.transport) as client:
            for page in range(1, MAX_PAGES + 1):
                params = {"per_page": str(PER_PAGE), "page": str(page)}
                repos = await self._page(client, headers, params)
                for repo in repos:
                    _add(repo, readable, writable)
                if len(repos) < PER_PAGE:
                    break
        return RepoRights(frozenset(readable), frozenset(writable))

    async def _page(
        self, client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str]
    ) -> list[Any]:
        try:
            url = f"{self.api_url}/user/repos"
            response = await client.get(url, headers=headers, params=params)
        except httpx.HTTPError as exc:
            raise SignInError(f"GitHub could not be reached ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise SignInError(f"GitHub answered {response.status_code} to GET /user/repos")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, list):
            raise SignInError("GitHub answered GET /user/repos with something other than a list")
        return body


def _add(repo: Any, readable: set[str], writable: set[str]) -> None:
    if not isinstance(repo, dict) or not isinstance(repo.get("full_name"), str):
        return
    name = repo["full_name"]
    readable.add(name)
    permissions = repo.get("permissions")
    if isinstance(permissions, dict) and any(permissions.get(role) for role in WRITE_ROLES):
        writable.add(name)


def csrf_token(sealer: Sealer, session: str, now: float) -> str:
    """The CSRF token of a session: its cookie's digest, signed under HONK_SECRET_KEY."""
    return sealer.sign(CSRF_PURPOSE, {"session": _digest(session)}, now=now)


def csrf_ok(sealer: Sealer, session: str | None, given: str, now: float) -> bool:
    """Whether `given` is the CSRF token of this session (and of no other)."""
    if session is None or not given:
        return False
    try:
        data = sealer.verify(CSRF_PURPOSE, given, now=now, max_age=CSRF_SECONDS)
    except BadSeal:
        return False
    return hmac.compare_digest(str(data.get("session", "")), _digest(session))


def _digest(session: str) -> str:
    return hashlib.sha256(session.encode()).hexdigest()
