"""The agent's work on a branch: worktree, setup, agent, tests, guards, commit and push.

Nothing is pushed unless the agent finished (a budget, a refusal or a cancel pushes nothing),
the guards found nothing (workflow files, secrets, size) and there is a change at all. A stop
ends the running setup, agent or test command at once, and is asked once more before the push.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from app.agent.loop import AgentLimits, AgentResult, TurnInfo
from app.core.config import Secret, Settings
from app.core.errors import Cancelled, FlowError, ModelError, WorkspaceError
from app.core.guards import describe
from app.core.repo_config import RepoConfig
from app.flows.agent_run import (
    AgentRequest,
    commit_message,
    run_agent,
    sandbox_binds,
)
from app.flows.change_guard import guard_change
from app.flows.checkpoint import (
    RepoTests,
    WorkResult,
    checkpoint_of,
    restored,
)
from app.flows.context import unless_stopped
from app.flows.report import Reporter
from app.flows.services import Services
from app.flows.setup_run import run_setup
from app.flows.tool_dir import ToolDir
from app.sandbox.sandbox import Sandbox
from app.store.jobs import Job
from app.workspace.worktree import Worktree

__all__ = ["RepoTests", "Stop", "WorkPlan", "WorkResult", "do_work", "limits_for"]


@dataclass(frozen=True)
class WorkPlan:
    """Where to work and what to tell the agent."""

    clone_url: str
    token: Secret
    base_branch: str
    branch: str
    existing_branch: bool  # True: check out the branch as it is on the remote (a PR's branch)
    force_push: bool  # True only for Honk's own branch with no open PR (a retried first push)
    system: str
    task: str
    co_author: str  # "login <email>" of the person who asked


def limits_for(config: RepoConfig, settings: Settings, spent_usd: float = 0.0) -> AgentLimits:
    """The repository's budgets, never above the server's (HONK_MAX_* are the ceiling); the
    USD budget is the job's, across attempts (`spent_usd` by the earlier ones)."""
    return AgentLimits(
        max_turns=min(config.max_turns, settings.max_turns),
        max_usd=min(config.max_usd, settings.max_usd),
        max_seconds=min(config.max_minutes, settings.max_minutes) * 60,
        spent_usd=spent_usd,
    )


@dataclass(frozen=True)
class Stop:
    """How a job is stopped: the event the heartbeat sets, and asking the database now."""

    event: asyncio.Event
    check: Callable[[], Awaitable[bool]]


async def do_work(
    services: Services,
    job: Job,
    config: RepoConfig,
    plan: WorkPlan,
    reporter: Reporter,
    stop: Stop,
) -> WorkResult:
    """Run the agent on a fresh worktree of `plan.branch`; push what it made.

    The agent runs once per job: a later attempt publishes the work an earlier one finished
    (its checkpoint). The agent result's cost is the job's, every attempt's spend included.
    """
    saved = job.checkpoint
    if saved is not None and saved.get("pushed"):
        return restored(saved)
    workspace = await services.workspace(plan.token)
    tools = ToolDir.for_job(services.settings.data_dir, f"job-{job.id}")
    tree = await workspace.prepare(
        plan.clone_url,
        token=plan.token,
        base_branch=plan.base_branch,
        job_id=f"job-{job.id}",
        branch=plan.branch,
        existing_branch=plan.existing_branch,
    )
    try:
        await tools.make()
        work = await _resumed(tree, saved) if saved is not None else None
        if work is None:
            work = await _fresh(services, (tree, tools), job, config, plan, reporter, stop)
            if work.sha is not None:  # a failed push is retried without the agent
                await services.queue.set_checkpoint(job.id, checkpoint_of(work, pushed=False))
        if work.sha is not None:
            await reporter.publishing()
            if await stop.check():
                raise Cancelled("stop requested before the push")
            expect = await _own_tip(tree, workspace.git_email) if plan.force_push else None
            await tree.push(token=plan.token, expect=expect, force=plan.force_push)
        await services.queue.set_checkpoint(job.id, checkpoint_of(work, pushed=True))
        return work
    finally:
        await tree.remove()
        await tools.remove()


async def _fresh(
    services: Services,
    where: tuple[Worktree, ToolDir],
    job: Job,
    config: RepoConfig,
    plan: WorkPlan,
    reporter: Reporter,
    stop: Stop,
) -> WorkResult:
    """Setup, agent and tests, each ended at once by a stop; then the guards and the commit.

    All three run with the job's tool directory as HOME; only setup reaches the network, and
    only the allowed registries (app/flows/setup_run.py).
    """
    sandbox, (tree, tools) = services.sandbox(), where
    setup = run_setup(sandbox, tree, config, tools, services.egress)
    await unless_stopped(stop.event, setup, "the setup")
    session = _agent(services, sandbox, where, job, config, plan, reporter, stop)
    result = await unless_stopped(stop.event, session, "the agent's run")
    await reporter.step("testing")
    tests = await unless_stopped(stop.event, _tests(sandbox, where, config), "the tests")
    return await _commit(tree, config, plan, result, tests)


