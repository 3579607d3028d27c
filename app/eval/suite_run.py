"""A whole eval: every task of the suite K times, N runs at once, then report.json."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.core.config import Settings
from app.eval.progress import Progress
from app.eval.record import EvalRecord
from app.eval.report import Report, write_report
from app.eval.task import EvalTask, Suite
from app.eval.task_run import EvalContext, ModelFactory, run_task
from app.sandbox.sandbox import Sandbox
from app.workspace.workspace import Workspace


@dataclass(frozen=True)
class EvalPlan:
    """What to run: the suite, how often and how many at once, where the report goes.

    `model_name` is what the report says; `model` the Messages API model id (None: HONK_MODEL,
    or a scripted model that `make_model` gives).
    """

    suite: Suite
    model_name: str
    out_dir: Path
    runs: int = 1
    parallel: int = 1
    repos_dir: Path | None = None
    model: str | None = None


def eval_workspace(settings: Settings) -> Workspace:
    """The git workspace under HONK_DATA_DIR that task runs check out in."""
    return Workspace(
        settings.data_dir.resolve(), git_name=settings.git_name, git_email=settings.git_email
    )


def utc_stamp() -> str:
    """Now in UTC, for directory names: `20250101-120000`."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


async def run_suite(
    settings: Settings, plan: EvalPlan, make_model: ModelFactory, progress: Progress
) -> Report:
    """Run the plan and write its report.json; the report, records in the suite's order."""
    context = EvalContext(
        settings=settings,
        sandbox=Sandbox.probe(settings.sandbox),
        workspace=eval_workspace(settings),
        make_model=make_model,
        out_dir=plan.out_dir,
        model=plan.model,
        repos_dir=plan.repos_dir,
    )
    runs = [(task, run) for run in range(1, plan.runs + 1) for task in plan.suite.tasks]
    prefix, gate = f"job-{secrets.token_hex(3)}", asyncio.Semaphore(plan.parallel)

    async def one(index: int, task: EvalTask, run: int) -> EvalRecord:
        async with gate:
            record = await run_task(context, task, run, f"{prefix}-{index}")
        progress.finished(record)
        return record

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    progress.started()
    try:
        records = await asyncio.gather(*(one(i, t, r) for i, (t, r) in enumerate(runs)))
    finally:
        progress.close()
    place = {task.instance_id: index for index, task in enumerate(plan.suite.tasks)}
    ordered = sorted(records, key=lambda record: (place[record.instance_id], record.run))
    report = Report(
        plan.suite.name, plan.model_name, plan.runs, started_at, tuple(ordered),
        time.monotonic() - started,
    )  # fmt: skip
    write_report(report, plan.out_dir)
    return report
