"""`/honk fix [notes]` on a pull request: the agent commits the fix to that PR's own branch.

Only branches of this repository: a PR from a fork gets a refusal that says so (Honk's token
cannot, and must not, push to someone else's repository). Nor the default branch or a
protected branch: a PR whose head is one of them gets a refusal, and nothing is pushed.
On a PR Honk opened, the title's `[tests failing]` prefix and the unfinished note follow the
verdict; a person's PR keeps its title and body as they wrote them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from app.agent.prompts import task_prompt
from app.core import messages
from app.core.errors import FlowError
from app.flows.context import JobContext
from app.flows.continuation import memory_of
from app.flows.finish import finish, refresh_pull
from app.flows.fix_issue import NO_CHANGE
from app.flows.job import JobRun, Result, is_honk_pull, run_job
from app.flows.report import Ending


async def run(ctx: JobContext) -> Result:
    return await run_job(ctx, fix_pr)


async def fix_pr(run: JobRun) -> Result:
    config = await run.config()
    info = await run.repo.repository()
    current = await run.repo.pull(run.number)
    pull = current
    if run.command.title is not None:  # the text the `/honk fix` delivery carried
        pull = replace(pull, title=run.command.title, body=run.command.body or "")
    if pull.head_repo != info.full_name:
        await run.reporter.finish(
            messages.fork_refusal(pull.head_repo or "another repository"),
            Ending("failed", reason="the PR's branch is in a fork: Honk does not push to forks"),
        )
        return {"refused": "fork", "head_repo": pull.head_repo}
    if (refused := await branch_refusal(run, pull.head_ref, info.default_branch)) is not None:
        protected = refused == "protected"
        await run.reporter.finish(
            messages.branch_refusal(pull.head_ref, protected=protected),
            Ending("failed", reason=f"Honk does not push to the PR's branch {pull.head_ref}"),
        )
        return {"refused": refused, "branch": pull.head_ref}
    plan = await run.pull_plan(
        info,
        pull,
        system=await run.system_prompt(info, config),
        task=task_prompt(
            title=f"Pull request #{pull.number}: {pull.title}",
            body=pull.body or "",
            notes=run.notes(),
            extra_context=f"Work on the pull request's branch `{pull.head_ref}`; "
            f"it will be merged into `{pull.base_ref}`.",
            kind="pr_fix",
            memory=await memory_of(run, pull.head_ref),
        ),
    )
    work = await run.work(config, plan)
    if work.sha is None:
        raise FlowError(NO_CHANGE)
    if await is_honk_pull(run.ctx, pull.number):  # a person's PR keeps its title and body
        pull = await refresh_pull(run, current, work)
    if await run.services.pulls.get(run.command.repo, pull.number) is not None:
        await run.services.pulls.reset_ci_attempts(run.command.repo, pull.number)
    return await finish(run, pull, work, updated=True)


async def branch_refusal(
    run: JobRun, branch: str, default_branch: str
) -> Literal["default", "protected"] | None:
    """Why Honk must not push to `branch`, or None when it may."""
    if branch == default_branch:
        return "default"
    return "protected" if await run.repo.branch_protected(branch) else None