async def _resumed(tree: Worktree, saved: dict[str, Any]) -> WorkResult | None:
    """An earlier attempt's unpushed commit, checked out from the repository cache (None when
    the cache no longer has it: the agent runs again)."""
    try:
        await tree.git("reset", "-q", "--hard", str(saved["sha"]))
    except WorkspaceError:
        return None
    return restored(saved)


async def _agent(
    services: Services,
    sandbox: Sandbox,
    where: tuple[Worktree, ToolDir],
    job: Job,
    config: RepoConfig,
    plan: WorkPlan,
    reporter: Reporter,
    stop: Stop,
) -> AgentResult:
    settings, job_id, spent_usd = services.settings, job.id, job.cost_usd
    tree, tools = where
    request = AgentRequest(
        system=plan.system,
        task=plan.task,
        limits=limits_for(config, settings, spent_usd),
        transcript=settings.transcripts_dir.resolve() / f"job-{job_id}.jsonl",
        model=config.model,
    )

    async def on_turn(info: TurnInfo) -> None:
        job_spend = replace(info, cost_usd=spent_usd + info.cost_usd)
        await services.queue.set_cost(job_id, job_spend.cost_usd)  # kept if the job fails later
        await reporter.turn(job_spend)

    session = await run_agent(
        settings, sandbox, tree, request, on_turn=on_turn, cancel_check=stop.check,
        env=tools.env(), binds=tools.binds(),
    )  # fmt: skip
    result = session.agent
    result = replace(result, cost_usd=spent_usd + result.cost_usd)
    await services.queue.set_cost(job_id, result.cost_usd)
    _raise_unless_submitted(result)
    return result


def _raise_unless_submitted(result: AgentResult) -> None:
    if result.status == "cancelled":
        raise Cancelled(result.reason or "cancelled")
    if result.status == "error":
        raise ModelError(result.reason)  # retried: the model service may answer later
    if result.status != "submitted":
        raise FlowError(f"the agent stopped ({result.status}): {result.reason}")


async def _tests(
    sandbox: Sandbox, where: tuple[Worktree, ToolDir], config: RepoConfig
) -> RepoTests | None:
    tree, tools = where
    if config.test is None:
        return None
    done = await sandbox.run(
        tree.path, config.test, timeout=config.test_timeout, env=tools.env(),
        binds=[*sandbox_binds(tree), *tools.binds()],
    )  # fmt: skip
    return RepoTests(config.test, done.exit_code == 0 and not done.timed_out, done.output)


async def _commit(
    tree: Worktree,
    config: RepoConfig,
    plan: WorkPlan,
    result: AgentResult,
    tests: RepoTests | None,
) -> WorkResult:
    """The agent's change as one commit, unless the guards refuse it (nothing to push: None)."""
    changed = tuple(await tree.changed_paths())
    if not changed:
        return WorkResult(result, None, (), tests)
    violations = await guard_change(tree, changed, config)
    if violations:
        raise FlowError(describe(violations))
    sha = await tree.commit_all(commit_message(result), co_authors=(plan.co_author,))
    lines = (0, 0) if sha is None else await _lines(tree, sha)
    return WorkResult(result, sha, changed, tests, lines)


async def _lines(tree: Worktree, sha: str) -> tuple[int, int]:
    """Lines added and removed from the job's start to `sha` (`--numstat`; binary files count
    none). Textconv and external diff drivers stay off: the agent wrote the attributes."""
    out = await tree.git(
        "diff", "--numstat", "--no-renames", "--no-ext-diff", "--no-textconv", "-z",
        tree.base_sha, sha,
    )  # fmt: skip
    added = removed = 0
    for record in out.split("\0"):
        fields = record.split("\t")
        if len(fields) >= 2 and fields[0].isdigit() and fields[1].isdigit():
            added, removed = added + int(fields[0]), removed + int(fields[1])
    return added, removed


async def _own_tip(tree: Worktree, own_email: str) -> str:
    """The remote branch's tip as this job fetched it ("" when absent), if Honk wrote it.

    A force push only ever replaces Honk's own commit (an attempt that died before its PR
    existed), and only if nobody pushed since this job fetched.
    """
    tip = await tree.remote_tip()
    if tip is None:
        return ""
    if (await tree.author_email(tip)).lower() != own_email.lower():
        raise FlowError(
            f"the branch `{tree.branch}` already exists with commits Honk did not make; "
            "Honk does not overwrite them"
        )
    return tip
