"""One repository through one installation: permissions, issues, PRs, reviews, checks, files."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from githubkit import GitHub
from githubkit.utils import UNSET

from app.core.errors import GitHubError
from app.github.calls import GitHubCalls, Refusal
from app.github.checks import RepoChecks
from app.github.files import RepoFiles
from app.github.results import (
    IssueInfo,
    PullInfo,
    RepoInfo,
    issue_info,
    pull_info,
    repo_info,
)
from app.github.reviews import RepoReviews

ROLES = frozenset({"admin", "maintain", "write", "triage", "read"})


class PermissionCache:
    """Collaborator permissions by (repository, login), each kept `ttl` seconds."""

    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[tuple[str, str], tuple[float, str]] = {}

    def get(self, repo: str, login: str) -> str | None:
        entry = self._entries.get((repo, login.lower()))
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, repo: str, login: str, permission: str) -> None:
        self._entries[(repo, login.lower())] = (self.clock() + self.ttl, permission)


class RepoClient(RepoReviews, RepoChecks, RepoFiles):
    """The calls Honk makes on one repository, as its installation's bot (a scoped token)."""

    def __init__(
        self,
        github: GitHub[Any],
        calls: GitHubCalls,
        full_name: str,
        bot_login: str,
        permissions: PermissionCache,
    ) -> None:
        super().__init__(github, calls, full_name, bot_login)
        self._permissions = permissions
        self._info: RepoInfo | None = None

    async def repository(self) -> RepoInfo:
        """The repository (its default branch, clone URL), read once for this client's life:
        one job."""
        if self._info is None:
            repo = await self._calls.parsed(
                "GET", self._path, lambda: self._rest.repos.async_get(self.owner, self.name)
            )
            self._info = repo_info(repo)
        return self._info

    async def permission(self, login: str) -> str:
        """admin | maintain | write | triage | read | none (`role_name` first; cached 60 s)."""
        if (cached := self._permissions.get(self.full_name, login)) is not None:
            return cached
        found = await self._calls.parsed_unless(
            "GET",
            f"{self._path}/collaborators/{login}/permission",
            lambda: self._rest.repos.async_get_collaborator_permission_level(
                self.owner, self.name, login
            ),
            tolerate=(404,),
        )
        if isinstance(found, Refusal):
            permission = "none"
        else:
            permission = found.role_name if found.role_name in ROLES else found.permission
        self._permissions.put(self.full_name, login, permission)
        return permission

    async def issue(self, number: int) -> IssueInfo:
        issue = await self._calls.parsed(
            "GET",
            f"{self._path}/issues/{number}",
            lambda: self._rest.issues.async_get(self.owner, self.name, number),
        )
        return issue_info(issue)

    async def pull(self, number: int) -> PullInfo:
        pull = await self._calls.parsed(
            "GET",
            f"{self._path}/pulls/{number}",
            lambda: self._rest.pulls.async_get(self.owner, self.name, number),
        )
        return pull_info(pull)

    # pull requests

    async def find_open_pull(self, head_branch: str) -> PullInfo | None:
        head = f"{self.owner}:{head_branch}"
        pulls = await self._calls.parsed(
            "GET",
            f"{self._path}/pulls?head={head}",
            lambda: self._rest.pulls.async_list(self.owner, self.name, state="open", head=head),
        )
        first = next(iter(pulls), None)  # githubkit's `list[...]` annotation is not indexable
        return pull_info(first) if first is not None else None

    async def create_pull(
        self, title: str, body: str, head: str, base: str, draft: bool, *, looked: bool = False
    ) -> PullInfo:
        """Open a PR from `head`, or return the open one that already exists (idempotent).

        `looked`: the caller found no open PR from `head` in this job, so it is not looked
        for again first (GitHub's 422 "already exists" still finds one opened since).
        After a POST that may have been carried out (a 5xx, no answer) the PR is looked for
        before another try. A plan without draft PRs refuses a draft: it is opened ready.
        """
        if not looked and (existing := await self.find_open_pull(head)) is not None:
            return existing
        try:
            return await self._post_pull(title, body, head, base, draft)
        except GitHubError as exc:
            if not exc.maybe_done:
                raise
            if (existing := await self.find_open_pull(head)) is not None:
                return existing
            return await self._post_pull(title, body, head, base, draft)

    async def _post_pull(
        self, title: str, body: str, head: str, base: str, draft: bool
    ) -> PullInfo:
        created = await self._calls.parsed_unless(
            "POST",
            f"{self._path}/pulls",
            lambda: self._rest.pulls.async_create(
                self.owner, self.name, title=title, body=body, head=head, base=base, draft=draft
            ),
            tolerate=(422,),
        )
        if not isinstance(created, Refusal):
            return pull_info(created)
        message = created.message.lower()
        if draft and "draft pull requests are not supported" in message:
            return await self._post_pull(title, body, head, base, draft=False)
        if "already exists" in message and (existing := await self.find_open_pull(head)):
            return existing
        raise created.error("POST", f"{self._path}/pulls")

    async def update_pull(
        self, number: int, *, title: str | None = None, body: str | None = None
    ) -> PullInfo:
        pull = await self._calls.parsed(
            "PATCH",
            f"{self._path}/pulls/{number}",
            lambda: self._rest.pulls.async_update(
                self.owner,
                self.name,
                number,
                title=UNSET if title is None else title,
                body=UNSET if body is None else body,
            ),
        )
        return pull_info(pull)

    async def branch_protected(self, branch: str) -> bool:
        """Whether branch protection covers `branch` (False when there is no such branch)."""
        found = await self._calls.parsed_unless(
            "GET",
            f"{self._path}/branches/{branch}",
            lambda: self._rest.repos.async_get_branch(self.owner, self.name, branch),
            tolerate=(404,),
        )
        return not isinstance(found, Refusal) and found.protected

    async def delete_branch(self, branch: str) -> bool:
        """Delete `branch`; False when it was already gone."""
        path = f"{self._path}/git/refs/heads/{branch}"
        answer = await self._calls.send(
            "DELETE",
            path,
            lambda: self._rest.git.async_delete_ref(self.owner, self.name, f"heads/{branch}"),
            tolerate=(404, 422),
        )
        if not isinstance(answer, Refusal):
            return True
        if answer.status == 404 or "does not exist" in answer.message.lower():
            return False
        raise answer.error("DELETE", path)
