"""One run of one task: its tree, the agent as production runs it, then the hidden tests.

The agent gets the production prompts (`system_prompt` with the task repository's
`.github/honk.yml` test command, fix rounds and budgets; `task_prompt` of kind "issue"), the
job's tool directory as HOME, and the test-driven session (review on submit, failing tests
handed back). Only after the session has ended, its sandboxed shell closed, are the hidden
tests put in the tree and run: the agent never sees them. `setup:` commands are not run
(they need the network; the eval never does).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from app.agent.loop import AgentResult, ModelLike
from app.agent.prompts import system_prompt, task_prompt
from app.agent.session import SessionResult, run_session
from app.core.config import Settings
from app.core.errors import HonkError
from app.core.repo_config import RepoConfig
from app.core.verdict import RepoTests
from app.eval.hidden import HiddenRun, run_hidden
from app.eval.record import EvalRecord
from app.eval.repos import TaskTree, task_tree
from app.eval.task import EvalTask
from app.flows.agent_run import (
    AgentRequest,
    agent_in,
    checkout_config,
    read_instructions,
    sandbox_binds,
)
from app.flows.repo_tests import checks_for
from app.flows.tool_dir import ToolDir
from app.flows.work import limits_for
from app.sandbox.sandbox import Sandbox
from app.workspace.workspace import Workspace, Worktree

ModelFactory = Callable[[EvalTask, Worktree], Awaitable[ModelLike | None]]
REASON_CHARS = 300
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class EvalContext:
    """What every task run shares. `make_model` gives the run's model (None: the Messages
    API with `model`, or HONK_MODEL); `settings.max_usd` is each run's USD budget."""

    settings: Settings
    sandbox: Sandbox
    workspace: Workspace
    make_model: ModelFactory
    out_dir: Path
    model: str | None = None
    repos_dir: Path | None = None

    @property
    def transcripts(self) -> Path:
        return self.out_dir / "transcripts"


def run_name(task: EvalTask, run: int) -> str:
    """The file name stem of a run's transcript: `<instance_id>-run<k>`, made safe."""
    return f"{UNSAFE.sub('_', task.instance_id)[:120]}-run{run}"


async def run_task(context: EvalContext, task: EvalTask, run: int, key: str) -> EvalRecord:
    """Run `task` once under the job id `key`; an error of Honk's is an unsolved run."""
    started = time.monotonic()
    try:
        async with task_tree(context.workspace, task, context.repos_dir, key) as where:
            session, hidden = await _attempt(context, task, where, key, run_name(task, run))
    except (HonkError, OSError) as exc:
        reason = f"eval error: {exc}"[:REASON_CHARS]
        wall = time.monotonic() - started
        return EvalRecord(task.instance_id, run, False, "error", wall_seconds=wall, reason=reason)
    return record_of(task, run, session, hidden, time.monotonic() - started)


async def _attempt(
    context: EvalContext, task: EvalTask, where: TaskTree, key: str, name: str
) -> tuple[SessionResult, HiddenRun]:
    settings, sandbox, tree = context.settings, context.sandbox, where.tree
    tools = ToolDir.for_job(settings.data_dir, key)
    await tools.make()
    try:
        config = checkout_config(tree, settings)
        binds = [*tools.binds(), *where.binds]
        every_bind = [*sandbox_binds(tree), *binds]
        request = _request(context, task, tree, config, name)
        model = await context.make_model(task, tree)
        checks = checks_for(sandbox, tree, config, env=tools.env(), binds=binds)
        async with agent_in(
            settings, sandbox, tree, request, model=model, env=tools.env(), binds=binds
        ) as agent:
            session = await run_session(
                agent, system=request.system, task=request.task, checks=checks
            )
        hidden = await run_hidden(
            sandbox, tree, task.hidden, env=tools.env(), binds=every_bind,
            seconds=config.test_timeout,
        )  # fmt: skip
        _keep_output(context.transcripts / f"{name}.hidden.txt", hidden.tests)
        return session, hidden
    finally:
        await tools.remove()


def _request(
    context: EvalContext, task: EvalTask, tree: Worktree, config: RepoConfig, name: str
) -> AgentRequest:
    limits = limits_for(config, context.settings)
    system = system_prompt(
        repo_name=task.repo.name,
        instructions=read_instructions(tree.path),
        test_command=config.test,
        fix_rounds=config.test_fix_rounds,
        limits=limits,
    )
    return AgentRequest(
        system=system,
        task=task_prompt(title=task.title, body=task.body, kind="issue"),
        limits=limits,
        transcript=context.transcripts / f"{name}.jsonl",
        model=context.model,
    )


def record_of(
    task: EvalTask, run: int, session: SessionResult, hidden: HiddenRun, wall: float
) -> EvalRecord:
    """The record of a run that went through: the agent's figures and the hidden verdict."""
    agent, usage, resolved = session.agent, session.agent.usage, hidden.tests.passed
    return EvalRecord(
        instance_id=task.instance_id,
        run=run,
        resolved=resolved,
        status=agent.status,
        turns=agent.turns,
        input_tokens=usage.input_tokens,
        cache_read_input_tokens=usage.cache_read_input_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=agent.cost_usd,
        wall_seconds=wall,
        model_seconds=agent.model_seconds,
        test_seconds=session.test_seconds,
        hidden_test_seconds=hidden.seconds,
        fix_rounds=session.fix_rounds,
        verdict=verdict_of(session),
        reason="" if resolved else failure_reason(agent, hidden.tests)[:REASON_CHARS],
    )


def verdict_of(session: SessionResult) -> str:
    """The visible test command's verdict on the tree the agent left."""
    if session.tests is not None:
        return session.tests.headline()
    return "no test command" if session.finished else "not run"


def failure_reason(agent: AgentResult, hidden: RepoTests) -> str:
    """Why a run is not solved: the agent's end when it did not finish, else the hidden
    tests' headline."""
    if agent.status != "submitted":
        return f"{agent.status}: {agent.reason}"
    return f"hidden tests {hidden.headline()}"


def _keep_output(path: Path, tests: RepoTests) -> None:
    """The hidden test run's output beside the transcript (for reading failures later)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    verdict = "passed" if tests.passed else tests.headline()
    path.write_text(f"$ {tests.command}\n{tests.output}\n[{verdict}]\n", encoding="utf-8")
