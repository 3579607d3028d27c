"""One person's own GitHub calls, made with their user token (never the App's installation token):
the PR as they see it, the repository's merge methods, reviews, approve, merge, ready for review.

So branch protection, rulesets and that person's rights apply. GitHub's refusals of the acting
calls come back as a `Refusal` with GitHub's own words; anything else is a GitHubError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from githubkit import GitHub, TokenAuthStrategy
from githubkit.exception import GraphQLFailed, RequestFailed
from githubkit_schemas.latest.models import PullRequestReview

from app.core.slack_clicks import MergeMethod
from app.github.calls import GitHubCalls, Refusal, github_message
from app.github.results import ReviewInfo, given, login_of, review_info

REFUSED = (403, 405, 409, 422)  # what GitHub answers a merge or review it will not make
READY_MUTATION = """
mutation($id: ID!) {
  markPullRequestReadyForReview(input: {pullRequestId: $id}) { pullRequest { isDraft } }
}
"""


@dataclass(frozen=True)
class UserPull:
    """A PR as the person's token sees it (`node_id` for GraphQL)."""

    number: int
    node_id: str
    head_sha: str
    state: str
    draft: bool
    merged: bool
    user: str


@dataclass(frozen=True)
class MergeMethods:
    """The merge methods the repository allows."""

    squash: bool
    merge: bool
    rebase: bool


class UserClient:
    """Calls as one person, through `github` authenticated with their user token."""

    def __init__(self, github: GitHub[Any], calls: GitHubCalls) -> None:
        self._github = github
        self._rest = github.rest
        self._calls = calls

    @classmethod
    def with_token(cls, base: GitHub[Any], calls: GitHubCalls, token: str) -> UserClient:
        return cls(base.with_auth(TokenAuthStrategy(token)), calls)

    async def pull(self, repo: str, number: int) -> UserPull:
        owner, name = repo.split("/", 1)
        path = f"/repos/{repo}/pulls/{number}"
        pull = await self._calls.parsed(
            "GET", path, lambda: self._rest.pulls.async_get(owner, name, number)
        )
        return UserPull(
            pull.number,
            pull.node_id,
            pull.head.sha,
            pull.state,
            given(pull.draft, False),
            pull.merged,
            login_of(pull.user),
        )

    async def merge_methods(self, repo: str) -> MergeMethods:
        owner, name = repo.split("/", 1)
        found = await self._calls.parsed(
            "GET", f"/repos/{repo}", lambda: self._rest.repos.async_get(owner, name)
        )
        return MergeMethods(
            given(found.allow_squash_merge, True),
            given(found.allow_merge_commit, True),
            given(found.allow_rebase_merge, True),
        )

    async def reviews(self, repo: str, number: int) -> list[ReviewInfo]:
        """The PR's reviews, oldest first (GitHub's order), up to 100."""
        owner, name = repo.split("/", 1)
        found = await self._calls.parsed(
            "GET",
            f"/repos/{repo}/pulls/{number}/reviews",
            lambda: self._rest.pulls.async_list_reviews(owner, name, number, per_page=100),
        )
        listed = cast("list[PullRequestReview]", found)  # githubkit annotates it as `list?`
        return [review_info(review) for review in listed]

    async def approve(self, repo: str, number: int, sha: str) -> Refusal | int:
        """An approving review of commit `sha`: its id, or GitHub's refusal."""
        owner, name = repo.split("/", 1)
        found = await self._calls.send(
            "POST",
            f"/repos/{repo}/pulls/{number}/reviews",
            lambda: self._rest.pulls.async_create_review(
                owner, name, number, commit_id=sha, event="APPROVE"
            ),
            tolerate=REFUSED,
        )
        return found if isinstance(found, Refusal) else found.parsed_data.id

    async def merge(self, repo: str, number: int, sha: str, method: MergeMethod) -> Refusal | None:
        """Merge the PR only if its head is still `sha`; GitHub's refusal, or None when merged."""
        owner, name = repo.split("/", 1)
        found = await self._calls.send(
            "PUT",
            f"/repos/{repo}/pulls/{number}/merge",
            lambda: self._rest.pulls.async_merge(owner, name, number, sha=sha, merge_method=method),
            tolerate=REFUSED,
        )
        return found if isinstance(found, Refusal) else None

    async def mark_ready(self, node_id: str) -> Refusal | None:
        """GraphQL `markPullRequestReadyForReview` (GitHub Enterprise: `{host}/api/graphql`)."""
        try:
            await self._github.async_graphql(READY_MUTATION, {"id": node_id})
        except GraphQLFailed as exc:
            words = "; ".join(error.message for error in exc.response.errors or [])
            return Refusal(422, words or "no message")
        except RequestFailed as exc:
            if exc.response.status_code not in REFUSED:
                raise
            return Refusal(exc.response.status_code, github_message(exc))
        return None
