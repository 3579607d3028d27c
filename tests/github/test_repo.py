"""RepoClient against the served fake: permissions, issues, idempotent PRs, reviews, checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import GitHubError
from app.github.client import CheckRunInfo, PullInfo, ReviewComment, ReviewInfo
from tests.fakes.github.session import REPO, GitHubSession

FIXTURES = Path(__file__).parents[1] / "fixtures" / "rest"
BRANCH = "honk/issue-1"
SHA = "0123456789abcdef0123456789abcdef01234567"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.mark.parametrize(
    ("role", "base", "expected"),
    [
        ("admin", None, "admin"),
        ("maintain", None, "maintain"),  # GitHub's `permission` says "write"
        ("write", None, "write"),
        ("triage", None, "triage"),  # GitHub's `permission` says "read"
        ("read", None, "read"),
        ("none", None, "none"),
        ("release-manager", "write", "write"),  # a custom role: its base role counts
        (None, None, "none"),  # not a collaborator: 404
    ],
)
async def test_permission(
    gh: GitHubSession, role: str | None, base: str | None, expected: str
) -> None:
    if role is not None:
        gh.repo.set_permission("alice", role, base)

    assert await gh.client.permission("alice") == expected


async def test_permission_is_cached_for_60_seconds(gh: GitHubSession) -> None:
    gh.repo.set_permission("alice", "write")
    path = f"/repos/{REPO}/collaborators/alice/permission"

    assert await gh.client.permission("alice") == "write"
    gh.repo.set_permission("alice", "read")
    gh.clock.now += 59
    assert await gh.client.permission("Alice") == "write"
    assert len(gh.fake.requests_to("GET", path)) == 1

    gh.clock.now += 2
    assert await gh.client.permission("alice") == "read"
    assert len(gh.fake.requests_to("GET", path)) == 2


async def test_issue_and_pull_request_numbers_are_shared(gh: GitHubSession) -> None:
    issue = gh.repo.add_issue("Crash on start", "Steps: run it", "alice", labels=("honk",))
    pull = gh.repo.add_pull("feature", title="Add feature", user="bob")

    found_issue, found_pull = await gh.client.issue(issue), await gh.client.issue(pull)

    assert (found_issue.title, found_issue.body, found_issue.user) == (
        "Crash on start",
        "Steps: run it",
        "alice",
    )
    assert (found_issue.is_pull_request, found_pull.is_pull_request) == (False, True)
    assert found_pull.html_url.endswith(f"/{REPO}/pull/{pull}")


@pytest.mark.parametrize(
    ("head_repo", "expected"), [("", REPO), ("fork/widgets", "fork/widgets"), (None, None)]
)
async def test_pull_reports_where_its_head_lives(
    gh: GitHubSession, head_repo: str | None, expected: str | None
) -> None:
    if head_repo:
        gh.fake.add_repo(head_repo, installation_id=999)
    number = gh.repo.add_pull("patch-1", head_sha=SHA, head_repo=head_repo, draft=True)

    pull = await gh.client.pull(number)

    assert (pull.head_ref, pull.head_sha, pull.head_repo) == ("patch-1", SHA, expected)
    assert (pull.base_ref, pull.state, pull.merged, pull.draft) == ("main", "open", False, True)


async def test_repository_reports_the_clone_url_from_the_api(gh: GitHubSession) -> None:
    gh.repo.clone_url = "http://127.0.0.1:9999/octo/widgets.git"
    gh.repo.default_branch = "trunk"

    info = await gh.client.repository()

    assert (info.clone_url, info.default_branch, info.private) == (
        "http://127.0.0.1:9999/octo/widgets.git",
        "trunk",
        False,
    )


async def test_create_pull_reuses_an_open_pull_for_the_branch(gh: GitHubSession) -> None:
    existing = gh.repo.add_pull(BRANCH, title="Fix #1")

    pull = await gh.client.create_pull("Fix #1 again", "body", BRANCH, "main", draft=True)

    assert pull.number == existing
    [lookup] = gh.fake.requests_to("GET", f"/repos/{REPO}/pulls")
    assert lookup.query == {"state": "open", "head": f"octo:{BRANCH}"}
    assert gh.fake.requests_to("POST", f"/repos/{REPO}/pulls") == []


async def test_create_pull_opens_a_draft(gh: GitHubSession) -> None:
    gh.repo.refs[BRANCH] = SHA

    pull = await gh.client.create_pull("Fix #1", "Fixes #1", BRANCH, "main", draft=True)

    [create] = gh.fake.requests_to("POST", f"/repos/{REPO}/pulls")
    assert create.json == {
        "title": "Fix #1",
        "body": "Fixes #1",
        "head": BRANCH,
        "base": "main",
        "draft": True,
    }
    assert isinstance(pull, PullInfo)
    assert (pull.head_ref, pull.head_sha, pull.draft, pull.user) == (BRANCH, SHA, True, "honk[bot]")
    assert gh.repo.pulls[pull.number].title == "Fix #1"


@pytest.mark.parametrize(
    "body_fixture",
    [
        None,  # the fake's own answer: the PR exists but the first lookup missed it
        "create-pull-request.422.already-exists.observed-2022.json",
        "create-pull-request.422.already-exists.observed-current.json",
    ],
)
async def test_create_pull_after_already_exists_looks_up_again(
    gh: GitHubSession, body_fixture: str | None
) -> None:
    existing = gh.repo.add_pull(BRANCH, title="Fix #1", hidden_lookups=1)
    if body_fixture is not None:
        gh.fake.fail_next("POST", f"/repos/{REPO}/pulls", 422, fixture(body_fixture))

    pull = await gh.client.create_pull("Fix #1", "body", BRANCH, "main", draft=False)

    assert pull.number == existing
    assert len(gh.fake.requests_to("POST", f"/repos/{REPO}/pulls")) == 1
    assert len(gh.fake.requests_to("GET", f"/repos/{REPO}/pulls")) == 2


async def test_create_pull_with_a_missing_head_branch_fails(gh: GitHubSession) -> None:
    with pytest.raises(GitHubError, match=r"POST /repos/octo/widgets/pulls failed: 422 .*head"):
        await gh.client.create_pull("Fix", "body", "no-such-branch", "main", draft=False)


async def test_update_pull_sends_only_what_changes(gh: GitHubSession) -> None:
    number = gh.repo.add_pull(BRANCH, title="Old", body="Body stays")

    pull = await gh.client.update_pull(number, title="New")

    [update] = gh.fake.requests_to("PATCH", f"/repos/{REPO}/pulls/{number}")
    assert update.json == {"title": "New"}
    assert (pull.title, pull.body) == ("New", "Body stays")


@pytest.mark.parametrize(("exists", "deleted"), [(True, True), (False, False)])
async def test_delete_branch_tolerates_a_missing_ref(
    gh: GitHubSession, exists: bool, deleted: bool
) -> None:
    if exists:
        gh.repo.refs[BRANCH] = SHA

    assert await gh.client.delete_branch(BRANCH) is deleted

    assert BRANCH not in gh.repo.refs
    [request] = gh.fake.requests_to("DELETE", f"/repos/{REPO}/git/refs/heads/{BRANCH}")
    assert request.json is None


async def test_review_and_its_comments(gh: GitHubSession) -> None:
    number = gh.repo.add_pull(BRANCH, head_sha=SHA)
    review = gh.repo.add_review(number, "CHANGES_REQUESTED", "A few things", "alice")
    first = gh.repo.add_review_comment(
        number, "Rename x", "alice", review_id=review, path="app/x.py", line=3
    )
    reply = gh.repo.add_review_comment(
        number, "And y", "alice", review_id=review, path="app/x.py", line=3, in_reply_to_id=first
    )
    elsewhere = gh.repo.add_review(number, "COMMENTED", "Later", "bob")
    gh.repo.add_review_comment(number, "Not this one", "bob", review_id=elsewhere)

    info = await gh.client.review(number, review)
    comments = await gh.client.review_comments(number, review)

    assert info == ReviewInfo(review, "CHANGES_REQUESTED", "A few things", "alice", SHA)
    hunk = "@@ -1,1 +1,1 @@\n-old\n+new"
    assert comments == [
        ReviewComment(first, "Rename x", "alice", "app/x.py", 3, None, hunk),
        ReviewComment(reply, "And y", "alice", "app/x.py", 3, first, hunk),
    ]


async def test_reply_names_the_thread_the_head_and_the_file(gh: GitHubSession) -> None:
    number = gh.repo.add_pull(BRANCH)
    thread = gh.repo.add_review_comment(number, "Rename x", "alice", path="app/x.py", line=3)

    reply = await gh.client.reply_to_review_comment(
        number, thread, "Renamed in abc123.", commit_id=SHA, path="app/x.py"
    )

    [post] = gh.fake.requests_to("POST", f"/repos/{REPO}/pulls/{number}/comments")
    assert post.json == {
        "body": "Renamed in abc123.",
        "in_reply_to": thread,
        "commit_id": SHA,  # GitHub's description requires both; GitHub ignores them here
        "path": "app/x.py",
    }
    assert gh.fake.requests_to("POST", r".*/replies") == []
    stored = gh.repo.review_comments[reply]
    assert (stored.in_reply_to_id, stored.user, stored.path) == (thread, "honk[bot]", "app/x.py")


async def test_failed_check_runs_keep_only_failures(gh: GitHubSession) -> None:
    conclusions = [
        "success",
        "failure",
        "timed_out",
        "cancelled",
        "action_required",
        "neutral",
        "skipped",
        None,
    ]
    suite = gh.repo.add_check_suite(SHA, [(f"check-{c}", c) for c in conclusions])
    gh.repo.check_suites[suite].runs[1].title = "2 tests failed"

    failed = await gh.client.failed_check_runs(suite)

    assert [run.name for run in failed] == [
        "check-failure",
        "check-timed_out",
        "check-cancelled",
        "check-action_required",
    ]
    assert isinstance(failed[0], CheckRunInfo)
    assert failed[0].title == "2 tests failed"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [(None, "label: honk\n"), ("feature", "label: other\n"), ("missing", None)],
)
async def test_file_text_decodes_per_ref_and_none_when_absent(
    gh: GitHubSession, ref: str | None, expected: str | None
) -> None:
    gh.repo.set_file(".github/honk.yml", "label: honk\n")
    gh.repo.set_file(".github/honk.yml", "label: other\n", ref="feature")

    assert await gh.client.file_text(".github/honk.yml", ref=ref) == expected


async def test_file_text_decodes_multi_line_base64(gh: GitHubSession) -> None:
    text = "".join(f"line {n}: ünïcode\n" for n in range(200))
    gh.repo.set_file("AGENTS.md", text)

    assert await gh.client.file_text("AGENTS.md") == text


@pytest.mark.parametrize(
    ("content", "error"),
    [(b"x" * (1024 * 1024 + 1), "403"), (b"\xff\xfe binary", "not UTF-8 text")],
)
async def test_file_text_refuses_large_or_binary_files(
    gh: GitHubSession, content: bytes, error: str
) -> None:
    gh.repo.set_file("blob.bin", content)

    with pytest.raises(GitHubError, match=error):
        await gh.client.file_text("blob.bin")


async def test_file_text_refuses_a_file_github_reports_over_1_mib(gh: GitHubSession) -> None:
    body = fixture("get-content.200.file.constructed.json")
    body["size"] = 5 * 1024 * 1024
    gh.fake.fail_next("GET", f"/repos/{REPO}/contents/big.txt", 200, body)

    with pytest.raises(GitHubError, match="over the 1 MiB limit"):
        await gh.client.file_text("big.txt")


async def test_branch_protected_reads_the_branch(gh: GitHubSession) -> None:
    gh.repo.refs.update(main=SHA, feature=SHA)
    gh.repo.protected_branches.add("main")

    assert await gh.client.branch_protected("main") is True
    assert await gh.client.branch_protected("feature") is False
    assert await gh.client.branch_protected("gone") is False  # 404: no such branch
    assert [r.path for r in gh.fake.requests_to("GET", r"/repos/octo/widgets/branches/.*")] == [
        "/repos/octo/widgets/branches/main",
        "/repos/octo/widgets/branches/feature",
        "/repos/octo/widgets/branches/gone",
    ]
