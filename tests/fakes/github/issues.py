"""The fake GitHub's app, repository, issue, comment and reaction routes."""

from __future__ import annotations

from starlette.responses import Response

from tests.fakes.github import bodies
from tests.fakes.github.call import Call, Problem, invalid, not_found, ok
from tests.fakes.github.state import FakeReaction, FakeRepo

REACTIONS = {"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}


def get_app(call: Call) -> Response:
    return ok(bodies.app_body(call.fake.app_id, call.fake.slug))


def list_installations(call: Call) -> Response:
    page, per_page = int(call.query("page") or 1), int(call.query("per_page") or 30)
    ids = sorted(call.fake.installations)[(page - 1) * per_page : page * per_page]
    found = []
    for installation_id in ids:
        body = bodies.fixture("get-repo-installation.200.json")
        body.update(id=installation_id, app_id=call.fake.app_id, app_slug=call.fake.slug)
        body["account"]["login"] = call.fake.installations[installation_id]
        found.append(body)
    return ok(found)


def get_user(call: Call) -> Response:
    return ok(bodies.public_user_body(call.param("username")))


def create_token(call: Call) -> Response:
    fake, installation_id = call.fake, call.number("installation_id")
    if installation_id not in fake.installations:
        raise not_found()
    names = call.field("repositories")
    repos = [r for r in fake.repos.values() if r.installation_id == installation_id]
    if names is not None:
        chosen = [r for r in repos if r.name in names]
        if len(chosen) != len(names):
            message = "There is at least one repository that does not exist or is not accessible"
            raise Problem(422, bodies.error_body(422, message))
        repos = chosen
    token = fake.mint_token(installation_id, names)
    return ok(bodies.token_body(token.value, repos), 201)


# repositories, issues, comments, reactions


def get_repo(call: Call) -> Response:
    return ok(bodies.repo_body(call.repo()))


def get_permission(call: Call) -> Response:
    repo, login = call.repo(), call.param("username")
    permission = repo.permissions.get(login.lower())
    if permission is None:
        raise not_found()
    return ok(bodies.permission_body(login, permission))


def get_issue(call: Call) -> Response:
    repo, number = call.repo(), call.number()
    item = repo.issues.get(number) or repo.pulls.get(number)
    if item is None:
        raise not_found()
    return ok(bodies.issue_body(repo, item))


def update_issue(call: Call) -> Response:
    """PATCH an issue's (or PR's) title or body."""
    repo, number = call.repo(), call.number()
    issue_or_pull(repo, number)
    title, body = call.field("title"), call.field("body")
    repo.edit_issue(
        number,
        title=title if isinstance(title, str) else None,
        body=body if isinstance(body, str) else None,
    )
    return ok(bodies.issue_body(repo, repo.issues.get(number) or repo.pulls[number]))


def list_comments(call: Call) -> Response:
    repo, number = call.repo(), call.number()
    issue_or_pull(repo, number)
    found = [c for c in sorted(repo.comments.values(), key=lambda c: c.id) if c.number == number]
    return ok([bodies.comment_body(repo, c) for c in call.page(found)])


def create_comment(call: Call) -> Response:
    repo, number = call.repo(), call.number()
    issue_or_pull(repo, number)
    body = call.field("body")
    if not isinstance(body, str) or not body:
        raise invalid("IssueComment", "body")
    comment_id = repo.add_comment(number, body, call.fake.bot_login)
    return ok(bodies.comment_body(repo, repo.comments[comment_id]), 201)


def edit_comment(call: Call) -> Response:
    repo = call.repo()
    comment = repo.comments.get(call.number("comment_id"))
    if comment is None:
        raise not_found()
    comment.body = str(call.field("body"))
    return ok(bodies.comment_body(repo, comment))


def react_to_comment(call: Call) -> Response:
    repo, comment_id = call.repo(), call.number("comment_id")
    if comment_id not in repo.comments:
        raise not_found()
    return _react(call, repo, "comment", comment_id)


def react_to_issue(call: Call) -> Response:
    repo, number = call.repo(), call.number()
    issue_or_pull(repo, number)
    return _react(call, repo, "issue", number)


def _react(call: Call, repo: FakeRepo, subject: str, subject_id: int) -> Response:
    content, user = call.field("content"), call.fake.bot_login
    if content not in REACTIONS:
        raise invalid("Reaction", "content", code="invalid")
    for reaction in repo.reactions:
        if (reaction.subject, reaction.subject_id, reaction.content, reaction.user) == (
            subject,
            subject_id,
            content,
            user,
        ):
            return ok(bodies.reaction_body(reaction), 200)
    reaction = FakeReaction(next(repo.ids), subject, subject_id, str(content), user)
    repo.reactions.append(reaction)
    return ok(bodies.reaction_body(reaction), 201)


def issue_or_pull(repo: FakeRepo, number: int) -> None:
    if number not in repo.issues and number not in repo.pulls:
        raise not_found()
