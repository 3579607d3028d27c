"""A Slack job's messages as Block Kit: the status edited in place, the final message, and the
merge offer. Buttons carry what they act on in their value, so a click needs no lookup guess:

| action_id | value | shown |
|---|---|---|
| `honk_stop` | the job id | on the status while the job is queued or running |
| `honk_retry` | the job id | on the final message of a failed or stopped job |
| `honk_ready` · `honk_approve` · `honk_merge` | `owner/repo#N@HEAD_SHA` | the merge offer |

The merge offer's value pins the head SHA the buttons were shown for (`parse_merge_value` reads
it back), so a click acts on that commit only. Texts follow app/core/slack_mrkdwn.py's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from app.core.markdown import duration, money
from app.core.slack_mrkdwn import SlackMessage, actions, button, link, mention, message, short
from app.core.slack_requests import repo_error

ACTION_STOP = "honk_stop"
ACTION_RETRY = "honk_retry"
ACTION_READY = "honk_ready"
ACTION_APPROVE = "honk_approve"
ACTION_MERGE = "honk_merge"
JobState = Literal["queued", "working", "testing", "publishing", "done", "failed", "cancelled"]
STATUS_EDIT_SECONDS = 3.0  # the status is edited in place at most this often while it runs
RUNNING: frozenset[JobState] = frozenset({"queued", "working", "testing", "publishing"})
TestVerdict = Literal["passed", "failed", "none"]
_STATE_WORD: dict[JobState, str] = {
    "queued": "Queued",
    "working": "Working",
    "testing": "Testing",
    "publishing": "Publishing",
    "done": "Done",
    "failed": "Failed",
    "cancelled": "Stopped",
}
_VERDICT: dict[TestVerdict, str] = {
    "passed": "Tests passed",
    "failed": "Tests failed",
    "none": "No test command",
}
_MERGE_VALUE = re.compile(
    r"(?P<repo>[^#@\s]+/[^#@\s]+)#(?P<number>[1-9][0-9]{0,9})@(?P<sha>[0-9a-f]{40})"
)


@dataclass(frozen=True)
class JobStatus:
    """What the status message shows; `turns` and `cost_usd` so far."""

    job_id: int
    repo: str
    base_branch: str
    state: JobState
    turns: int = 0
    cost_usd: float = 0.0
    run_url: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How a job ended, for the final message. `pr_url` and the figures when it opened a PR."""

    job_id: int
    state: Literal["done", "failed", "cancelled"]
    seconds: float
    cost_usd: float
    pr_url: str | None = None
    pr_label: str = "PR"
    files_changed: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    tests: TestVerdict = "none"
    reason: str = ""  # why it failed (model or tool text is fine: it is made safe)
    updated: bool = False  # new commits on a PR that existed before the job
    failing: int | None = None  # failing tests, when the runner said how many
    unfinished: bool = False  # the agent stopped early; its work is on `pr_url` as WIP


@dataclass(frozen=True)
class MergeTarget:
    """The PR a merge button acts on, pinned to the head commit it was shown for."""

    repo: str
    number: int
    head_sha: str

    def value(self) -> str:
        return f"{self.repo}#{self.number}@{self.head_sha}"


def status_message(status: JobStatus) -> SlackMessage:
    """The status message for `status.state`, with a Stop button while the job runs."""
    job = link(status.run_url, f"job {status.job_id}")
    base = f" ({short(status.base_branch, 40)})" if status.base_branch else ""
    where = f"{short(status.repo, 100)}{base}"
    lines = [f"*{_STATE_WORD[status.state]}*: {where} · {job}"]
    if status.state != "queued" and (status.turns or status.cost_usd):
        noun = "turn" if status.turns == 1 else "turns"
        lines.append(f"{status.turns} {noun} · {money(status.cost_usd)}")
    if status.state not in RUNNING:
        return message(lines)
    stop = button(
        "Stop", ACTION_STOP, str(status.job_id), "danger", confirm=f"Stop job {status.job_id}?"
    )
    return message(lines, actions(stop, block_id=f"honk_job_{status.job_id}"))


