"""Every short text Honk posts in Slack besides a job's status: usage, refusals, the PR's later
life (one line per event) and the `jobs` list. Third person, phone-sized, the link first.

Others' text in them (task words, check names, environment names, logins) is made `safe`
(app/core/slack_mrkdwn.py): it can neither notify anyone nor leak a secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.markdown import login as github_login
from app.core.markdown import money
from app.core.slack_mrkdwn import link, mention, safe, short
from app.core.slack_requests import NEEDS_REPOSITORY

MAX_JOB_LINES = 10
MAX_NAMED_CHECKS = 3
MAX_ARTIFACTS = 5
PERMISSION_NEEDED = "write, maintain or admin"

HELP = "\n".join(
    (
        "*Honk* opens PRs from Slack. Write `/honk …`, mention Honk, or DM:",
        "`owner/repo the task…` a new task, draft PR",
        "`owner/repo#12 notes…` fix issue or PR 12",
        "`the task…` on this channel's repository",
        "`repo owner/repo` set this channel's repository",
        "`link` · `unlink` connect or disconnect GitHub",
        "`jobs` recent jobs · `help` this text",
        "A reply in a job's thread that mentions Honk follows up on its PR.",
    )
)


@dataclass(frozen=True)
class Check:
    """One check run of a PR's head commit."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class Artifact:
    """One build artifact of the head's workflow runs."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class JobLine:
    """One job in the `jobs` list."""

    job_id: int
    repo: str
    number: int | None
    state: str
    cost_usd: float
    pr_url: str | None = None


def help_text() -> str:
    return HELP


def link_first(url: str) -> str:
    """The answer to someone not linked yet: the single-use link first."""
    return "\n".join(
        (
            link(url, "Connect GitHub"),
            "Honk acts on GitHub only for linked accounts.",
            "The link works once, for 10 minutes.",
        )
    )


def sign_in_not_set_up(missing: Sequence[str]) -> str:
    """The answer to `link` while GitHub sign-in is not configured: what to set (names only)."""
    names = ", ".join(f"`{short(name, 30)}`" for name in missing) or "the sign-in settings"
    return "\n".join(
        (
            "GitHub sign-in is not set up on this Honk yet.",
            f"An admin sets {names}",
            "(the GitHub App's OAuth client; see the README).",
        )
    )


def not_installed(repo: str) -> str:
    """The answer when the GitHub App has no installation on `repo` (or cannot see it)."""
    return "\n".join(
        (
            f"Honk is not installed on {short(repo, 140)}.",
            "An owner installs the GitHub App on it first.",
        )
    )


def not_found(repo: str, number: int) -> str:
    """The answer to `owner/repo#N` when GitHub has no issue or PR N there."""
    return f"No issue or PR {short(repo, 140)}#{number} on GitHub."


def thread_is_for(repo: str) -> str:
    """The answer to a request naming another repository in a job's thread."""
    return "\n".join(
        (
            f"This thread works on {short(repo, 140)}.",
            "For another repository, start a new message.",
        )
    )


def joined_queued(job_id: int) -> str:
    """A follow-up added to the thread's job that has not started yet."""
    return f"Added to job {job_id}, which has not started yet."


def linked(login: str) -> str:
    return f"Linked to GitHub as {short(github_login(login) or login, 39)}."


def unlinked() -> str:
    return "GitHub disconnected. `link` connects it again."


def no_write_access(repo: str, login: str) -> str:
    """The answer to a linked person without enough permission on `repo`."""
    who = short(github_login(login) or login, 39)
    return "\n".join(
        (
            f"No write access to {short(repo, 140)} for GitHub {who}.",
            f"Needs {PERMISSION_NEEDED} permission on it.",
        )
    )


def name_a_repository() -> str:
    """The answer when no repository could be resolved: how to name one, never a guess."""
    return NEEDS_REPOSITORY


def channel_repository_set(repo: str) -> str:
    return f"This channel's repository is now {short(repo, 140)}."


def request_error(reason: str) -> str:
    """A parse error (`Unknown.reason`, `Empty.reason`: it quotes the person), then usage."""
    usage = "" if "`help`" in reason else "\n`help` shows what Honk understands."
    return safe(reason) + usage


def github_refused(what: str, message: str) -> str:
    """An action GitHub refused (`what`: "merge", "approve", ...), as GitHub said it."""
    said = short(message, 200) if message.strip() else "no reason given"
    return f"GitHub refused to {short(what, 30)}:\n{said}"


def other_approver_needed() -> str:
    """`slack.merge_requires_other_approver`: the only approval is the requester's."""
    return "\n".join(
        (
            "Merge refused: the only approval is the requester's.",
            "This repository needs another person's approval.",
        )
    )


def stopped_by(user_id: str | None) -> str:
    """A line in the thread when someone pressed Stop."""
    who = mention(user_id)
    return f"Stopped by {who}." if who else "Stopped."


def review_addressed(sha: str, commit_url: str | None) -> str:
    return f"Review addressed: {link(commit_url, sha[:7])}"


def ci_result(passed: Sequence[Check], failed: Sequence[Check], run_url: str | None) -> str:
    """`CI passed: 5 checks` or `CI failed: 2 of 5 checks: lint, tests` with links."""
    total = len(passed) + len(failed)
    noun = "check" if total == 1 else "checks"
    if not failed:
        return f"CI passed: {link(run_url, f'{total} {noun}')}"
    names = [link(c.url, short(c.name, 30)) for c in failed[:MAX_NAMED_CHECKS]]
    more = len(failed) - MAX_NAMED_CHECKS
    tail = f" +{more} more" if more > 0 else ""
    return f"CI failed: {len(failed)} of {total} {noun}: {', '.join(names)}{tail}"


def ci_fixed(sha: str, commit_url: str | None) -> str:
    return f"CI fixed: {link(commit_url, sha[:7])}"


def approved(login: str) -> str:
    return f"Approved by {short(github_login(login) or 'someone', 39)}"


def merged(login: str | None) -> str:
    who = github_login(login or "")
    return f"Merged by {who}" if who else "Merged"


def closed() -> str:
    return "Closed without merging"


def deployment_ready(environment: str, environment_url: str) -> str:
    """A successful `deployment_status`: the environment's URL first."""
    return f"{link(environment_url, 'Preview ready')}: {short(environment or 'deployment', 40)}"


def artifacts(found: Sequence[Artifact]) -> str:
    """The head's build artifacts, linked; the first few by name."""
    if not found:
        return "No build artifacts"
    names = [link(a.url, short(a.name, 30)) for a in found[:MAX_ARTIFACTS]]
    more = len(found) - MAX_ARTIFACTS
    return "Artifacts: " + ", ".join(names) + (f" +{more} more" if more > 0 else "")


def jobs_list(jobs: Sequence[JobLine]) -> str:
    """The `jobs` answer: newest first as given, at most `MAX_JOB_LINES`."""
    if not jobs:
        return "No jobs yet. `help` shows how to start one."
    lines = ["Recent jobs:"]
    for job in jobs[:MAX_JOB_LINES]:
        target = short(job.repo, 40) + (f"#{job.number}" if job.number else "")
        pr = f" · {link(job.pr_url, 'PR')}" if job.pr_url else ""
        lines.append(
            f"Job {job.job_id}: {target} · {short(job.state, 12)} · {money(job.cost_usd)}{pr}"
        )
    return "\n".join(lines)
