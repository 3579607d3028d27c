"""A task asked for in Slack, with no issue: the agent's work as a draft PR, reported in the thread.

Its lifecycle is the shared one (app/flows/job.py) with no issue to comment on: every coalesced
request's sender is authorized again (linked, write access), and the job speaks only in its
Slack thread (app/flows/slack_report.py).

- The thread already has an open PR (on this repository): the agent commits to that PR's branch
  (never force-pushed), the PR body is refreshed, and the final message says "updated".
- Otherwise: branch `honk/slack-<job id>`, the agent, a DRAFT PR titled from the agent's summary
  whose body says who asked in Slack, quotes the request and links the thread; the linked person
  co-authors the commit; the PR goes into Honk's records (reviews iterate on it as on any Honk
  PR) and is attached to the thread.

The Slack text reaches the agent as data, fenced (`slack_task_prompt`). When the agent changes
nothing the job fails (final message with Retry): a task asked for in Slack expects a change, and
the agent's reason is in the failure. When it stops early after changing something, its WIP is
pushed and the PR says it is unfinished; Retry continues on the thread's PR (its branch).
"""

from __future__ import annotations

import logging

from app.agent.prompts import slack_task_prompt
from app.core import messages
from app.core.commands import SlackOrigin
from app.core.errors import FlowError, HonkError
from app.core.pr_texts import RETRY_IN_SLACK, verdict_title
from app.core.progress import run_url
from app.core.repo_config import RepoConfig
from app.flows.context import JobContext
from app.flows.continuation import memory_of
from app.flows.finish import failing, finish, note_for, refresh_pull, verdict_of
from app.flows.fix_issue import NO_CHANGE
from app.flows.fix_pr import branch_refusal
from app.flows.job import JobRun, Result, run_job
from app.flows.slack_report import SlackReport
from app.flows.work import WorkPlan, WorkResult
from app.github.client import PullInfo, RepoInfo
from app.store.pulls import PullRecord

log = logging.getLogger("honk.flows")
SUMMARY_REASON_CHARS = 200  # of the agent's summary, in the failure when it changed nothing


async def run(ctx: JobContext) -> Result:
    if ctx.job.command.slack is None:
        raise FlowError("a slack_task job needs the Slack thread it was asked in")
    return await run_job(ctx, slack_task, on_issue=False)


async def slack_task(run: JobRun) -> Result:
    config = await run.config()
    info = await run.repo.repository()
    system = await run.system_prompt(info, config)
    pull = await thread_pull(run, info)
    if pull is not None:
        return await follow_up(run, config, info, pull, system)
    return await new_task(run, config, info, system)


def origin_of(run: JobRun) -> SlackOrigin:
    origin = run.command.slack
    if origin is None:
        raise FlowError("a slack_task job needs the Slack thread it was asked in")
    return origin


def thread_root(run: JobRun) -> str | None:
    """The thread the job speaks in (a slash command's starts at its status message)."""
    listener = run.reporter.listener
    if isinstance(listener, SlackReport) and listener.thread is not None:
        return listener.thread
    return origin_of(run).thread


async def thread_pull(run: JobRun, info: RepoInfo) -> PullInfo | None:
    """The thread's PR on this repository while it is open; None: the task opens a new one."""
    origin, root = origin_of(run), thread_root(run)
    if root is None:
        return None
    thread = await run.services.slack_records.thread(origin.team, origin.channel, root)
    if thread is None or thread.pr_number is None or thread.repo != run.command.repo:
        return None
    pull = await run.repo.pull(thread.pr_number)
    if pull.state != "open" or pull.merged or pull.head_repo != info.full_name:
        return None
    if await branch_refusal(run, pull.head_ref, info.default_branch) is not None:
        raise FlowError(f"Honk does not push to the branch `{pull.head_ref}` of #{pull.number}")
    return pull


