"""Bodies the fake GitHub answers with: GitHub's published examples, the fake's state patched in."""

from __future__ import annotations

import base64
import copy
import json
import time
import zlib
from functools import cache
from pathlib import Path
from typing import Any

from tests.fakes.github.state import (
    FakeCheckRun,
    FakeComment,
    FakeIssue,
    FakePull,
    FakeReaction,
    FakeRepo,
    FakeReview,
    FakeReviewComment,
    Permission,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rest"
WEB = "https://github.com"
API = "https://api.github.com"
Json = dict[str, Any]


@cache
def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def fixture(name: str) -> Any:
    """A fresh copy of `tests/fixtures/rest/<name>`."""
    return copy.deepcopy(_load(name))


def now_iso(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def user_id(login: str) -> int:
    return zlib.crc32(login.encode()) % 10_000_000 + 1


def user_body(login: str) -> Json:
    user: Json = fixture("get-issue-comment.200.json")["user"]
    user.update(
        login=login,
        id=user_id(login),
        type="Bot" if login.endswith("[bot]") else "User",
        url=f"{API}/users/{login}",
        html_url=f"{WEB}/{login}",
    )
    return user


def public_user_body(login: str) -> Json:
    """A user as `GET /users/{username}` shows it."""
    body: Json = fixture("get-user.200.constructed.json")
    body.update(user_body(login))
    return body


def error_body(status: int, message: str, docs: str = "https://docs.github.com/rest") -> Json:
    return {"message": message, "documentation_url": docs, "status": str(status)}


def validation_body(errors: list[Json], docs: str = "https://docs.github.com/rest") -> Json:
    return {
        "message": "Validation Failed",
        "errors": errors,
        "documentation_url": docs,
        "status": "422",
    }


def app_body(app_id: int, slug: str) -> Json:
    app: Json = fixture("get-authenticated-app.200.json")
    app.update(id=app_id, slug=slug, name=slug.title(), html_url=f"{WEB}/apps/{slug}")
    return app


def _patch_repo(body: Json, repo: FakeRepo) -> Json:
    body.update(
        id=repo.id,
        name=repo.name,
        full_name=repo.full_name,
        owner=user_body(repo.owner),
        private=repo.private,
        visibility="private" if repo.private else "public",
        default_branch=repo.default_branch,
        clone_url=repo.clone_url,
        html_url=f"{WEB}/{repo.full_name}",
        url=f"{API}/repos/{repo.full_name}",
    )
    return body


def repo_body(repo: FakeRepo) -> Json:
    body = _patch_repo(fixture("get-repo.200.default-response.json"), repo)
    rules = repo.merging
    body.update(
        allow_squash_merge=rules.allow_squash,
        allow_merge_commit=rules.allow_merge,
        allow_rebase_merge=rules.allow_rebase,
    )
    for key in ("parent", "source", "organization", "template_repository"):
        body.pop(key, None)
    return body


def token_body(token: str, repos: list[FakeRepo]) -> Json:
    body: Json = fixture("create-installation-access-token.201.json")
    template = body["repositories"][0]
    body.update(
        token=token,
        expires_at=now_iso(3600),
        repositories=[_patch_repo(copy.deepcopy(template), repo) for repo in repos],
    )
    return body


def permission_body(login: str, permission: Permission) -> Json:
    body: Json = fixture(
        "get-collaborator-permission.200.response-if-user-has-admin-permissions.json"
    )
    user = user_body(login)
    user["role_name"] = permission.role_name
    body.update(permission=permission.permission, role_name=permission.role_name, user=user)
    return body


def issue_body(repo: FakeRepo, item: FakeIssue | FakePull) -> Json:
    body: Json = fixture("get-issue.200.from-webhook-issues-opened.json")
    kind = "pull" if isinstance(item, FakePull) else "issues"
    body.update(
        id=item.number * 1000 + repo.id,
        number=item.number,
        title=item.title,
        body=item.body,
        user=user_body(item.user),
        state=item.state,
        labels=[] if isinstance(item, FakePull) else [_label(repo, n) for n in item.labels],
        html_url=f"{WEB}/{repo.full_name}/{kind}/{item.number}",
        url=f"{API}/repos/{repo.full_name}/issues/{item.number}",
    )
    if isinstance(item, FakePull):
        body["pull_request"] = {
            "url": f"{API}/repos/{repo.full_name}/pulls/{item.number}",
            "html_url": f"{WEB}/{repo.full_name}/pull/{item.number}",
            "diff_url": f"{WEB}/{repo.full_name}/pull/{item.number}.diff",
            "patch_url": f"{WEB}/{repo.full_name}/pull/{item.number}.patch",
            "merged_at": None,
        }
    else:
        body.pop("pull_request", None)
    return body


def _label(repo: FakeRepo, name: str) -> Json:
    label: Json = fixture("get-pull-request.200.json")["labels"][0]
    label.update(name=name, url=f"{API}/repos/{repo.full_name}/labels/{name}")
    return label


def comment_body(repo: FakeRepo, comment: FakeComment) -> Json:
    body: Json = fixture("get-issue-comment.200.json")
    body.update(
        id=comment.id,
        body=comment.body,
        user=user_body(comment.user),
        html_url=f"{WEB}/{repo.full_name}/issues/{comment.number}#issuecomment-{comment.id}",
        url=f"{API}/repos/{repo.full_name}/issues/comments/{comment.id}",
        issue_url=f"{API}/repos/{repo.full_name}/issues/{comment.number}",
        created_at=now_iso(),
        updated_at=now_iso(),
    )
    return body


def reaction_body(reaction: FakeReaction) -> Json:
    body: Json = fixture("create-issue-comment-reaction.201.json")
    body.update(id=reaction.id, content=reaction.content, user=user_body(reaction.user))
    return body


def pull_body(repo: FakeRepo, pull: FakePull, repos: dict[str, FakeRepo], simple: bool) -> Json:
    """A PR as `GET /pulls/{n}` (full) or as an item of `GET /pulls` (simple) shows it."""
    if simple:
        body: Json = fixture("list-pull-requests.200.json")[0]
    else:
        body = fixture("get-pull-request.200.json")
        body.update(merged=pull.merged, mergeable=pull.mergeable, merged_by=None)
    head_repo = repos.get(pull.head_repo or "")
    body.update(
        id=pull.number * 1000 + repo.id,
        node_id=pull_node_id(repo, pull.number),
        number=pull.number,
        title=pull.title,
        body=pull.body,
        user=user_body(pull.user),
        state=pull.state,
        draft=pull.draft,
        labels=[],
        requested_teams=[],
        merged_at=now_iso() if pull.merged else None,
        html_url=f"{WEB}/{repo.full_name}/pull/{pull.number}",
        url=f"{API}/repos/{repo.full_name}/pulls/{pull.number}",
    )
    owner = head_repo.owner if head_repo else repo.owner
    body["head"].update(
        ref=pull.head_ref,
        sha=pull.head_sha,
        label=f"{owner}:{pull.head_ref}",
        user=user_body(owner),
        repo=_patch_repo(body["head"]["repo"], head_repo) if head_repo else None,
    )
    body["base"].update(
        ref=pull.base_ref,
        label=f"{repo.owner}:{pull.base_ref}",
        user=user_body(repo.owner),
        repo=_patch_repo(body["base"]["repo"], repo),
    )
    return body


def pull_node_id(repo: FakeRepo, number: int) -> str:
    """A PR's GraphQL id (opaque to clients, as GitHub's are)."""
    return f"PR_kwDO{repo.id}_{number}"


def review_body(repo: FakeRepo, review: FakeReview) -> Json:
    body: Json = fixture("get-review.200.json")
    body.update(
        id=review.id,
        state=review.state,
        body=review.body,
        user=user_body(review.user),
        commit_id=review.commit_id,
        html_url=f"{WEB}/{repo.full_name}/pull/{review.number}#pullrequestreview-{review.id}",
        pull_request_url=f"{API}/repos/{repo.full_name}/pulls/{review.number}",
    )
    return body


def review_comment_body(repo: FakeRepo, comment: FakeReviewComment, created: bool) -> Json:
    """A review comment as a review's listing shows it, or as creating one answers."""
    if created:
        body: Json = fixture("create-review-comment.201.example-for-a-multi-line-comment.json")
        for key in ("start_line", "original_start_line", "start_side"):
            body[key] = None
    else:
        body = fixture("list-comments-for-review.200.json")[0]
    body.update(
        id=comment.id,
        pull_request_review_id=comment.review_id,
        body=comment.body,
        user=user_body(comment.user),
        path=comment.path,
        line=comment.line,
        original_line=comment.line,
        diff_hunk=comment.diff_hunk,
        commit_id=comment.commit_id,
        original_commit_id=comment.commit_id,
        html_url=f"{WEB}/{repo.full_name}/pull/{comment.number}#discussion_r{comment.id}",
        url=f"{API}/repos/{repo.full_name}/pulls/comments/{comment.id}",
        pull_request_url=f"{API}/repos/{repo.full_name}/pulls/{comment.number}",
    )
    if comment.in_reply_to_id is None:
        body.pop("in_reply_to_id", None)
    else:
        body["in_reply_to_id"] = comment.in_reply_to_id
    return body


def check_runs_body(suite_id: int, head_sha: str, runs: list[FakeCheckRun], total: int) -> Json:
    body: Json = fixture("list-check-runs-for-ref.200.json")
    template = body["check_runs"][0]
    body.update(total_count=total, check_runs=[])
    for run in runs:
        item = copy.deepcopy(run.recorded or template)
        item.update(
            id=run.id,
            name=run.name,
            head_sha=head_sha,
            status="completed",
            conclusion=run.conclusion,
            pull_requests=[],
        )
        if run.recorded is None:
            item.update(details_url=run.details_url)
            item["output"].update(title=run.title, summary=run.summary, text=run.text)
        item["output"]["annotations_count"] = len(run.annotations)
        item["check_suite"] = {"id": suite_id}
        body["check_runs"].append(item)
    return body


def content_body(repo: FakeRepo, path: str, ref: str, data: bytes) -> Json:
    """A file as `GET /contents/{path}` returns it: base64 wrapped at 60 characters like GitHub."""
    body: Json = fixture("get-content.200.file.constructed.json")
    encoded = base64.b64encode(data).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    body.update(
        name=path.rsplit("/", 1)[-1],
        path=path,
        size=len(data),
        content=wrapped,
        url=f"{API}/repos/{repo.full_name}/contents/{path}?ref={ref}",
        html_url=f"{WEB}/{repo.full_name}/blob/{ref}/{path}",
    )
    return body
