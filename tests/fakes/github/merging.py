"""The fake GitHub's merge-from-Slack routes: reviews, merging under branch protection, GraphQL
`markPullRequestReadyForReview`, the App's installation on a repository; people's user tokens.

A user token minted by the fake OAuth (tests/fakes/github/oauth.py) authenticates as its person
(`person_tokens`); what they do is recorded under their login. Refusals carry GitHub's own words.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.responses import Response

from tests.fakes.github import bodies, graphql_files
from tests.fakes.github.call import Call, Problem, not_found, ok
from tests.fakes.github.oauth import FakeGitHubOAuth
from tests.fakes.github.state import FakePull, FakeRepo
from tests.fakes.loopback import serve_on_loopback

HEAD_MODIFIED = "Head branch was modified. Review and try the merge again."
NOT_MERGEABLE = "Pull Request is not mergeable"
WRITERS = {"admin", "maintain", "write"}
METHOD_NOT_ALLOWED = {
    "squash": "Squash merges are not allowed on this repository.",
    "merge": "Merge commits are not allowed on this repository.",
    "rebase": "Rebase merges are not allowed on this repository.",
}


def person_tokens(oauth: FakeGitHubOAuth) -> Callable[[str], str | None]:
    """For `FakeGitHub.users`: the login of a valid, unexpired user token of `oauth`."""

    def login(token: str) -> str | None:
        known = oauth.access.get(token)
        return known[0].login if known is not None and known[1] > oauth.clock() else None

    return login


def actor(call: Call) -> str:
    """Who is acting: the person of a user token, else the App's bot."""
    token = call.token
    return token.user if token is not None and token.user else call.fake.bot_login


def get_repo_installation(call: Call) -> Response:
    repo = call.fake.repos.get(f"{call.param('owner')}/{call.param('repo')}")
    if repo is None:
        raise not_found()
    body = bodies.fixture("get-repo-installation.200.json")
    body.update(id=repo.installation_id, app_id=call.fake.app_id, app_slug=call.fake.slug)
    return ok(body)


def get_authenticated_user(call: Call) -> Response:
    """`GET /user`: the person of a user token (the fake OAuth's); 401 for anything else."""
    token = call.token
    if token is None or not token.user:
        raise Problem(401, bodies.error_body(401, "Requires authentication"))
    return ok(bodies.public_user_body(token.user))


def list_reviews(call: Call) -> Response:
    repo = call.repo()
    _pull(repo, call.number())
    reviews = sorted(
        (r for r in repo.reviews.values() if r.number == call.number()), key=lambda r: r.id
    )
    return ok([bodies.review_body(repo, review) for review in call.page(reviews)])


def create_review(call: Call) -> Response:
    repo, who = call.repo(), actor(call)
    pull = _pull(repo, call.number())
    event = str(call.field("event") or "COMMENT")
    if event == "APPROVE" and who.lower() == pull.user.lower():
        errors = ["Review Can not approve your own pull request"]
        raise Problem(422, {"message": "Unprocessable Entity", "errors": errors, "status": "422"})
    state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(event, "COMMENTED")
    sha = str(call.field("commit_id") or pull.head_sha)
    review_id = repo.add_review(pull.number, state, str(call.field("body") or ""), who, sha)
    return ok(bodies.review_body(repo, repo.reviews[review_id]))


def merge_pull(call: Call) -> Response:
    """`PUT .../merge` as GitHub checks it: open, the head SHA, the method, then protection."""
    repo = call.repo()
    pull = _pull(repo, call.number())
    if pull.state != "open" or pull.merged or pull.draft:
        raise Problem(405, bodies.error_body(405, NOT_MERGEABLE))
    if call.field("sha") is not None and call.field("sha") != pull.head_sha:
        raise Problem(409, bodies.error_body(409, HEAD_MODIFIED))
    method = str(call.field("merge_method") or "merge")
    rules = repo.merging
    allowed = {
        "squash": rules.allow_squash,
        "merge": rules.allow_merge,
        "rebase": rules.allow_rebase,
    }
    if not allowed.get(method, False):
        raise Problem(405, bodies.error_body(405, METHOD_NOT_ALLOWED.get(method, NOT_MERGEABLE)))
    if (refusal := _protection(repo, pull)) is not None:
        raise Problem(405, bodies.error_body(405, refusal))
    pull.merged, pull.state = True, "closed"
    sha = hashlib.sha1(f"{pull.head_sha}:{method}".encode()).hexdigest()  # noqa: S324
    return ok({"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


def _protection(repo: FakeRepo, pull: FakePull) -> str | None:
    """GitHub's words for the first protection rule the PR does not meet, if any."""
    rules = repo.merging
    approvals = _approvals(repo, pull)
    if approvals < rules.required_approvals:
        n = rules.required_approvals
        noun = "approving review is" if n == 1 else "approving reviews are"
        return f"At least {n} {noun} required by reviewers with write access."
    passed = {
        run.name
        for suite in repo.check_suites.values()
        if suite.head_sha == pull.head_sha
        for run in suite.runs
        if run.conclusion in ("success", "neutral", "skipped")
    }
    missing = [name for name in rules.required_checks if name not in passed]
    if len(missing) == 1:
        return f'Required status check "{missing[0]}" is expected.'
    if missing:
        return (
            f"{len(missing)} of {len(rules.required_checks)} required status checks are expected."
        )
    return None


def _approvals(repo: FakeRepo, pull: FakePull) -> int:
    """Reviewers with write access whose latest deciding review approves."""
    latest: dict[str, str] = {}
    for review in sorted(repo.reviews.values(), key=lambda r: r.id):
        if review.number == pull.number and review.state.upper() != "COMMENTED":
            latest[review.user.lower()] = review.state.upper()
    return sum(
        1
        for user, state in latest.items()
        if state == "APPROVED"
        and user in repo.permissions
        and repo.permissions[user].permission in WRITERS
    )


def graphql(call: Call) -> Response:
    """`markPullRequestReadyForReview(input: {pullRequestId})`, and reading files
    (tests/fakes/github/graphql_files.py); any other query is an error."""
    query, variables = str(call.field("query") or ""), call.field("variables") or {}
    if "markPullRequestReadyForReview" not in query:
        if "repository(" in query and "object(" in query:
            return ok(graphql_files.answer(call.fake.repos, query, variables))
        return ok({"errors": [{"type": "INTERNAL", "message": "Unsupported by the fake"}]})
    node_id = str(variables.get("id", ""))
    for repo in call.fake.repos.values():
        for pull in repo.pulls.values():
            if bodies.pull_node_id(repo, pull.number) == node_id:
                pull.draft = False
                data = {"markPullRequestReadyForReview": {"pullRequest": {"isDraft": False}}}
                return ok({"data": data})
    message = f"Could not resolve to a node with the global id of '{node_id}'"
    return ok({"data": None, "errors": [{"type": "NOT_FOUND", "message": message}]})


def _pull(repo: FakeRepo, number: int) -> FakePull:
    if (pull := repo.pulls.get(number)) is None:
        raise not_found()
    return pull


@asynccontextmanager
async def serve_oauth(oauth: FakeGitHubOAuth) -> AsyncIterator[str]:
    """The fake OAuth on 127.0.0.1 (a free port); yields its URL, Honk's GITHUB_URL."""
    async with serve_on_loopback(oauth.asgi()) as url:
        yield url
