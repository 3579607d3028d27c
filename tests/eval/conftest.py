"""Eval test fixtures: settings on a fresh data directory, the real sandbox, scripted models,
and running a suite in-process with any model."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from app.agent.loop import ModelLike
from app.core.config import Settings
from app.eval.builtin import builtin_suite
from app.eval.command import oracle_model
from app.eval.progress import Progress
from app.eval.report import Report
from app.eval.suite_run import EvalPlan, run_suite
from app.eval.task import EvalTask, Suite
from app.eval.task_run import ModelFactory
from app.workspace.worktree import Worktree
from tests.fakes.sandbox_probe import needs_tool, probed_sandbox
from tests.fakes.scripted_model import ScriptedModel


@pytest.fixture
def needs_sandbox() -> None:
    """Use with `pytest.mark.usefixtures("needs_sandbox")` in modules that run the sandbox."""
    probed_sandbox("auto")


@pytest.fixture
def needs_toolchains() -> None:
    """The built-in tasks' test tools besides python3: node (JavaScript), gcc and make (C)."""
    for tool in ("node", "gcc", "make"):
        needs_tool(tool)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def builtin_tasks(*ids: str) -> Suite:
    """The built-in suite, or only the tasks named."""
    suite = builtin_suite()
    if not ids:
        return suite
    return Suite("builtin", tuple(task for task in suite.tasks if task.instance_id in ids))


def scripted(make: Callable[[EvalTask], ModelLike]) -> ModelFactory:
    """A model factory giving each run `make(task)`."""

    async def factory(task: EvalTask, tree: Worktree) -> ModelLike | None:
        return make(task)

    return factory


END_TURN = scripted(lambda task: ScriptedModel([], fallback="Nothing to change."))


async def run_eval(
    settings: Settings,
    suite: Suite,
    out: Path,
    model: ModelFactory = oracle_model,
    *,
    runs: int = 1,
    parallel: int = 2,
    repos: Path | None = None,
) -> tuple[Report, str]:
    """Run `suite` in-process; the report and what progress printed."""
    stream = io.StringIO()
    plan = EvalPlan(suite, "scripted", out, runs=runs, parallel=parallel, repos_dir=repos)
    progress = Progress(len(suite.tasks) * runs, stream, tty=False)
    report = await run_suite(settings, plan, model, progress)
    return report, stream.getvalue()
