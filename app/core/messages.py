"""Every final text Honk posts on GitHub: answers, last words, replies (and, re-exported from
app/core/pr_texts.py, the PR title and body).

Each body is led by a hidden marker (app/core/markdown.py); text written by others is defused.
Texts speak of Honk in the third person and never claim to be a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.core.commands import JobKind
from app.core.markdown import code, defuse, duration, login, marker, money
from app.core.model_text import GITHUB_BODY_LIMIT, outbound
from app.core.pr_texts import MAX_TITLE_CHARS as MAX_TITLE_CHARS
from app.core.pr_texts import pr_body as pr_body
from app.core.pr_texts import pr_title as pr_title
from app.core.pr_texts import slack_intro as slack_intro
from app.core.pr_texts import slack_pr_title as slack_pr_title

FLOW_NAMES: Mapping[JobKind, str] = {
    "fix_issue": "fix issues",
    "fix_pr": "commit fixes to pull requests",
    "address_review": "address reviews",
    "approved": "record approvals",
    "pr_closed": "record merged or closed pull requests",
    "ci_fix": "fix failing CI",
    "stop": "stop jobs",
    "retry": "retry jobs",
    "help": "show its usage",
    "slack_request": "answer Slack requests",
    "slack_task": "work on Slack tasks",
    "slack_action": "act on Slack buttons",
    "pr_event": "report pull request events in Slack",
}
REASON_CHARS = 20000  # a failure's reason in a last word


def help_text(
    unknown: str | None = None, *, label: str = "honk", job_id: int | str | None = None
) -> str:
    """Usage: every command and trigger; names the unknown word when there is one."""
    lines = [marker("help", job=job_id)]
    if unknown is not None:
        lines += [f"Honk does not know the command {code('/honk ' + unknown[:40])}.", ""]
    lines += [
        "Honk is an automated agent that turns issues into pull requests. "
        "It acts for people with write access:",
        "",
        "| you | Honk |",
        "|---|---|",
        f"| label an issue {code(label)}, or comment `/honk fix [notes]` on it "
        "| opens a draft pull request that fixes it |",
        "| comment `/honk fix [notes]` on a pull request "
        "| commits a fix to its branch (not on forks) |",
        "| review a Honk pull request (comments or changes requested) "
        "| addresses every comment, pushes, replies in each thread |",
        "| approve, merge or close a Honk pull request | records it; people merge, never Honk |",
        "| CI fails on a Honk pull request | tries a bounded number of fixes, then stops |",
        "| `/honk stop` | cancels the job running here |",
        "| `/honk retry` | runs the last job here again |",
        "| `/honk help` | shows this |",
    ]
    return "\n".join(lines)


def final_success(
    pr_number: int,
    pr_url: str,
    cost_usd: float,
    *,
    job_id: int | str | None = None,
    turns: int | None = None,
    elapsed_seconds: float | None = None,
    updated: bool = False,
    tests: str | None = None,
) -> str:
    """The job's last word when it produced a pull request (new, or `updated` with new commits);
    `tests` is the verdict's line (`app/core/verdict.py`'s `verdict_text`)."""
    did = "pushed new commits to" if updated else "opened"
    figures = [money(cost_usd)]
    figures += [] if turns is None else [f"{turns} turns"]
    figures += [] if elapsed_seconds is None else [duration(elapsed_seconds)]
    lines = [
        marker("done", job=job_id, pr=pr_number),
        f"Honk {did} pull request [#{pr_number}]({pr_url}) · {' · '.join(figures)}",
    ]
    lines += [] if tests is None else [f"Tests: {defuse(tests)}"]
    lines += ["", "Review it like any pull request: Honk answers reviews on it; people merge."]
    return "\n".join(lines)


def final_unfinished(
    reason: str,
    pr_number: int,
    pr_url: str,
    cost_usd: float,
    turns: int,
    *,
    draft: bool = True,
    job_id: int | str | None = None,
) -> str:
    """The job's last word when the agent stopped early and its work went out as WIP."""
    why = outbound(" ".join(reason.split()), REASON_CHARS).rstrip(".")
    where = f"{'draft ' if draft else ''}PR [#{pr_number}]({pr_url})"
    return (
        f"{marker('unfinished', job=job_id, pr=pr_number)}\n"
        f"Honk stopped before finishing: {why}. The unfinished work is on {where} · "
        f"{money(cost_usd)} · {turns} turns. Comment `/honk retry` to continue from it."
    )


def review_answered(threads: int, *, job_id: int | str) -> str:
    """The job's last word on a review that needed answers but no code change."""
    noun = "thread" if threads == 1 else "threads"
    return (
        f"{marker('answered', job=job_id)}\n"
        f"Honk changed no code for this review and answered in {threads} {noun}."
    )