def status_edit_due(last_edit_at: float | None, now: float, state: JobState) -> bool:
    """Whether to edit the status now: the first time, when the job ended, or 3 s after the last."""
    if last_edit_at is None or state not in RUNNING:
        return True
    return now - last_edit_at >= STATUS_EDIT_SECONDS


def final_message(outcome: Outcome, requester: str | None) -> SlackMessage:
    """The NEW message when a job ends: it mentions the requester, the PR link first.

    A failed or stopped job gets its reason and a Retry button; an unfinished one (its work
    pushed as WIP) also links the PR that holds it.
    """
    who = mention(requester)
    head = f"{who} " if who else ""
    figures = f"Took {duration(outcome.seconds)} · {money(outcome.cost_usd)}"
    if outcome.state == "done" and outcome.pr_url:
        changed = "file" if outcome.files_changed == 1 else "files"
        return message(
            [
                f"{head}PR {'updated' if outcome.updated else 'ready'}: "
                f"{link(outcome.pr_url, short(outcome.pr_label, 60))}",
                f"{outcome.files_changed} {changed} changed, "
                f"+{outcome.lines_added} −{outcome.lines_removed}",
                verdict_line(outcome),
                figures,
            ]
        )
    if outcome.state == "done":
        return message([f"{head}Job {outcome.job_id} done: no change was needed.", figures])
    ended = "stopped" if outcome.state == "cancelled" else "failed"
    ended = "unfinished" if outcome.unfinished else ended
    reason = short(outcome.reason, 280) if outcome.reason else ""
    lines = [f"{head}Job {outcome.job_id} {ended}" + (f": {reason}" if reason else ".")]
    if outcome.unfinished and outcome.pr_url:
        lines.append(f"Work so far (WIP): {link(outcome.pr_url, short(outcome.pr_label, 60))}")
    retry = button("Retry", ACTION_RETRY, str(outcome.job_id), "primary")
    return message([*lines, figures], actions(retry, block_id=f"honk_retry_{outcome.job_id}"))


def verdict_line(outcome: Outcome) -> str:
    """`Tests passed`, `Tests failed (3 failing)`, `Tests failed` or `No test command`."""
    if outcome.tests == "failed" and outcome.failing is not None:
        return f"Tests failed ({outcome.failing} failing)"
    return _VERDICT[outcome.tests]


def merge_offer(
    target: MergeTarget, pr_url: str | None, *, draft: bool, mergeable: bool | None
) -> SlackMessage:
    """After the head's checks passed: Ready for review while a draft; Approve and Merge when
    GitHub reports the PR free of conflicts. Every button's value pins `target.head_sha`."""
    pr = link(pr_url, f"{short(target.repo, 100)}#{target.number}")
    head = f"{pr}: checks passed on {target.head_sha[:7]}."
    value = target.value()
    if draft:
        ready = button("Ready for review", ACTION_READY, value, "primary")
        return message([head, "It is a draft."], actions(ready))
    if mergeable is None:
        return message([head, "GitHub is still checking for conflicts."])
    if not mergeable:
        return message([head, "It conflicts with its base: resolve it on GitHub."])
    approve = button("Approve", ACTION_APPROVE, value)
    merge = button(
        "Merge",
        ACTION_MERGE,
        value,
        "primary",
        confirm=f"Merge {short(target.repo, 100)}#{target.number} at {target.head_sha[:7]}?",
    )
    return message([head], actions(approve, merge))


def parse_merge_value(value: str) -> MergeTarget | None:
    """The `MergeTarget` a merge-offer button carries, or None when `value` is not one."""
    match = _MERGE_VALUE.fullmatch(value)
    if match is None or repo_error(match["repo"]) is not None:
        return None
    return MergeTarget(match["repo"], int(match["number"]), match["sha"])


def parse_job_value(value: str) -> int | None:
    """The job id a Stop or Retry button carries, or None when `value` is not one."""
    return int(value) if re.fullmatch(r"[1-9][0-9]{0,18}", value) else None
