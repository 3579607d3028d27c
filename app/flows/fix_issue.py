"""Label `honk` or `/honk fix` on an issue: branch `honk/issue-N`, the agent, a PR "Fixes #N".

Publishing is idempotent: a PR already open for the branch is updated rather than opened
again (a retried job, or a second request), and a branch left by an attempt that died before
its PR existed is overwritten (`--force-with-lease`), since Honk alone writes to it. A job on
the open PR's branch continues from it: when an earlier job left its work unfinished there,
the task says so (app/flows/continuation.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from app.agent.prompts import task_prompt
from app.core import messages
from app.core.errors import FlowError
from app.core.pr_texts import unmark_unfinished, verdict_title, with_tests_section
from app.core.progress import run_url
from app.core.repo_config import RepoConfig
from app.flows.context import JobContext
from app.flows.continuation import memory_of
from app.flows.finish import failing, finish, note_for, refresh_pull, verdict_of
from app.flows.job import JobRun, Result, run_job
from app.flows.work import WorkPlan, WorkResult
from app.github.client import PullInfo, RepoInfo
from app.store.pulls import PullRecord

NO_CHANGE = "the agent finished without changing any file, so there is nothing to push"


async def run(ctx: JobContext) -> Result:
    return await run_job(ctx, fix_issue)


async def fix_issue(run: JobRun) -> Result:
    branch = f"{run.services.settings.branch_prefix}issue-{run.number}"
    config, info, existing = await first_reads(run, branch)
    issue = await as_requested(run)
    if (
        existing is not None
        and existing.user.lower() != (await run.services.github.bot_login()).lower()
    ):
        raise FlowError(
            f"pull request #{existing.number} by @{existing.user} already uses the branch "
            f"`{branch}`; Honk does not push to branches it did not create"
        )
    memory = "" if existing is None else await memory_of(run, branch)
    plan = WorkPlan(
        clone_url=info.clone_url,
        token=await run.token(),
        base_branch=info.default_branch,
        branch=branch,
        existing_branch=existing is not None,
        force_push=existing is None,
        system=await run.system_prompt(info, config),
        task=task_prompt(
            title=issue.title,
            body=issue.body or "",
            notes=run.notes(),
            kind="issue",
            memory=memory,
        ),
        co_author=run.co_author(run.command.sender, run.command.sender_id),
    )
    work = await run.work(config, plan)
    if work.sha is None:
        if existing is None or not memory:
            raise FlowError(NO_CHANGE)
        return await finish_continued(run, existing, work)
    pull = await publish(run, config, info, issue, existing, work, branch)
    await remember(run, pull, issue, branch)
    return await finish(run, pull, work, updated=existing is not None)


@dataclass(frozen=True)
class Requested:
    """The issue as the job works on it: its number, title and body."""

    number: int
    title: str
    body: str


async def finish_continued(run: JobRun, pull: PullInfo, work: WorkResult) -> Result:
    """Unfinished work that a later run found complete (no new change): its PR no longer says
    unfinished and shows this run's verdict, and the job ends done."""
    body = with_tests_section(unmark_unfinished(pull.body), verdict_of(work))
    pull = await refresh_pull(run, pull, work, body)
    return await finish(run, pull, work, updated=True)


async def first_reads(run: JobRun, branch: str) -> tuple[RepoConfig, RepoInfo, PullInfo | None]:
    """The settings, the repository and the branch's open PR: three independent reads, asked
    of GitHub at once (one round trip of waiting, not three). The first failure, in that
    order, is raised once all three have answered."""
    config, info, existing = await asyncio.gather(
        run.config(), run.repo.repository(), run.repo.find_open_pull(branch),
        return_exceptions=True,
    )  # fmt: skip
    for result in (config, info, existing):
        if isinstance(result, BaseException):
            raise result
    assert isinstance(config, RepoConfig) and isinstance(info, RepoInfo)
    assert existing is None or isinstance(existing, PullInfo)
    return config, info, existing


async def as_requested(run: JobRun) -> Requested:
    """The issue with the title and body its trigger carried (a later edit is not followed);
    a job queued by an older Honk carries none, so GitHub's current text is read then."""
    title, body = run.command.title, run.command.body
    if title is not None:
        return Requested(run.number, title, body or "")
    issue = await run.repo.issue(run.number)
    return Requested(issue.number, issue.title, issue.body)


async def publish(
    run: JobRun,
    config: RepoConfig,
    info: RepoInfo,
    issue: Requested,
    existing: PullInfo | None,
    work: WorkResult,
    branch: str,
) -> PullInfo:
    """Open the PR (or refresh the open one) with the summary, the changes and the verdict;
    unfinished work opens a draft whatever the settings say."""
    body = messages.pr_body(
        summary=work.agent.summary,
        changes=list(work.changed),
        tests=verdict_of(work),
        issue_number=issue.number,
        run_url=run_url(run.services.settings.public_url, run.ctx.job.id),
        cost_usd=work.agent.cost_usd,
        unfinished=note_for(work),
    )
    if existing is not None:
        return await refresh_pull(run, existing, work, body)
    return await run.repo.create_pull(
        title=verdict_title(messages.pr_title(issue.title, issue.number), failing(work)),
        body=body,
        head=branch,
        base=info.default_branch,
        draft=config.draft or work.unfinished,
        looked=True,  # no open PR from the branch when the job began (`existing`)
    )


async def remember(run: JobRun, pull: PullInfo, issue: Requested, branch: str) -> None:
    """The PR ↔ issue link and the task, for the reviews and CI fixes that follow."""
    command = run.command
    task = f"{issue.title}\n\n{issue.body or ''}\n\n{run.notes()}".strip()
    record = PullRecord(
        repo=command.repo, number=pull.number, issue_number=issue.number, branch=branch,
        requester=command.sender, requester_id=command.sender_id, task=task, state="open",
        ci_fix_attempts=0,
    )  # fmt: skip
    await run.services.pulls.record(record)
    await run.services.pulls.reset_ci_attempts(command.repo, pull.number)
