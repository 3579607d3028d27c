"""How an agent job's work shows on its pull request, and the job's last word about it.

The verdict: the title carries `[tests failing] ` while the tests fail (added and taken off on
Honk's own PRs, never on a person's), the body's Tests section says passed, failed with the
count, or no test command, and the last word (GitHub, Slack) says it too. Unfinished work (the
agent stopped early; its WIP commit pushed) leaves the title as it is, puts a note saying so
and why at the top of the body, and ends the job with `Unfinished`: cancelled after a stop,
failed otherwise, with no retry by the queue (`/honk retry` continues from the branch).
"""

from __future__ import annotations

from typing import NoReturn

from app.core import messages
from app.core.errors import Unfinished
from app.core.pr_texts import (
    RETRY_ON_GITHUB,
    mark_unfinished,
    unfinished_note,
    unmark_unfinished,
    verdict_section,
    verdict_title,
)
from app.core.verdict import verdict_text
from app.flows.agent_run import short_reason
from app.flows.checkpoint import WorkResult
from app.flows.job import JobRun, Result
from app.flows.report import Ending
from app.github.client import PullInfo


def failing(work: WorkResult) -> bool:
    """Whether the verdict is a failure (an unfinished run has none)."""
    return not work.unfinished and work.tests is not None and not work.tests.passed


def verdict_of(work: WorkResult) -> str:
    return verdict_section(work.tests, work.fix_rounds, unfinished=work.unfinished)


def note_for(work: WorkResult, *, summary: bool = False, retry_hint: str = RETRY_ON_GITHUB) -> str:
    """The unfinished note of the PR body ("" for finished work); with the summary so far when
    the note goes in front of a body Honk does not rewrite."""
    if not work.unfinished:
        return ""
    agent = work.agent
    said = agent.summary if summary else None
    return unfinished_note(
        agent.reason, agent.turns, agent.cost_usd, summary=said, retry_hint=retry_hint
    )


async def refresh_pull(run: JobRun, pull: PullInfo, work: WorkResult, body: str = "") -> PullInfo:
    """Honk's own PR after new work: the verdict's title prefix toggled (unfinished work keeps
    the title), and `body` (else the current body with the unfinished note put in or taken
    out); one PATCH, only when the title or the body changes."""
    title = pull.title if work.unfinished else verdict_title(pull.title, failing(work))
    if not body:
        note = note_for(work, summary=True)
        body = mark_unfinished(pull.body, note) if note else unmark_unfinished(pull.body)
    new_title = title if title != pull.title else None
    new_body = body if body != pull.body else None
    if new_title is None and new_body is None:
        return pull
    return await run.repo.update_pull(pull.number, title=new_title, body=new_body)


async def finish(run: JobRun, pull: PullInfo, work: WorkResult, *, updated: bool) -> Result:
    """The job's last word on `pull`: done with the verdict, or (raised) unfinished."""
    if work.unfinished:
        await end_unfinished(run, pull, work, updated=updated)
    await run.reporter.step("pr_opened", pr_url=pull.html_url, shown=False)  # the last word says it
    label = f"{run.command.repo}#{pull.number}"
    ending = Ending("done", pr_url=pull.html_url, pr_label=label, updated=updated, work=work)
    text = messages.final_success(
        pull.number, pull.html_url, work.agent.cost_usd, job_id=run.ctx.job.id,
        turns=work.agent.turns, elapsed_seconds=run.reporter.elapsed, updated=updated,
        tests=verdict_text(work.tests),
    )  # fmt: skip
    await run.reporter.finish(text, ending)
    return work_result(pull, work)


async def end_unfinished(
    run: JobRun, pull: PullInfo, work: WorkResult, *, updated: bool
) -> NoReturn:
    """One last word saying the work is unfinished and where it is; then `Unfinished`."""
    agent, label = work.agent, f"{run.command.repo}#{pull.number}"
    stopped = agent.status == "cancelled"
    text = messages.final_unfinished(
        agent.reason, pull.number, pull.html_url, agent.cost_usd, agent.turns,
        draft=pull.draft, job_id=run.ctx.job.id,
    )  # fmt: skip
    ending = Ending(
        "cancelled" if stopped else "failed", reason=agent.reason, pr_url=pull.html_url,
        pr_label=label, updated=updated, work=work, unfinished=True,
    )  # fmt: skip
    await run.reporter.finish(text, ending)
    raise Unfinished(
        f"unfinished ({short_reason(agent)}): {agent.reason}; the work so far is on {label}",
        stopped=stopped,
    )


def work_result(pull: PullInfo, work: WorkResult) -> Result:
    """What an agent job records: the PR, the commit, the summary (memory), the cost and the
    verdict (passed or not, failing tests when counted, fix rounds used)."""
    tests = work.tests
    return {
        "pr": pull.number,
        "pr_url": pull.html_url,
        "sha": work.sha,
        "summary": work.agent.summary,
        "turns": work.agent.turns,
        "cost_usd": work.agent.cost_usd,
        "tests": None if tests is None else tests.passed,
        "failures": None if tests is None else tests.failures,
        "fix_rounds": work.fix_rounds,
        "verdict": verdict_text(tests),
    }
