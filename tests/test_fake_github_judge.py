"""The judge of the fake GitHub: GitHub's own API description refuses what GitHub would refuse.

Requests go to the served fake as raw HTTP (no Honk code), so each case is exactly the request
named. Every refusal is taken here (`take_violations`), or the autouse fixture would fail the
test; one test runs pytest on a throwaway test to show that it does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.github import description
from tests.fakes.github.api import FakeGitHub, serve_fake_github
from tests.fakes.github.judge import HONK_AGENT, Violation, judge_for, take_violations
from tests.fakes.github.session import INSTALLATION_ID, REPO, GitHubSession

ROOT = Path(__file__).resolve().parents[1]
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


@pytest.fixture
async def http(gh: GitHubSession) -> AsyncIterator[httpx.AsyncClient]:
    """Raw requests to the fake with a token of the installation (no User-Agent of Honk's)."""
    token = await gh.app.installation_token(INSTALLATION_ID, REPO)
    headers = {"Authorization": f"token {token.reveal()}", "User-Agent": "judge-test"}
    take_violations()
    async with httpx.AsyncClient(base_url=gh.api_url, headers=headers) as client:
        yield client


def thread(gh: GitHubSession) -> tuple[int, int]:
    number = gh.repo.add_pull("honk/issue-1")
    return number, gh.repo.add_review_comment(number, "Rename x", "alice", path="app/x.py")


async def test_a_reply_without_commit_id_and_path_is_refused_naming_them(
    gh: GitHubSession, http: httpx.AsyncClient
) -> None:
    number, comment = thread(gh)
    path = f"/repos/{REPO}/pulls/{number}/comments"

    answer = await http.post(path, json={"body": "Done.", "in_reply_to": comment})

    assert answer.status_code == 422
    assert "'commit_id' is a required property" in answer.json()["message"]
    assert take_violations() == [
        Violation(
            "POST",
            path,
            "body: 'commit_id' is a required property; body: 'path' is a required property",
        )
    ]
    assert gh.repo.review_comments.keys() == {comment}  # refused: nothing was created


async def test_the_reply_github_describes_is_accepted(
    gh: GitHubSession, http: httpx.AsyncClient
) -> None:
    number, comment = thread(gh)
    reply = {"body": "Done.", "in_reply_to": comment, "commit_id": SHA, "path": "app/x.py"}

    answer = await http.post(f"/repos/{REPO}/pulls/{number}/comments", json=reply)

    assert answer.status_code == 201
    assert take_violations() == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "problem"),
    [
        ("GET", "/repos/octo/widgets/no-such-thing", None, 404, "no such endpoint"),
        ("DELETE", "/app", None, 404, "no such endpoint"),  # a path without that method
        ("GET", "/repos/octo/widgets/issues/1/comments?per_page=many", None, 422, "'per_page'"),
        ("POST", "/repos/octo/widgets/issues/1/comments", {"text": "hi"}, 422, "'body' is a"),
        ("POST", "/repos/octo/widgets/issues/1/comments", {"body": 7}, 422, "body.body: 7 is"),
    ],
)
async def test_what_the_description_refuses(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any,
    status: int,
    problem: str,
) -> None:
    answer = await http.request(method, path, json=body)

    assert answer.status_code == status
    [violation] = take_violations()
    assert (violation.method, violation.path.split("?")[0]) == (method, path.split("?")[0])
    assert problem in violation.problem


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/repos/octo/widgets/contents/.github/honk.yml", None),  # {path}: slashes and all
        ("/repos/octo/widgets/branches/honk/issue-1", None),  # {branch}
        ("/repos/octo/widgets/git/ref/heads/honk/issue-1", None),  # {ref}
        ("/repos/octo/widgets/commits/honk/issue-1/check-runs", None),  # {ref}, mid-path
        ("/repos/octo/widgets/issues/1/comments/2", "no such endpoint"),  # {issue_number}: no
    ],
)
async def test_a_multi_segment_parameter_holds_slashes(
    http: httpx.AsyncClient, path: str, refused: str | None
) -> None:
    """GitHub's description marks the parameters that may (`x-multi-segment`)."""
    await http.get(path)

    found = [violation.problem for violation in take_violations()]
    assert found == [] if refused is None else refused in found[0], found


