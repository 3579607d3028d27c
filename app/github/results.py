"""What the GitHub adapter returns: plain frozen records, built from githubkit's models."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from githubkit.utils import Unset
from githubkit_schemas.latest.models import (
    Artifact,
    CheckAnnotation,
    CheckRun,
    FullRepository,
    Issue,
    PullRequest,
    PullRequestReview,
    PullRequestSimple,
    SimpleUser,
)
from githubkit_schemas.latest.models import ReviewComment as GitHubReviewComment

T = TypeVar("T")
GHOST = "ghost"  # the login GitHub shows for a deleted account
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "action_required"})
ACTIONS_APP = "github-actions"
ACTIONS_JOB_URL = re.compile(r"/actions/runs/\d+/job/(\d+)(?:[/?#]|$)")


@dataclass(frozen=True)
class RepoInfo:
    full_name: str
    clone_url: str
    default_branch: str
    private: bool


@dataclass(frozen=True)
class IssueInfo:
    number: int
    title: str
    body: str
    user: str
    is_pull_request: bool
    html_url: str


@dataclass(frozen=True)
class PullInfo:
    number: int
    title: str
    body: str
    user: str
    head_ref: str
    head_sha: str
    head_repo: str | None  # full name; None when the fork was deleted
    base_ref: str
    state: str
    merged: bool
    draft: bool
    html_url: str
    mergeable: bool | None = None  # None: GitHub has not computed it yet (or a listing)


@dataclass(frozen=True)
class ReviewInfo:
    id: int
    state: str
    body: str
    user: str
    commit_id: str | None


@dataclass(frozen=True)
class ReviewComment:
    id: int
    body: str
    user: str
    path: str
    line: int | None
    in_reply_to_id: int | None
    diff_hunk: str


@dataclass(frozen=True)
class CheckRunInfo:
    id: int
    name: str
    conclusion: str | None
    title: str | None
    summary: str | None
    text: str | None
    details_url: str | None
    app_slug: str | None = None
    job_id: int | None = None  # the GitHub Actions job behind the run (None: another CI)


@dataclass(frozen=True)
class ArtifactInfo:
    """One artifact a workflow run uploaded (an expired one can no longer be downloaded)."""

    id: int
    name: str
    expired: bool


@dataclass(frozen=True)
class AnnotationInfo:
    """One annotation of a check run: where, how bad, and what it says."""

    path: str
    start_line: int
    level: str
    title: str
    message: str


def given(value: T | Unset | None, default: T) -> T:
    """`value`, or `default` when GitHub left the field out or null."""
    return default if value is None or isinstance(value, Unset) else value


def login_of(user: SimpleUser | None) -> str:
    return user.login if user is not None else GHOST


def repo_info(repo: FullRepository) -> RepoInfo:
    return RepoInfo(repo.full_name, repo.clone_url, repo.default_branch, repo.private)


def issue_info(issue: Issue) -> IssueInfo:
    return IssueInfo(
        number=issue.number,
        title=issue.title,
        body=given(issue.body, ""),
        user=login_of(issue.user),
        is_pull_request=given(issue.pull_request, None) is not None,
        html_url=issue.html_url,
    )


def pull_info(pull: PullRequest | PullRequestSimple) -> PullInfo:
    merged = pull.merged if isinstance(pull, PullRequest) else pull.merged_at is not None
    return PullInfo(
        number=pull.number,
        title=pull.title,
        body=pull.body or "",
        user=login_of(pull.user),
        head_ref=pull.head.ref,
        head_sha=pull.head.sha,
        head_repo=pull.head.repo.full_name if pull.head.repo is not None else None,
        base_ref=pull.base.ref,
        state=pull.state,
        merged=merged,
        draft=given(pull.draft, False),
        html_url=pull.html_url,
        mergeable=pull.mergeable if isinstance(pull, PullRequest) else None,
    )


def review_info(review: PullRequestReview) -> ReviewInfo:
    return ReviewInfo(review.id, review.state, review.body, login_of(review.user), review.commit_id)


def review_comment(comment: GitHubReviewComment) -> ReviewComment:
    return ReviewComment(
        id=comment.id,
        body=comment.body,
        user=login_of(comment.user),
        path=comment.path,
        line=given(comment.line, None),
        in_reply_to_id=given(comment.in_reply_to_id, None),
        diff_hunk=comment.diff_hunk,
    )


def check_run_info(run: CheckRun) -> CheckRunInfo:
    return CheckRunInfo(
        id=run.id,
        name=run.name,
        conclusion=run.conclusion,
        title=run.output.title,
        summary=run.output.summary,
        text=run.output.text,
        details_url=run.details_url,
        app_slug=app_slug(run),
        job_id=actions_job_id(run),
    )


def actions_job_id(run: CheckRun) -> int | None:
    """The Actions job id: from the run's details URL (`.../actions/runs/R/job/J`), or, for a
    run of the Actions app, the run's own id (Actions gives its jobs their check run's id)."""
    found = ACTIONS_JOB_URL.search(run.details_url or "")
    if found:
        return int(found.group(1))
    return run.id if app_slug(run) == ACTIONS_APP else None


def app_slug(run: CheckRun) -> str | None:
    """The slug of the app that made the run (`github-actions` for Actions)."""
    return (given(run.app.slug, "") or None) if run.app is not None else None


def annotation_info(note: CheckAnnotation) -> AnnotationInfo:
    return AnnotationInfo(
        path=note.path,
        start_line=note.start_line,
        level=note.annotation_level or "",
        title=note.title or "",
        message=note.message or "",
    )


def artifact_info(artifact: Artifact) -> ArtifactInfo:
    return ArtifactInfo(artifact.id, artifact.name, artifact.expired)
