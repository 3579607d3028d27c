"""What every repository call shares: the scoped client, the retrying caller, paging, the bot."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from githubkit import GitHub, Response

from app.github.calls import GitHubCalls

T = TypeVar("T")
PER_PAGE = 100
MAX_PAGES = 50


class RepoBase:
    """One repository (`owner/name`) reached through one installation's githubkit client."""

    def __init__(self, github: GitHub[Any], calls: GitHubCalls, full_name: str, bot_login: str):
        self.full_name = full_name
        self.owner, self.name = full_name.split("/", 1)
        self.bot_login = bot_login
        self._github = github
        self._rest = github.rest
        self._calls = calls
        self._path = f"/repos/{full_name}"

    def _is_bot(self, login: str) -> bool:
        return login.lower() == self.bot_login.lower()

    async def _pages(
        self, path: str, fetch: Callable[[int], Awaitable[Response[T]]], size: Callable[[T], int]
    ) -> AsyncGenerator[T, None]:
        """Pages 1, 2, ... of a listing (PER_PAGE items each) until a short one."""
        for page in range(1, MAX_PAGES + 1):
            items = await self._calls.parsed("GET", path, partial(fetch, page))
            yield items
            if size(items) < PER_PAGE:
                return
