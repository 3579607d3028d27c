"""Repository-scoped installation tokens, minted once and shared while they last.

One token serves a job's API calls and its git clone and push: a `RepoClient` asks the cache
on each request (a token good for another minute will do, else a new one is minted inside the
request, as githubkit's own installation auth does), and git asks for one that lasts the job
(`GIT_TOKEN_SECONDS`), minting a fresh one only when the kept one would expire sooner. The
tokens stay in this process's memory; they never reach argv, logs or the sandbox.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from githubkit import GitHubCore
from githubkit.auth.base import BaseAuthStrategy

# A token handed to git lasts at least this long (GitHub's tokens live an hour): the clone
# now, the push after setup, the agent's run and the tests.
GIT_TOKEN_SECONDS = 55 * 60.0
API_TOKEN_SECONDS = 60.0  # enough for one API request
Key = tuple[int, str]  # (installation id, repository name)
Mint = Callable[[], Awaitable[tuple[str, str]]]  # a new token and its expires_at (ISO 8601)


class InstallationTokens:
    """The newest token per installation and repository, with the time it expires."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._kept: dict[Key, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    async def get(self, key: Key, mint: Mint, *, lasting: float) -> str:
        """A token for `key` valid `lasting` seconds more: the kept one, else `mint`'s."""
        async with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[1] - self.clock() >= lasting:
                return kept[0]
            token, expires_at = await mint()
            self._kept[key] = (token, expires_at_seconds(expires_at))
            return token


def expires_at_seconds(stamp: str) -> float:
    """`2024-05-01T12:00:00Z` as seconds since the epoch."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class SharedTokenAuth(BaseAuthStrategy):
    """githubkit auth for one repository with the shared, repo-scoped installation token."""

    tokens: InstallationTokens
    key: Key
    mint: Mint

    def get_auth_flow(self, github: GitHubCore[Any]) -> httpx.Auth:
        return _SharedTokenFlow(self)


class _SharedTokenFlow(httpx.Auth):
    def __init__(self, strategy: SharedTokenAuth) -> None:
        self.strategy = strategy

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        raise NotImplementedError("Honk's GitHub calls are async")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        shared = self.strategy
        token = await shared.tokens.get(shared.key, shared.mint, lasting=API_TOKEN_SECONDS)
        request.headers["Authorization"] = f"token {token}"
        yield request
