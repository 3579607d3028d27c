"""The fake GitHub's route table: method, path, handler and the authentication each needs."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.github import checks, issues, manifests, merging, pulls
from tests.fakes.github.call import Call, Endpoint, Handler, not_found


def routes(endpoint: Callable[[Handler, str], Endpoint]) -> list[Route]:
    """Every route, wrapped by `endpoint(handler, auth)`; auth: "jwt", "token" or "public"."""
    r = "/repos/{owner}/{repo}"
    pr = r + "/pulls/{number:int}"
    table: list[tuple[str, str, Handler, str]] = [
        ("GET", "/app", issues.get_app, "jwt"),
        ("GET", "/app/installations", issues.list_installations, "jwt"),
        (
            "POST",
            "/app/installations/{installation_id:int}/access_tokens",
            issues.create_token,
            "jwt",
        ),
        ("GET", "/users/{username}", issues.get_user, "public"),
        ("POST", "/app-manifests/{code}/conversions", manifests.convert, "public"),
        ("GET", "/user", merging.get_authenticated_user, "token"),
        ("GET", r + "/installation", merging.get_repo_installation, "jwt"),
        ("GET", r, issues.get_repo, "token"),
        ("GET", r + "/collaborators/{username}/permission", issues.get_permission, "token"),
        ("GET", r + "/issues/{number:int}", issues.get_issue, "token"),
        ("PATCH", r + "/issues/{number:int}", issues.update_issue, "token"),
        ("GET", r + "/issues/{number:int}/comments", issues.list_comments, "token"),
        ("POST", r + "/issues/{number:int}/comments", issues.create_comment, "token"),
        ("PATCH", r + "/issues/comments/{comment_id:int}", issues.edit_comment, "token"),
        (
            "POST",
            r + "/issues/comments/{comment_id:int}/reactions",
            issues.react_to_comment,
            "token",
        ),
        ("POST", r + "/issues/{number:int}/reactions", issues.react_to_issue, "token"),
        ("GET", r + "/pulls", pulls.list_pulls, "token"),
        ("POST", r + "/pulls", pulls.create_pull, "token"),
        ("GET", pr, pulls.get_pull, "token"),
        ("PATCH", pr, pulls.update_pull, "token"),
        ("GET", pr + "/reviews/{review_id:int}", pulls.get_review, "token"),
        ("GET", pr + "/reviews/{review_id:int}/comments", pulls.list_review_comments, "token"),
        ("GET", pr + "/comments", pulls.list_review_comments, "token"),
        ("POST", pr + "/comments", pulls.create_review_comment, "token"),
        ("POST", pr + "/comments/{comment_id:int}/replies", pulls.create_reply_route, "token"),
        ("DELETE", r + "/git/refs/{ref:path}", pulls.delete_ref, "token"),
        ("GET", r + "/branches/{branch:path}", pulls.get_branch, "token"),
        (
            "GET",
            r + "/check-suites/{check_suite_id:int}/check-runs",
            pulls.list_suite_runs,
            "token",
        ),
        (
            "GET",
            r + "/check-runs/{check_run_id:int}/annotations",
            pulls.list_annotations,
            "token",
        ),
        ("GET", r + "/actions/jobs/{job_id:int}/logs", pulls.job_logs, "token"),
        ("GET", r + "/commits/{ref:path}/check-runs", checks.list_ref_runs, "token"),
        ("GET", r + "/actions/runs/{run_id:int}/artifacts", checks.list_run_artifacts, "token"),
        ("GET", "/_blobs/job-logs/{repo_id:int}/{job_id:int}", pulls.job_log_blob, "public"),
        ("GET", r + "/contents/{path:path}", pulls.get_content, "token"),
        ("GET", pr + "/reviews", merging.list_reviews, "token"),
        ("POST", pr + "/reviews", merging.create_review, "token"),
        ("PUT", pr + "/merge", merging.merge_pull, "token"),
        ("POST", "/graphql", merging.graphql, "token"),
    ]
    every = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    return [
        *(Route(path, endpoint(fn, auth), methods=[method]) for method, path, fn, auth in table),
        Route("/{rest:path}", endpoint(unknown_route, "token"), methods=every),
    ]


def unknown_route(call: Call) -> Response:
    raise not_found()