async def follow_up(
    run: JobRun, config: RepoConfig, info: RepoInfo, pull: PullInfo, system: str
) -> Result:
    """New commits on the thread's PR, its body refreshed, its record's task extended."""
    context = (
        f"This continues pull request #{pull.number} ({pull.title}) on its branch "
        f"`{pull.head_ref}`; it will be merged into `{pull.base_ref}`."
    )
    memory = await memory_of(run, pull.head_ref)
    task = slack_task_prompt(request=run.notes(), extra_context=context, memory=memory)
    plan = await run.pull_plan(info, pull, system=system, task=task)
    work = await run.work(config, plan)
    if work.sha is None:
        raise FlowError(no_change(work))
    record = await run.services.pulls.get(run.command.repo, pull.number)
    asked = run.notes() if record is None else f"{record.task}\n\n{run.notes()}".strip()
    login = run.command.sender if record is None else record.requester
    pull = await refresh_pull(run, pull, work, await pr_body(run, work, login, asked))
    if record is not None:
        await run.services.pulls.record(
            PullRecord(**{**record.__dict__, "task": asked, "state": "open"})
        )
        await run.services.pulls.reset_ci_attempts(run.command.repo, pull.number)
    return await finish(run, pull, work, updated=True)


async def new_task(run: JobRun, config: RepoConfig, info: RepoInfo, system: str) -> Result:
    """Branch `honk/slack-<job id>`, the agent, a draft PR; recorded and attached to the thread.

    A retried attempt finds the PR an earlier one opened (by its branch) and refreshes it.
    """
    command = run.command
    branch = f"{run.services.settings.branch_prefix}slack-{run.ctx.job.id}"
    existing = await run.repo.find_open_pull(branch)
    plan = WorkPlan(
        clone_url=info.clone_url,
        token=await run.token(),
        base_branch=info.default_branch,
        branch=branch,
        existing_branch=existing is not None,
        force_push=existing is None,
        system=system,
        task=slack_task_prompt(request=run.notes()),
        co_author=run.co_author(command.sender, command.sender_id),
    )
    work = await run.work(config, plan)
    if work.sha is None:
        raise FlowError(no_change(work))
    pull = await publish(run, info, existing, work, branch)
    await remember(run, pull, branch)
    return await finish(run, pull, work, updated=False)


async def publish(
    run: JobRun, info: RepoInfo, existing: PullInfo | None, work: WorkResult, branch: str
) -> PullInfo:
    """The draft PR (always a draft for a Slack task), or the one an earlier attempt opened."""
    body = await pr_body(run, work, run.command.sender, run.notes())
    if existing is not None:
        return await refresh_pull(run, existing, work, body)
    summary = "" if work.unfinished else work.agent.summary  # a WIP is titled by the request
    return await run.repo.create_pull(
        title=verdict_title(messages.slack_pr_title(summary, run.notes()), failing(work)),
        body=body,
        head=branch,
        base=info.default_branch,
        draft=True,
        looked=True,  # no open PR from the branch when the job began (`existing`)
    )


async def remember(run: JobRun, pull: PullInfo, branch: str) -> None:
    """The PR in Honk's records (reviews and CI fixes follow it) and in the thread's row."""
    command, origin = run.command, origin_of(run)
    record = PullRecord(
        repo=command.repo, number=pull.number, issue_number=None, branch=branch,
        requester=command.sender, requester_id=command.sender_id, task=run.notes(),
        state="open", ci_fix_attempts=0,
    )  # fmt: skip
    await run.services.pulls.record(record)
    root = thread_root(run)
    if root is not None:
        await run.services.slack_records.attach_pull(origin.team, origin.channel, root, pull.number)


async def pr_body(run: JobRun, work: WorkResult, login: str, request: str) -> str:
    """The usual PR body, led by who asked in Slack, the request quoted and the thread linked."""
    return messages.pr_body(
        summary=work.agent.summary,
        changes=list(work.changed),
        tests=verdict_of(work),
        issue_number=None,
        run_url=run_url(run.services.settings.public_url, run.ctx.job.id),
        cost_usd=work.agent.cost_usd,
        intro=messages.slack_intro(login, request, await permalink(run)),
        unfinished=note_for(work, retry_hint=RETRY_IN_SLACK),
    )


async def permalink(run: JobRun) -> str | None:
    """The thread's permalink, best effort (the PR is opened without it when Slack fails)."""
    origin, root = origin_of(run), thread_root(run)
    if root is None:
        return None
    try:
        return await run.services.slack.permalink(origin.channel, root)
    except HonkError as exc:
        log.warning("no permalink", extra={"job": run.ctx.job.id, "error": str(exc)})
        return None


def no_change(work: WorkResult) -> str:
    """Why a task with no change fails: the agent's own first words, when it gave some."""
    said = " ".join(work.agent.summary.split())[:SUMMARY_REASON_CHARS]
    return f"{NO_CHANGE}. The agent said: {said}" if said else NO_CHANGE
