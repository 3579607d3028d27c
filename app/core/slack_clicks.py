"""What a button click in Slack decides without I/O, and the short texts it answers with.

The two-person rule reads the PR's reviews as GitHub counts them: each reviewer's latest
approving, change-requesting or dismissed review (a comment neither grants nor withdraws an
approval). The merge method follows what the repository allows, squash first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from app.core import slack_texts
from app.core.markdown import login as github_login
from app.core.slack_mrkdwn import link, mention, short

DECIDING = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})
MergeMethod = Literal["squash", "merge", "rebase"]
MERGE_PREFERENCE: tuple[MergeMethod, ...] = ("squash", "merge", "rebase")


def approvers(reviews: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Logins (lower case) whose latest deciding review approves; `reviews` as (login, state),
    oldest first."""
    latest: dict[str, str] = {}
    for user, state in reviews:
        if state.upper() in DECIDING:
            latest[user.lower()] = state.upper()
    return frozenset(user for user, state in latest.items() if state == "APPROVED")


def needs_other_approver(approved_by: frozenset[str], requester: str | None) -> bool:
    """The two-person rule: no approval from anyone but the requester."""
    others = approved_by - {(requester or "").lower()}
    return not others


def merge_method(squash: bool, merge: bool, rebase: bool) -> MergeMethod | None:
    """The method to merge with: squash when allowed, then a merge commit, then rebase."""
    allowed = {"squash": squash, "merge": merge, "rebase": rebase}
    return next((method for method in MERGE_PREFERENCE if allowed[method]), None)


def _who(login: str) -> str:
    return short(github_login(login) or "someone", 39)


def merged_with(login: str, method: str) -> str:
    """`Merged by mona (squash)`: the line in the thread."""
    return f"{slack_texts.merged(login)} ({short(method, 10)})"


def ready_for_review(login: str) -> str:
    return f"Ready for review: marked by {_who(login)}"


def retried(user_id: str, old_job: int, new_job: int) -> str:
    who = mention(user_id)
    by = f" by {who}" if who else ""
    return f"Retry{by}: job {old_job} queued again as job {new_job}."


def head_moved(what: str, shown_sha: str, head_sha: str) -> str:
    """A click for a commit that is no longer the PR's head."""
    return (
        f"Not {short(what, 30)}: the head moved from {shown_sha[:7]} to {head_sha[:7]}.\n"
        "Wait for the new offer in this thread."
    )


def no_merge_method() -> str:
    return "Merge refused: the repository allows no merge method."


def not_open(what: str, state: str) -> str:
    return f"Not {short(what, 30)}: the PR is {short(state, 20)}."


def already_ready() -> str:
    return "It is already ready for review."


def link_again(url: str) -> str:
    """The person's GitHub authorization expired and cannot be refreshed."""
    return "\n".join(
        (link(url, "Connect GitHub again"), "Honk's access to your GitHub account expired.")
    )


def stale_button() -> str:
    return "This button no longer names anything Honk can act on."


def no_such_job(job_id: int) -> str:
    return f"Job {job_id} is not Honk's any more."


def job_ended(job_id: int, state: str) -> str:
    return f"Job {job_id} already ended ({short(state, 12)})."


def job_not_ended(job_id: int) -> str:
    return f"Job {job_id} is still queued or running: Stop it first."


def nothing_to_retry(job_id: int) -> str:
    return f"Job {job_id} carried no request to retry."


def no_public_url() -> str:
    return "Honk cannot make a link: HONK_PUBLIC_URL is not set."
