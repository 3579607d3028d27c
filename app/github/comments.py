"""Honk's comments on issues and pull requests: create, edit, find by marker, upsert, react."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import aclosing
from typing import Literal

from app.core.errors import GitHubError
from app.core.markdown import find_marker
from app.github.repo_base import PER_PAGE, RepoBase
from app.github.results import given, login_of

ReactionContent = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]


class RepoComments(RepoBase):
    """Issue comments and reactions; Honk's own comments are told apart by author and marker."""

    async def create_comment(self, number: int, body: str) -> int:
        """Post a comment, at most once: after a POST that may have been carried out (a 5xx,
        no answer), Honk's comment with this very body is looked for before posting again."""
        try:
            return await self._post_comment(number, body)
        except GitHubError as exc:
            if not exc.maybe_done:
                raise
            if (found := await self._find_own(number, lambda text: text == body)) is not None:
                return found[0]
            return await self._post_comment(number, body)

    async def _post_comment(self, number: int, body: str) -> int:
        comment = await self._calls.parsed(
            "POST",
            f"{self._path}/issues/{number}/comments",
            lambda: self._rest.issues.async_create_comment(
                self.owner, self.name, number, body=body
            ),
        )
        return comment.id

    async def edit_comment(self, comment_id: int, body: str) -> None:
        await self._calls.parsed(
            "PATCH",
            f"{self._path}/issues/comments/{comment_id}",
            lambda: self._rest.issues.async_update_comment(
                self.owner, self.name, comment_id, body=body
            ),
        )

    async def find_own_comment(
        self, number: int, kind: str, **attrs: str | int
    ) -> tuple[int, str] | None:
        """The first comment on issue/PR `number` by Honk's bot whose marker matches: (id, body)."""
        wanted = {"kind": kind, **{key: str(value) for key, value in attrs.items()}}
        return await self._find_own(number, lambda body: _marker_matches(body, wanted))

    async def _find_own(
        self, number: int, matches: Callable[[str], bool]
    ) -> tuple[int, str] | None:
        pages = self._pages(
            f"{self._path}/issues/{number}/comments",
            lambda page: self._rest.issues.async_list_comments(
                self.owner, self.name, number, per_page=PER_PAGE, page=page
            ),
            len,
        )
        async with aclosing(pages):
            async for comments in pages:
                for comment in comments:
                    body = given(comment.body, "")
                    if self._is_bot(login_of(comment.user)) and matches(body):
                        return comment.id, body
        return None

    async def create_comment_once(
        self, number: int, kind: str, body: str, **attrs: str | int
    ) -> int:
        """Honk's comment of this kind and attrs if there is one (left as it is), else a new
        one: a retried job finds what an earlier attempt said instead of saying it twice.
        The attrs name what is said once (a job, a commit): without them it is never said again."""
        if not attrs:
            raise ValueError(f"a honk:{kind} comment made once needs attrs naming what it answers")
        _check_marker(body, kind, attrs)
        found = await self.find_own_comment(number, kind, **attrs)
        return found[0] if found is not None else await self.create_comment(number, body)

    async def upsert_comment(self, number: int, kind: str, body: str, **attrs: str | int) -> int:
        """Edit Honk's comment of this kind and attrs in place, or create it; its id."""
        _check_marker(body, kind, attrs)
        found = await self.find_own_comment(number, kind, **attrs)
        if found is None:
            return await self.create_comment(number, body)
        comment_id, current = found
        if current != body:
            await self.edit_comment(comment_id, body)
        return comment_id

    async def react(
        self,
        kind: Literal["issue", "comment"],
        id_or_number: int,
        content: ReactionContent = "eyes",
    ) -> None:
        """Add a reaction to an issue/PR or an issue comment (200 "already reacted" is fine)."""
        reactions = self._rest.reactions
        if kind == "comment":
            path = f"{self._path}/issues/comments/{id_or_number}/reactions"
            await self._calls.parsed(
                "POST",
                path,
                lambda: reactions.async_create_for_issue_comment(
                    self.owner, self.name, id_or_number, content=content
                ),
                repeatable=True,  # a reaction made twice is one reaction
            )
            return
        await self._calls.parsed(
            "POST",
            f"{self._path}/issues/{id_or_number}/reactions",
            lambda: reactions.async_create_for_issue(
                self.owner, self.name, id_or_number, content=content
            ),
            repeatable=True,
        )


def _check_marker(body: str, kind: str, attrs: dict[str, str | int]) -> None:
    """A body must lead with the marker it is found by (else it is never found again)."""
    if not _marker_matches(body, {"kind": kind, **{k: str(v) for k, v in attrs.items()}}):
        raise ValueError(f"comment body must lead with its honk:{kind} marker and attrs")


def _marker_matches(body: str, wanted: dict[str, str]) -> bool:
    found = find_marker(body)
    return found is not None and all(found.get(key) == value for key, value in wanted.items())
