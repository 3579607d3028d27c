"""The fake GitHub's pull request, ref, review, check run and file content routes."""

from __future__ import annotations

from starlette.responses import Response

from tests.fakes.github import bodies
from tests.fakes.github.call import DOCS, Call, Problem, invalid, not_found, ok
from tests.fakes.github.state import FakePull, FakeRepo, FakeReviewComment

HEAD_INVALID = "create-pull-request.422.head-invalid.observed-current.json"
MAX_CONTENT_BYTES = 1024 * 1024


def list_pulls(call: Call) -> Response:
    repo, state = call.repo(), call.query("state", "open")
    owner, _, ref = call.query("head").rpartition(":")
    found = []
    for pull in sorted(repo.pulls.values(), key=lambda p: -p.number):
        head_owner = (pull.head_repo or "").split("/", 1)[0]
        if state != "all" and pull.state != state:
            continue
        if ref and (pull.head_ref != ref or (owner and head_owner != owner)):
            continue
        if call.query("base") and pull.base_ref != call.query("base"):
            continue
        if ref and pull.hidden_lookups > 0:  # not replicated yet: this lookup misses it
            pull.hidden_lookups -= 1
            continue
        found.append(pull)
    repos = call.fake.repos
    return ok([bodies.pull_body(repo, p, repos, simple=True) for p in call.page(found)])


def create_pull(call: Call) -> Response:
    repo = call.repo()
    head, base = call.field("head"), call.field("base")
    docs = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
    for name, value in (("head", head), ("base", base)):
        if not isinstance(value, str) or not value:
            raise invalid("PullRequest", name, docs=docs)
    owner, _, ref = str(head).rpartition(":")
    if any(p.state == "open" and p.head_ref == ref for p in repo.pulls.values()):
        message = f"A pull request already exists for {owner or repo.owner}:{ref}."
        error = {"resource": "PullRequest", "code": "custom", "message": message}
        raise Problem(422, bodies.validation_body([error], docs))
    if ref not in repo.refs:
        raise Problem(422, bodies.fixture(HEAD_INVALID))
    number = repo.add_pull(
        ref,
        title=str(call.field("title") or ""),
        body=str(call.field("body") or ""),
        user=call.fake.bot_login,
        head_sha=repo.refs[ref],
        base_ref=str(base),
        draft=bool(call.field("draft")),
    )
    return ok(bodies.pull_body(repo, repo.pulls[number], call.fake.repos, simple=False), 201)


def get_pull(call: Call) -> Response:
    repo = call.repo()
    return ok(bodies.pull_body(repo, _pull(repo, call.number()), call.fake.repos, simple=False))


def update_pull(call: Call) -> Response:
    repo = call.repo()
    pull = _pull(repo, call.number())
    for name in ("title", "body", "state"):
        if isinstance(value := call.field(name), str):
            setattr(pull, name, value)
    if isinstance(base := call.field("base"), str):
        pull.base_ref = base
    return ok(bodies.pull_body(repo, pull, call.fake.repos, simple=False))


def _pull(repo: FakeRepo, number: int) -> FakePull:
    if (pull := repo.pulls.get(number)) is None:
        raise not_found()
    return pull


def delete_ref(call: Call) -> Response:
    repo, ref = call.repo(), call.param("ref")
    branch = ref.removeprefix("heads/")
    if not ref.startswith("heads/") or branch not in repo.refs:
        docs = f"{DOCS}/git/refs#delete-a-reference"
        raise Problem(422, bodies.error_body(422, "Reference does not exist", docs))
    del repo.refs[branch]
    return Response(status_code=204)


# reviews and review comments


def get_review(call: Call) -> Response:
    repo = call.repo()
    review = repo.reviews.get(call.number("review_id"))
    if review is None or review.number != call.number():
        raise not_found()
    return ok(bodies.review_body(repo, review))


def list_review_comments(call: Call) -> Response:
    repo, number = call.repo(), call.number()
    review_id = call.request.path_params.get("review_id")
    if review_id is not None and repo.reviews.get(int(review_id), None) is None:
        raise not_found()
    found = [
        c
        for c in sorted(repo.review_comments.values(), key=lambda c: c.id)
        if c.number == number and (review_id is None or c.review_id == int(review_id))
    ]
    created = review_id is None  # GET /pulls/{n}/comments lists the full comment shape
    return ok([bodies.review_comment_body(repo, c, created) for c in call.page(found)])


