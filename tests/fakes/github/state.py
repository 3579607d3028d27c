"""The fake GitHub's state: repositories with issues, PRs, comments, reviews, checks, files."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}


@dataclass
class FakeIssue:
    number: int
    title: str
    body: str
    user: str
    labels: list[str] = field(default_factory=list)
    state: str = "open"


@dataclass
class FakePull:
    number: int
    title: str
    body: str
    user: str
    head_ref: str
    head_sha: str
    head_repo: str | None  # full name; None: the fork was deleted
    base_ref: str
    state: str = "open"
    merged: bool = False
    draft: bool = False
    mergeable: bool | None = None  # GitHub's answer; None while it computes it
    hidden_lookups: int = 0  # list calls that miss it yet (GitHub's replication lag)


@dataclass
class FakeComment:
    id: int
    number: int
    body: str
    user: str


@dataclass
class FakeReaction:
    id: int
    subject: str  # "issue" or "comment"
    subject_id: int
    content: str
    user: str


@dataclass
class FakeReview:
    id: int
    number: int
    state: str
    body: str
    user: str
    commit_id: str


@dataclass
class FakeReviewComment:
    id: int
    number: int
    review_id: int | None
    body: str
    user: str
    path: str
    line: int | None
    in_reply_to_id: int | None
    diff_hunk: str
    commit_id: str


@dataclass
class FakeCheckRun:
    id: int
    name: str
    conclusion: str | None
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    details_url: str | None = None
    recorded: dict[str, Any] | None = None  # a recorded check run served as-is (id etc. patched)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    log: bytes | None = None  # GitHub Actions: the job's log (the job id is the check run id)


@dataclass
class FakeCheckSuite:
    id: int
    head_sha: str
    runs: list[FakeCheckRun]


@dataclass
class Permission:
    role_name: str
    permission: str  # the legacy base role GitHub reports next to role_name


@dataclass
class MergeRules:
    """Branch protection of the base branch and the merge methods the repository allows."""

    required_approvals: int = 0
    required_checks: tuple[str, ...] = ()
    allow_squash: bool = True
    allow_merge: bool = True
    allow_rebase: bool = True


@dataclass
class FakeRepo:
    """One repository; numbers are shared by issues and PRs, ids come from the fake's counter."""

    id: int
    full_name: str
    installation_id: int
    default_branch: str
    clone_url: str
    private: bool
    ids: Iterator[int]
    issues: dict[int, FakeIssue] = field(default_factory=dict)
    pulls: dict[int, FakePull] = field(default_factory=dict)
    comments: dict[int, FakeComment] = field(default_factory=dict)
    reactions: list[FakeReaction] = field(default_factory=list)
    reviews: dict[int, FakeReview] = field(default_factory=dict)
    review_comments: dict[int, FakeReviewComment] = field(default_factory=dict)
    check_suites: dict[int, FakeCheckSuite] = field(default_factory=dict)
    # workflow run id -> its artifacts as (id, name)
    run_artifacts: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # branch -> sha
    protected_branches: set[str] = field(default_factory=set)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (ref, path) -> bytes
    permissions: dict[str, Permission] = field(default_factory=dict)  # login (lower) -> role
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    merging: MergeRules = field(default_factory=MergeRules)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    def add_issue(
        self, title: str, body: str = "", user: str = "octocat", labels: tuple[str, ...] = ()
    ) -> int:
        number = next(self.numbers)
        self.issues[number] = FakeIssue(number, title, body, user, list(labels))
        return number

    def edit_issue(self, number: int, *, title: str | None = None, body: str | None = None) -> None:
        """An edit of an issue's (or PR's) title or body, as its author makes one on GitHub."""
        item = self.issues.get(number) or self.pulls[number]
        item.title = item.title if title is None else title
        item.body = item.body if body is None else body

    def add_pull(
        self,
        head_ref: str,
        *,
        title: str = "A change",
        body: str = "",
        user: str = "octocat",
        head_sha: str = "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        head_repo: str | None = "",
        base_ref: str | None = None,
        draft: bool = False,
        hidden_lookups: int = 0,
    ) -> int:
        """A PR from `head_ref` (same repository unless `head_repo` names a fork)."""
        number = next(self.numbers)
        repo = self.full_name if head_repo == "" else head_repo
        base = base_ref or self.default_branch
        self.pulls[number] = FakePull(
            number,
            title,
            body,
            user,
            head_ref,
            head_sha,
            repo,
            base,
            draft=draft,
            hidden_lookups=hidden_lookups,
        )
        if repo == self.full_name:
            self.refs.setdefault(head_ref, head_sha)
        return number

    def add_comment(self, number: int, body: str, user: str) -> int:
        comment = FakeComment(next(self.ids), number, body, user)
        self.comments[comment.id] = comment
        return comment.id

    def add_review(
        self, number: int, state: str, body: str, user: str, commit_id: str | None = None
    ) -> int:
        sha = commit_id or self.pulls[number].head_sha
        review = FakeReview(next(self.ids), number, state, body, user, sha)
        self.reviews[review.id] = review
        return review.id

    def add_review_comment(
        self,
        number: int,
        body: str,
        user: str,
        *,
        review_id: int | None = None,
        path: str = "README.md",
        line: int | None = 1,
        in_reply_to_id: int | None = None,
        diff_hunk: str = "@@ -1,1 +1,1 @@\n-old\n+new",
    ) -> int:
        sha = self.pulls[number].head_sha
        comment = FakeReviewComment(
            next(self.ids),
            number,
            review_id,
            body,
            user,
            path,
            line,
            in_reply_to_id,
            diff_hunk,
            sha,
        )
        self.review_comments[comment.id] = comment
        return comment.id

    def add_check_suite(self, head_sha: str, runs: list[tuple[str, str | None]]) -> int:
        """A suite of check runs given as (name, conclusion); returns the suite id."""
        suite_id = next(self.ids)
        checks = [FakeCheckRun(next(self.ids), name, conclusion) for name, conclusion in runs]
        self.check_suites[suite_id] = FakeCheckSuite(suite_id, head_sha, checks)
        return suite_id

    def check_run(self, check_run_id: int) -> FakeCheckRun | None:
        runs = (run for suite in self.check_suites.values() for run in suite.runs)
        return next((run for run in runs if run.id == check_run_id), None)

    def set_file(self, path: str, content: str | bytes, ref: str | None = None) -> None:
        data = content.encode() if isinstance(content, str) else content
        self.files[(ref or self.default_branch, path)] = data

    def set_permission(self, login: str, role_name: str, base: str | None = None) -> None:
        """`role_name` is admin/maintain/write/triage/read/none or a custom role (give `base`)."""
        legacy = base or LEGACY_PERMISSION[role_name]
        self.permissions[login.lower()] = Permission(role_name, legacy)

    def thread_root(self, comment_id: int) -> FakeReviewComment:
        comment = self.review_comments[comment_id]
        while comment.in_reply_to_id is not None:
            comment = self.review_comments[comment.in_reply_to_id]
        return comment
