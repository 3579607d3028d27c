"""Reviews of pull requests: a review, its comments, and Honk's replies in review threads."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import dataclass

from app.core.errors import GitHubError
from app.core.markdown import find_marker
from app.github.comments import RepoComments
from app.github.repo_base import PER_PAGE
from app.github.results import ReviewComment, ReviewInfo, login_of, review_comment, review_info


class RepoReviews(RepoComments):
    """Reading reviews and answering in their threads, each reply made at most once."""

    async def review(self, number: int, review_id: int) -> ReviewInfo:
        review = await self._calls.parsed(
            "GET",
            f"{self._path}/pulls/{number}/reviews/{review_id}",
            lambda: self._rest.pulls.async_get_review(self.owner, self.name, number, review_id),
        )
        return review_info(review)

    async def review_comments(self, number: int, review_id: int) -> list[ReviewComment]:
        pages = self._pages(
            f"{self._path}/pulls/{number}/reviews/{review_id}/comments",
            lambda page: self._rest.pulls.async_list_comments_for_review(
                self.owner, self.name, number, review_id, per_page=PER_PAGE, page=page
            ),
            len,
        )
        return [review_comment(comment) async for comments in pages for comment in comments]

    async def reply_to_review_comment(
        self, number: int, comment_id: int, body: str, *, commit_id: str, path: str
    ) -> int:
        """Answer in a review thread, at most once: Honk's reply carrying the same marker
        (its job and thread) is looked for first, and again after a POST that may have been
        carried out. `commit_id` (the PR's head) and `path` (the thread's file) are what
        GitHub's description requires; GitHub ignores them when `in_reply_to` is set."""
        wanted = find_marker(body)
        if wanted is not None and (found := await self._own_reply(number, wanted)) is not None:
            return found
        reply = Reply(number, comment_id, body, commit_id, path)
        try:
            return await self._post_reply(reply)
        except GitHubError as exc:
            if not exc.maybe_done or wanted is None:
                raise
            if (found := await self._own_reply(number, wanted)) is not None:
                return found
            return await self._post_reply(reply)

    async def _own_reply(self, number: int, wanted: dict[str, str]) -> int | None:
        pages = self._pages(
            f"{self._path}/pulls/{number}/comments",
            lambda page: self._rest.pulls.async_list_review_comments(
                self.owner, self.name, number, per_page=PER_PAGE, page=page
            ),
            len,
        )
        async with aclosing(pages):
            async for comments in pages:
                for comment in comments:
                    if self._is_bot(login_of(comment.user)) and find_marker(comment.body) == wanted:
                        return int(comment.id)
        return None

    async def _post_reply(self, reply: Reply) -> int:
        """POST .../pulls/{n}/comments with `in_reply_to` (the `.../comments/{id}/replies`
        route is not enabled for GitHub Apps)."""
        comment = await self._calls.parsed(
            "POST",
            f"{self._path}/pulls/{reply.number}/comments",
            lambda: self._rest.pulls.async_create_review_comment(
                self.owner,
                self.name,
                reply.number,
                body=reply.body,
                commit_id=reply.commit_id,
                path=reply.path,
                in_reply_to=reply.comment_id,
            ),
        )
        return int(comment.id)


@dataclass(frozen=True)
class Reply:
    """Honk's answer in the review thread of comment `comment_id` on PR `number`."""

    number: int
    comment_id: int
    body: str
    commit_id: str
    path: str