async def test_an_api_version_the_description_does_not_know_is_a_400(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.get(f"/repos/{REPO}", headers={"X-GitHub-Api-Version": "2099-01-01"})

    assert answer.status_code == 400
    assert answer.json()["message"] == "API version '2099-01-01' is not supported."
    [violation] = take_violations()
    assert "2099-01-01" in violation.problem


async def test_honk_names_the_api_version_and_calls_only_listed_endpoints(
    http: httpx.AsyncClient,
) -> None:
    honk = {"User-Agent": f"{HONK_AGENT.title()} (GitHub App)"}
    versioned = {**honk, "X-GitHub-Api-Version": "2022-11-28"}

    fine = await http.get(f"/repos/{REPO}", headers=versioned)
    unversioned = await http.get(f"/repos/{REPO}", headers=honk)
    unlisted = await http.get(f"/repos/{REPO}/labels", headers=versioned)

    assert [a.status_code for a in (fine, unversioned, unlisted)] == [200, 200, 404]
    problems = [v.problem for v in take_violations()]
    assert problems == [
        "Honk's request carries no X-GitHub-Api-Version header",
        "GET /repos/{owner}/{repo}/labels is not listed in app/github/endpoints.py",
    ]


def test_a_breaking_change_applies_from_its_version_on() -> None:
    base = description.for_version(description.GITHUB, description.BASE_VERSION)
    later = description.for_version(description.GITHUB, "2026-03-10")

    def properties(spec: dict[str, Any]) -> dict[str, Any]:
        body = spec["paths"]["/repos/{owner}/{repo}/issues"]["post"]["requestBody"]
        schema: dict[str, Any] = body["content"]["application/json"]["schema"]
        found: dict[str, Any] = schema["properties"]
        return found

    assert "assignee" in properties(base) and "assignee" not in properties(later)
    assert "assignees" in properties(later)
    assert description.load() is base  # the 2022-11-28 description is the file as shipped


@pytest.mark.parametrize(
    ("target", "patch", "merged"),
    [
        ({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}}, {"a": 1, "b": {"d": 3}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": 1}, "whole", "whole"),
    ],
)
def test_merge_patch_is_rfc_7386(target: Any, patch: Any, merged: Any) -> None:
    assert description.merge_patch(target, patch) == merged


def test_a_refused_request_fails_the_test_that_sent_it(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import github_requests_judged  # noqa: F401\n"
    )
    (tmp_path / "test_sends.py").write_text(
        "from starlette.testclient import TestClient\n"
        "from tests.fakes.github.api import FakeGitHub, generate_app_key\n\n"
        "def test_sends_a_reply_without_commit_id():\n"
        "    fake = FakeGitHub(public_key_pem=generate_app_key().public_pem)\n"
        "    with TestClient(fake.asgi()) as client:\n"
        "        answer = client.post('/repos/o/r/pulls/1/comments',\n"
        "                             json={'body': 'x', 'in_reply_to': 1, 'path': 'a'})\n"
        "    assert answer.status_code == 422  # the test's own assertions pass\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed, 1 error" in done.stdout
    assert "ERROR at teardown of test_sends_a_reply_without_commit_id" in done.stdout
    assert (
        "POST /repos/o/r/pulls/1/comments: body: 'commit_id' is a required property" in done.stdout
    )


async def test_a_fake_served_as_enterprise_is_judged_by_its_description(
    gh: GitHubSession,
) -> None:
    """The same judge, as GitHub Enterprise Server's oldest release: under /api/v3, and
    unaware of API versions newer than 2022-11-28."""
    oldest = description.ghes_releases()[0]
    fake = FakeGitHub(public_key_pem=gh.key.public_pem, judge=judge_for(oldest))
    fake.add_repo(REPO)
    async with serve_fake_github(fake, prefix="/api/v3") as url, httpx.AsyncClient() as http:
        old = await http.get(f"{url}/repos/{REPO}", headers={"X-GitHub-Api-Version": "2022-11-28"})
        new = await http.get(f"{url}/repos/{REPO}", headers={"X-GitHub-Api-Version": "2026-03-10"})

    assert (old.status_code, new.status_code) == (401, 400)  # 401: no token, yet judged valid
    [violation] = take_violations()
    assert violation.problem == f"X-GitHub-Api-Version 2026-03-10 is not a version of {oldest}"
