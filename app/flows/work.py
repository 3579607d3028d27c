"""The agent's work on a branch: worktree, setup, the agent's session, guards, commit and push.

The session is test-driven (app/agent/session.py): the agent reviews its own diff once when it
submits, then Honk runs the repository's test command and hands a failure back, up to
`test_fix_rounds` times. Nothing is pushed when the guards find something (workflow files,
secrets, size) or there is no change at all. An agent that stops early (a budget, a stop, a
refusal, a model failure) after changing something leaves its work as a commit titled
`WIP (honk: <reason>)`, pushed like finished work; with no change it pushes nothing and the job
ends as before (a stop: Cancelled; a model failure: ModelError, retried; else FlowError). A stop
ends the running setup, agent or test command at once; finished work is not pushed when a stop
came after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from app.agent.loop import AgentLimits, AgentResult, TurnInfo
from app.agent.session import SessionResult, run_session
from app.core.config import Secret, Settings
from app.core.errors import Cancelled, FlowError, ModelError, WorkspaceError
from app.core.guards import describe
from app.core.repo_config import RepoConfig
from app.flows.agent_run import AgentRequest, agent_in, commit_message
from app.flows.change_guard import guard_change
from app.flows.checkpoint import (
    RepoTests,
    WorkResult,
    checkpoint_of,
    restored,
)
from app.flows.context import unless_stopped
from app.flows.repo_tests import checks_for
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
                saving = checkpoint_of(work, pushed=False, branch=plan.branch)
                await services.queue.set_checkpoint(job.id, saving)
        if work.sha is not None:
            await reporter.publishing()
            if not work.unfinished and await stop.check():  # unfinished work is kept anyway
                raise Cancelled("stop requested before the push")
            expect = await _own_tip(tree, workspace.git_email) if plan.force_push else None
            await tree.push(token=plan.token, expect=expect, force=plan.force_push)
        saving = checkpoint_of(work, pushed=True, branch=plan.branch)
        await services.queue.set_checkpoint(job.id, saving)
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
    """Setup, then the agent's session (its review and test rounds), each ended at once by a
    stop; then the guards and the commit: WIP when the agent stopped early after changing
    something, nothing (the reason raised) when it changed nothing.

    All of it runs with the job's tool directory as HOME; only setup reaches the network, and
    only the allowed registries (app/flows/setup_run.py).
    """
    sandbox, (tree, tools) = services.sandbox(), where
    setup = run_setup(sandbox, tree, config, tools, services.egress)
    await unless_stopped(stop.event, setup, "the setup")
    session = await _session(services, sandbox, where, job, config, plan, reporter, stop)
    if not session.finished and not await tree.changed_paths():
        _raise_unfinished(session.agent)
    return await _commit(tree, config, plan, session)


async def _resumed(tree: Worktree, saved: dict[str, Any]) -> WorkResult | None:
    """An earlier attempt's unpushed commit, checked out from the repository cache (None when
    the cache no longer has it: the agent runs again)."""
    try:
        await tree.git("reset", "-q", "--hard", str(saved["sha"]))
    except WorkspaceError:
        return None
    return restored(saved)


async def _session(
    services: Services,
    sandbox: Sandbox,
    where: tuple[Worktree, ToolDir],
    job: Job,
    config: RepoConfig,
    plan: WorkPlan,
    reporter: Reporter,
    stop: Stop,
) -> SessionResult:
    """The agent's run with review on submit and the test rounds; a stop ends it at once and
    keeps what it did so far (`snapshot`). Its cost is the job's, earlier attempts included."""
    settings, spent_usd = services.settings, job.cost_usd
    tree, tools = where
    request = AgentRequest(
        system=plan.system,
        task=plan.task,
        limits=limits_for(config, settings, spent_usd),
        transcript=settings.transcripts_dir.resolve() / f"job-{job.id}.jsonl",
        model=config.model,
    )

    async def on_turn(info: TurnInfo) -> None:
        job_spend = replace(info, cost_usd=spent_usd + info.cost_usd)
        await services.queue.set_cost(job.id, job_spend.cost_usd)  # kept if the job fails later
        if reporter.progress.step == "testing":  # a fix round after failing tests
            await reporter.step("working")
        await reporter.turn(job_spend)

    env, binds = tools.env(), tools.binds()
    checks = checks_for(
        sandbox, tree, config, env=env, binds=binds, before_tests=lambda: reporter.step("testing")
    )
    async with agent_in(
        settings, sandbox, tree, request, on_turn=on_turn, cancel_check=stop.check,
        env=env, binds=binds,
    ) as agent:  # fmt: skip
        run = run_session(agent, system=plan.system, task=plan.task, checks=checks)
        try:
            session = await unless_stopped(stop.event, run, "the agent's run")
        except Cancelled as exc:
            session = SessionResult(agent.snapshot("cancelled", str(exc)), None)
    result = replace(session.agent, cost_usd=spent_usd + session.agent.cost_usd)
    await services.queue.set_cost(job.id, result.cost_usd)
    return replace(session, agent=result)


def _raise_unfinished(result: AgentResult) -> NoReturn:
    """An agent that stopped early with no change: nothing to keep, the job ends as before."""
    if result.status == "cancelled":
        raise Cancelled(result.reason or "cancelled")
    if result.status == "error":
        raise ModelError(result.reason)  # retried: the model service may answer later
    raise FlowError(f"the agent stopped ({result.status}): {result.reason}")


async def _commit(
    tree: Worktree, config: RepoConfig, plan: WorkPlan, session: SessionResult
) -> WorkResult:
    """The agent's change as one commit (titled WIP when unfinished), unless the guards refuse
    it (nothing to push: None)."""
    result, tests, rounds = session.agent, session.tests, session.fix_rounds
    changed = tuple(await tree.changed_paths())
    if not changed:
        return WorkResult(result, None, (), tests, fix_rounds=rounds)
    violations = await guard_change(tree, changed, config)
    if violations:
        raise FlowError(describe(violations))
    sha = await tree.commit_all(commit_message(result), co_authors=(plan.co_author,))
    lines = (0, 0) if sha is None else await _lines(tree, sha)
    return WorkResult(result, sha, changed, tests, lines, rounds)


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