def create_review_comment(call: Call) -> Response:
    """`in_reply_to` answers a thread and ignores every other field, as GitHub documents."""
    repo, number = call.repo(), call.number()
    _pull(repo, number)
    body, reply_to = call.field("body"), call.field("in_reply_to")
    if not isinstance(body, str) or not body:
        raise invalid("PullRequestReviewComment", "body")
    if reply_to is not None:
        if (target := repo.review_comments.get(int(reply_to))) is None or target.number != number:
            raise not_found()
        root = repo.thread_root(target.id)
        comment = FakeReviewComment(
            next(repo.ids),
            number,
            None,
            body,
            call.fake.bot_login,
            root.path,
            root.line,
            root.id,
            root.diff_hunk,
            root.commit_id,
        )
    elif missing := [name for name in ("commit_id", "path") if not call.field(name)]:
        raise invalid("PullRequestReviewComment", *missing)
    else:
        comment = FakeReviewComment(
            next(repo.ids),
            number,
            None,
            body,
            call.fake.bot_login,
            str(call.field("path")),
            call.field("line"),
            None,
            "",
            str(call.field("commit_id")),
        )
    repo.review_comments[comment.id] = comment
    return ok(bodies.review_comment_body(repo, comment, created=True), 201)


def create_reply_route(call: Call) -> Response:
    """`.../comments/{id}/replies` is not enabled for GitHub Apps: GitHub answers 403."""
    call.repo()
    raise Problem(403, bodies.error_body(403, "Resource not accessible by integration"))


# checks and contents


def list_suite_runs(call: Call) -> Response:
    repo = call.repo()
    suite = repo.check_suites.get(call.number("check_suite_id"))
    if suite is None:
        raise not_found()
    runs = call.page(suite.runs)
    return ok(bodies.check_runs_body(suite.id, suite.head_sha, runs, total=len(suite.runs)))


def get_content(call: Call) -> Response:
    repo, path = call.repo(), call.param("path")
    ref = call.query("ref") or repo.default_branch
    data = repo.files.get((ref, path))
    if data is None:
        raise not_found(f"{DOCS}/repos/contents#get-repository-content")
    if len(data) > MAX_CONTENT_BYTES:
        message = "This API returns blobs up to 1 MB in size. The requested blob is too large."
        error = {"resource": "Blob", "field": "data", "code": "too_large", "message": message}
        raise Problem(403, {**bodies.error_body(403, message), "errors": [error]})
    return ok(bodies.content_body(repo, path, ref, data))


def get_branch(call: Call) -> Response:
    """A branch with its protection flag (GitHub's example body, the fake's state patched in)."""
    repo, name = call.repo(), call.param("branch")
    if name not in repo.refs:
        raise not_found()
    body = bodies.fixture("get-branch.200.json")
    body.update(name=name, protected=name in repo.protected_branches)
    body["commit"]["sha"] = repo.refs[name]
    return ok(body)


def list_annotations(call: Call) -> Response:
    run = call.repo().check_run(call.number("check_run_id"))
    if run is None:
        raise not_found()
    return ok(call.page(run.annotations))


def job_logs(call: Call) -> Response:
    """Like GitHub: a 302 to a short-lived download URL of the job's plain-text log."""
    job_id = call.number("job_id")
    run = call.repo().check_run(job_id)
    if run is None or run.log is None:
        raise not_found()
    url = str(call.request.base_url).rstrip("/") + f"/_blobs/job-logs/{call.repo().id}/{job_id}"
    return Response(status_code=302, headers={"location": url})


def job_log_blob(call: Call) -> Response:
    repo_id, job_id = call.number("repo_id"), call.number("job_id")
    repo = next((r for r in call.fake.repos.values() if r.id == repo_id), None)
    run = repo.check_run(job_id) if repo is not None else None
    if run is None or run.log is None:
        raise not_found()
    return Response(run.log, media_type="text/plain")