def final_failure(reason: str, retry_hint: bool = True, *, job_id: int | str | None = None) -> str:
    """The job's last word when it stopped without a result."""
    why = outbound(reason.strip(), REASON_CHARS)
    lines = [marker("failed", job=job_id), f"Honk could not finish: {why}"]
    if retry_hint:
        lines += ["", "Comment `/honk retry` to run it again."]
    return "\n".join(lines)


def retrying(reason: str, attempt: int, max_attempts: int, *, job_id: int | str) -> str:
    """A failed attempt that the queue will run again (the comment is taken over then)."""
    return (
        f"{marker('retrying', job=job_id)}\n"
        f"Honk hit a problem on attempt {attempt} of {max_attempts}: "
        f"{outbound(reason.strip(), REASON_CHARS)}\n\nHonk tries again automatically."
    )


def cancelled(by: str | None = None, *, job_id: int | str | None = None) -> str:
    """The job's last word when someone stopped it."""
    asker = login(by or "")
    who = f" as @{asker} asked" if asker else ""
    job = f" job {job_id}" if job_id is not None else " its job"
    return f"{marker('cancelled', job=job_id)}\nHonk stopped{job}{who}."


def stop_ack(ids: Sequence[int | str], *, job_id: int | str | None = None) -> str:
    """Answer to `/honk stop` (job `job_id`) when there are jobs to cancel."""
    if not ids:
        return nothing_to_stop(job_id=job_id)
    listed = ", ".join(str(job_id) for job_id in ids)
    noun = "job" if len(ids) == 1 else "jobs"
    return (
        f"{marker('stop', job=job_id)}\nHonk is stopping {noun} {listed}: the running "
        "command ends within seconds; changes made so far are kept as unfinished work."
    )


def nothing_to_stop(*, job_id: int | str | None = None) -> str:
    return f"{marker('stop', job=job_id)}\nHonk has no queued or running job here to stop."


def nothing_to_retry(*, job_id: int | str | None = None) -> str:
    text = "Honk has no earlier job here to retry. Comment `/honk fix` to start one."
    return f"{marker('retry', job=job_id)}\n{text}"


def fork_refusal(head_repo: str) -> str:
    """Answer to `/honk fix` on a pull request whose branch lives in another repository."""
    return (
        f"{marker('refused', reason='fork')}\n"
        f"Honk does not push to forks: this pull request's branch is in {code(head_repo)}. "
        "Honk only commits to branches of this repository."
    )


def branch_refusal(branch: str, *, protected: bool) -> str:
    """Answer to `/honk fix` on a pull request whose branch is the default or a protected one."""
    what = "a protected branch" if protected else "the repository's default branch"
    reason = "protected-branch" if protected else "default-branch"
    return (
        f"{marker('refused', reason=reason)}\n"
        f"Honk does not push to {what}: this pull request's branch is {code(branch)}. "
        "Honk commits only to a pull request's own working branch; nothing was pushed."
    )


def invalid_config(path: str, field: str, problem: str) -> str:
    """Answer when the repository's Honk settings file cannot be used."""
    where = f"{code(field)} in {code(path)}" if field else code(path)
    return (
        f"{marker('config')}\nHonk cannot run: {where} is invalid: {defuse(problem.strip())}\n\n"
        "Fix it on the default branch, then comment `/honk retry`."
    )


def ci_fix_limit_reached(attempts: int, *, head_sha: str | None = None) -> str:
    """Last word on CI fixes: the bounded attempts are used up (said once per PR head)."""
    tries = "attempt" if attempts == 1 else "attempts"
    return (
        f"{marker('ci-limit', attempts=attempts, head=head_sha)}\n"
        f"CI still fails after {attempts} fix {tries} by Honk. Honk stops here: "
        "the failure needs a person."
    )


def flow_not_built(kind: JobKind) -> str:
    """Answer when a job of `kind` has no flow in this version."""
    what = FLOW_NAMES.get(kind, code(kind))
    return (
        f"{marker('not-built', flow=kind)}\n"
        f"Honk cannot {what} yet: this version has no flow for {code(kind)}. Nothing was changed."
    )


def review_reply(text: str, *, comment_id: int | None = None, job_id: int | None = None) -> str:
    """Honk's reply in a review thread (the model's words, signed as Honk's): secrets redacted,
    within GitHub's limit; its marker names the thread and the job, so a retried job finds the
    reply it already made."""
    head, sign = marker("reply", comment=comment_id, job=job_id), "<sub>Honk, automated agent</sub>"
    body = outbound(text.strip(), GITHUB_BODY_LIMIT - len(head) - len(sign) - 3)
    return f"{head}\n{body}\n\n{sign}"
