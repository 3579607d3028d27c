"""CI failed on a Honk PR's head commit: bounded attempts to fix it, then stop and say so.

For a GitHub Actions job (whose check run output is empty) the agent gets the run's annotations
and the tail of the job's log instead.

Not a person's request: the check suite's sender is usually a CI bot, so no permission check
applies. What authorizes the work is that the PR is one Honk opened for someone with write
access (it is in Honk's own records). Attempts count per PR (`ci_fix_attempts` in
`.github/honk.yml`, default 2); a person's `/honk fix` or review starts the count over. A suite
for a commit that is no longer the PR's head is stale and ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.agent.prompts import task_prompt
from app.core import messages, slack_texts
from app.core.errors import FlowError
from app.flows import slack_lines
from app.flows.context import JobContext
from app.flows.continuation import memory_of
from app.flows.finish import finish, refresh_pull
from app.flows.fix_issue import NO_CHANGE
from app.flows.job import JobRun, Result, run_job
from app.github.client import AnnotationInfo, CheckRunInfo, RepoClient
from app.store.pulls import PullRecord

CHECK_OUTPUT_CHARS = 6000
LOG_TAIL_CHARS = 8000
MAX_REPORTED_RUNS = 5  # failed runs described to the agent (logs are read for these only)


@dataclass(frozen=True)
class FailureReport:
    """One failed check run with what GitHub Actions keeps outside it."""

    check: CheckRunInfo
    annotations: tuple[AnnotationInfo, ...] = ()
    log_tail: str | None = None  # the Actions job's log tail; None for other CI or no log


async def run(ctx: JobContext) -> Result:
    command = ctx.job.command
    if command.number is None or await ctx.services.pulls.get(command.repo, command.number) is None:
        return {"skipped": "not a pull request Honk opened"}
    return await run_job(ctx, ci_fix, authorize=False, acknowledge=False)


async def ci_fix(run: JobRun) -> Result:
    record = await run.services.pulls.get(run.command.repo, run.number)
    assert record is not None  # checked before the job started talking
    config = await run.config()
    pull = await run.repo.pull(run.number)
    if pull.state != "open" or pull.head_sha != run.command.head_sha:
        return {"skipped": "stale check suite: the pull request moved on"}
    await slack_lines.tell_threads(
        run.services,
        record.repo,
        pull.number,
        lambda: slack_lines.ci_failed_line(run.repo, pull),
        f"ci:{pull.head_sha}",
    )
    if record.ci_fix_attempts >= config.ci_fix_attempts:
        return await give_up(run, record, config.ci_fix_attempts)
    await run.services.pulls.add_ci_attempt(record.repo, record.number)
    await run.reporter.step("working")
    info = await run.repo.repository()
    failed = await run.repo.failed_check_runs(run.command.check_suite_id or 0)
    reports = [await failure_report(run.repo, check) for check in failed[:MAX_REPORTED_RUNS]]
    plan = await run.pull_plan(
        info,
        pull,
        system=await run.system_prompt(info, config),
        task=task_prompt(
            title=f"CI fails on pull request #{pull.number}: {pull.title}",
            body=checks_text(reports),
            extra_context=f"Original task:\n{record.task}",
            kind="ci_fix",
            memory=await memory_of(run, pull.head_ref),
        ),
        author=run.co_author(record.requester, record.requester_id),
    )
    work = await run.work(config, plan)
    if work.sha is None:
        raise FlowError(NO_CHANGE)
    pull = await refresh_pull(run, pull, work)
    result = await finish(run, pull, work, updated=True)
    line = slack_texts.ci_fixed(work.sha, slack_lines.commit_url(pull, work.sha))
    await slack_lines.tell_threads(
        run.services, record.repo, pull.number, line, f"ci_fixed:{work.sha}"
    )
    return {**result, "ci_attempt": record.ci_fix_attempts + 1}


async def give_up(run: JobRun, record: PullRecord, limit: int) -> Result:
    """Say once per PR head that the attempts are used up, then count one more so later
    failures stay silent. Said first, counted after: an attempt that failed to say it leaves
    the count for the next attempt, which finds the comment (its marker names the head) if
    it was made after all."""
    if record.ci_fix_attempts == limit:
        head = run.command.head_sha or ""
        text = messages.ci_fix_limit_reached(limit, head_sha=head)
        await run.repo.create_comment_once(run.number, "ci-limit", text, head=head)
        await run.services.pulls.add_ci_attempt(record.repo, record.number)
    return {"skipped": f"CI-fix attempts used up ({limit})"}


async def failure_report(repo: RepoClient, check: CheckRunInfo) -> FailureReport:
    """A failed run, with its annotations and, for a GitHub Actions job, its log tail."""
    if check.job_id is None:
        return FailureReport(check)
    notes = await repo.annotations(check.id)
    tail = await repo.job_log_tail(check.job_id, max_chars=LOG_TAIL_CHARS)
    return FailureReport(check, tuple(notes), tail)


def checks_text(reports: Sequence[FailureReport]) -> str:
    """The failing check runs with their output, annotations and log tails, for the agent."""
    if not reports:
        return "The check suite failed, but GitHub listed no failing check run."
    return "\n\n".join(_report_text(report) for report in reports)


def _report_text(report: FailureReport) -> str:
    check = report.check
    output = "\n".join(p for p in (check.title, check.summary, check.text) if p)
    empty = "(no output)" if not report.annotations and not report.log_tail else ""
    parts = [
        f"Check `{check.name}` ended {check.conclusion}:",
        output[-CHECK_OUTPUT_CHARS:] or empty,
    ]
    if report.annotations:
        parts.append("Annotations:")
        parts += [
            f"- {n.path}:{n.start_line} ({n.level}) {' '.join([n.title, n.message]).strip()}"
            for n in report.annotations
        ]
    if report.log_tail:
        parts.append(f"Log tail of the job:\n{report.log_tail}")
    return "\n".join(p for p in parts if p)
