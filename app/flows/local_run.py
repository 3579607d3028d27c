"""`honk run`: the agent on a local checkout, no GitHub; leaves a branch with a commit.

The worktree is added from the user's own repository on a new branch
`<prefix>local-<timestamp>`; `.github/honk.yml` as committed there gives the test command, the
test-fix rounds and the budgets (never above the server's). The agent works in the sandbox in
the same session as a job's (review on submit, the test command run and its failures handed
back); Honk prints the verdict and commits whatever the worktree holds at the end (an
unfinished run too, titled `WIP (honk: <reason>)`, so nothing is lost), removes the worktree
and leaves the branch in the user's repository.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from app.agent.loop import TurnInfo
from app.agent.prompts import system_prompt, task_prompt
from app.agent.session import SessionResult
from app.core.config import Settings
from app.core.errors import ConfigError
from app.core.repo_config import RepoConfig
from app.core.verdict import verdict_text
from app.flows.agent_run import (
    AgentRequest,
    checkout_config,
    commit_message,
    read_instructions,
    run_agent,
)
from app.flows.repo_tests import checks_for
from app.flows.tool_dir import ToolDir
from app.flows.work import limits_for
from app.sandbox.sandbox import Sandbox
from app.workspace.workspace import Workspace, Worktree


@dataclass(frozen=True)
class LocalRun:
    """What `honk run` was asked: the repository, the task and optional overrides."""

    repo: Path
    task: str
    model: str | None = None
    max_usd: float | None = None


def progress_line(info: TurnInfo) -> str:
    tools = ",".join(info.tools) or "-"
    return (
        f"turn {info.turn:>3}  {tools:<40} tokens {info.usage.total_tokens:>9,}  "
        f"${info.cost_usd:.4f}  {info.elapsed:.0f}s"
    )


async def run_local(settings: Settings, request: LocalRun, out: TextIO) -> int:
    """Run the agent on `request.repo`; print progress and the outcome; 0 when it finished,
    left a commit and its tests did not fail."""
    if settings.anthropic_api_key is None:
        raise ConfigError("ANTHROPIC_API_KEY is not set: `honk run` needs the Messages API")
    sandbox = Sandbox.probe(settings.sandbox)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    job_id = f"local-{stamp}-{secrets.token_hex(3)}"
    workspace = Workspace(
        settings.data_dir.resolve(), git_name=settings.git_name, git_email=settings.git_email
    )
    tree = await workspace.prepare_local(
        request.repo.resolve(), branch=f"{settings.branch_prefix}local-{stamp}", job_id=job_id
    )
    tools = ToolDir.for_job(settings.data_dir, job_id)
    print(f"branch {tree.branch} in {request.repo} · {sandbox.describe()}", file=out, flush=True)
    try:
        await tools.make()
        config = checkout_config(tree, settings)
        where = (tree, tools)
        session = await _run_session(settings, request, config, sandbox, where, job_id, out)
        sha = await tree.commit_all(commit_message(session.agent))
        await _report(session, tree, sha, out)
    finally:
        await tree.remove()
        await tools.remove()
    failed = session.tests is not None and not session.tests.passed
    return 0 if session.finished and sha and not failed else 1


async def _run_session(
    settings: Settings,
    request: LocalRun,
    config: RepoConfig,
    sandbox: Sandbox,
    where: tuple[Worktree, ToolDir],
    job_id: str,
    out: TextIO,
) -> SessionResult:
    """The same session as a job's: review on submit, the test command in the sandbox."""
    tree, tools = where

    async def on_turn(info: TurnInfo) -> None:
        print(progress_line(info), file=out, flush=True)

    limits = limits_for(config, settings)
    if request.max_usd is not None:
        limits = replace(limits, max_usd=request.max_usd)
    system = system_prompt(
        repo_name=request.repo.resolve().name, instructions=read_instructions(tree.path),
        test_command=config.test, fix_rounds=config.test_fix_rounds, limits=limits,
    )  # fmt: skip
    title = request.task.strip().splitlines()[0][:200]
    agent_request = AgentRequest(
        system=system,
        task=task_prompt(title=title, body=request.task, kind="local"),
        limits=limits,
        transcript=settings.transcripts_dir.resolve() / f"{job_id}.jsonl",
        model=request.model or config.model,
    )
    env, binds = tools.env(), tools.binds()
    checks = checks_for(sandbox, tree, config, env=env, binds=binds)
    return await run_agent(
        settings, sandbox, tree, agent_request, checks=checks, on_turn=on_turn, env=env,
        binds=binds,
    )  # fmt: skip


async def _report(session: SessionResult, tree: Worktree, sha: str | None, out: TextIO) -> None:
    result = session.agent
    stat = await tree.diff_stat() if sha else ""
    usage = result.usage
    rounds = f" after {session.fix_rounds} fix rounds" if session.fix_rounds else ""
    lines = [
        f"status     {result.status}" + (f" ({result.reason})" if result.reason else ""),
        f"tests      {verdict_text(session.tests, unfinished=not session.finished)}{rounds}",
        f"branch     {tree.branch}" + (f" at {sha[:12]}" if sha else " (no changes committed)"),
        f"changes    {stat.strip() or 'none'}",
        f"transcript {result.transcript}",
        f"usage      {result.turns} turns, {usage.input_tokens:,} in / "
        f"{usage.output_tokens:,} out / {usage.cache_read_input_tokens:,} cache read / "
        f"{usage.cache_creation_input_tokens:,} cache write tokens, ${result.cost_usd:.4f}",
        "summary",
        *("  " + line for line in (result.summary.strip() or "(none)").splitlines()),
    ]
    print("\n".join(lines), file=out, flush=True)
