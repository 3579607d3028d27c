"""The fake GitHub's `GET /repos/{owner}/{repo}/installation` (the App's JWT): which
installation of the App holds a repository, 404 when none does."""

from __future__ import annotations

from starlette.responses import Response

from tests.fakes.github import bodies
from tests.fakes.github.call import Call, not_found, ok

API = "https://api.github.com"


def get_repo_installation(call: Call) -> Response:
    repo = call.fake.repos.get(f"{call.param('owner')}/{call.param('repo')}")
    if repo is None:
        raise not_found()
    installation_id = repo.installation_id
    account = call.fake.installations.get(installation_id, repo.owner)
    return ok(installation_body(installation_id, account, call.fake.app_id, call.fake.slug))


def installation_body(installation_id: int, account: str, app_id: int, slug: str) -> bodies.Json:
    """An installation as GitHub shows it (the fields githubkit's model requires)."""
    base = f"{API}/app/installations/{installation_id}"
    return {
        "id": installation_id,
        "account": bodies.user_body(account),
        "repository_selection": "selected",
        "access_tokens_url": f"{base}/access_tokens",
        "repositories_url": f"{API}/installation/repositories",
        "html_url": f"https://github.com/settings/installations/{installation_id}",
        "app_id": app_id,
        "target_id": bodies.user_id(account),
        "target_type": "Organization",
        "permissions": {"contents": "write", "issues": "write", "pull_requests": "write"},
        "events": ["issues", "issue_comment", "pull_request"],
        "created_at": bodies.now_iso(-86400),
        "updated_at": bodies.now_iso(-3600),
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "app_slug": slug,
        "suspended_by": None,
        "suspended_at": None,
    }
