"""`honk run`: the agent on a local checkout, no GitHub; leaves a branch with a commit.

The worktree is added from the user's own repository on a new branch
`<prefix>local-<timestamp>`; the agent works in it inside the sandbox; Honk commits whatever the
worktree holds at the end (an unfinished run is committed too, marked as such, so nothing is
lost), removes the worktree and leaves the branch in the user's repository.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from app.agent.loop import AgentLimits, AgentResult, TurnInfo
from app.agent.prompts import system_prompt, task_prompt
from app.core.config import Settings
from app.core.errors import ConfigError
from app.flows.agent_run import (
    AgentRequest,
    commit_message,
    read_instructions,
    run_agent,
)
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
    """Run the agent on `request.repo`; print progress and the outcome; 0 when it finished."""
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
    print(f"branch {tree.branch} in {request.repo} · {sandbox.describe()}", file=out, flush=True)
    try:
        result = await _run_agent(settings, request, sandbox, tree, job_id, out)
        sha = await tree.commit_all(commit_message(result))
        await _report(result, tree, sha, out)
    finally:
        await tree.remove()
    return 0 if result.status == "submitted" and sha else 1


async def _run_agent(
    settings: Settings,
    request: LocalRun,
    sandbox: Sandbox,
    tree: Worktree,
    job_id: str,
    out: TextIO,
) -> AgentResult:
    async def on_turn(info: TurnInfo) -> None:
        print(progress_line(info), file=out, flush=True)

    system = system_prompt(
        repo_name=request.repo.resolve().name, instructions=read_instructions(tree.path)
    )
    title = request.task.strip().splitlines()[0][:200]
    agent_request = AgentRequest(
        system=system,
        task=task_prompt(title=title, body=request.task),
        limits=AgentLimits(
            max_turns=settings.max_turns,
            max_usd=request.max_usd or settings.max_usd,
            max_seconds=settings.max_minutes * 60,
        ),
        transcript=settings.transcripts_dir.resolve() / f"{job_id}.jsonl",
        model=request.model,
    )
    return (await run_agent(settings, sandbox, tree, agent_request, on_turn=on_turn)).agent


async def _report(result: AgentResult, tree: Worktree, sha: str | None, out: TextIO) -> None:
    stat = await tree.diff_stat() if sha else ""
    usage = result.usage
    lines = [
        f"status     {result.status}" + (f" ({result.reason})" if result.reason else ""),
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
