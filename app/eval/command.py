"""`honk eval`: check what was asked, run the suite or compare two reports, print the table.

Usage errors raise ConfigError (one line, exit 2): a suite and `--builtin` together or
neither, flags that do not go together, a file that cannot be read, a bad JSONL line, a
missing clone under `--repos`, and a model other than the oracle without ANTHROPIC_API_KEY.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from app.agent.loop import ModelLike
from app.core.config import Settings
from app.core.errors import ConfigError
from app.eval.builtin import builtin_suite
from app.eval.compare import compare_reports
from app.eval.oracle import ORACLE, OracleModel
from app.eval.progress import Progress
from app.eval.report import REPORT_FILE, Report, read_report
from app.eval.repos import check_local_repos
from app.eval.suite_run import EvalPlan, eval_workspace, run_suite, utc_stamp
from app.eval.swebench import load_swebench
from app.eval.table import markdown_table
from app.eval.task import EvalTask, Suite
from app.eval.task_run import ModelFactory
from app.workspace.worktree import Worktree

NO_API_KEY = (
    "ANTHROPIC_API_KEY is not set: `honk eval` runs the agent against the Messages API. "
    "Set it, or run `--model oracle` (no key needed), which applies each task's reference "
    "fix and so validates the suite"
)


@dataclass(frozen=True)
class EvalArgs:
    """The command line of `honk eval`, as parsed."""

    suite: Path | None = None
    builtin: bool = False
    repos: Path | None = None
    model: str | None = None
    runs: int = 1
    parallel: int = 1
    max_usd: float | None = None
    out: Path | None = None
    compare: tuple[Path, Path] | None = None


def eval_command(settings: Settings, args: EvalArgs, out: TextIO, err: TextIO) -> int:
    """Run `honk eval` as asked; 0 once the eval ran (whatever the score)."""
    if args.compare is not None:
        _refuse_with_compare(args)
        print(compare_reports(*(read_report(path) for path in args.compare)), file=out)
        return 0
    _check_flags(args)
    model = args.model or settings.model
    if model != ORACLE and settings.anthropic_api_key is None:
        raise ConfigError(NO_API_KEY)
    settings = replace(settings, max_usd=args.max_usd or settings.max_usd)
    plan = _plan(settings, args, model)
    report = asyncio.run(_run(settings, plan, oracle_model if model == ORACLE else api_model, err))
    print(markdown_table(report), file=out)
    print(f"report: {plan.out_dir / REPORT_FILE}", file=err)
    return 0


def _plan(settings: Settings, args: EvalArgs, model: str) -> EvalPlan:
    suite = builtin_suite() if args.builtin else load_swebench(_given(args.suite))
    if model == ORACLE:
        _check_patches(suite)
    return EvalPlan(
        suite=suite,
        model_name=model,
        out_dir=(args.out or settings.data_dir / "eval" / utc_stamp()).resolve(),
        runs=args.runs,
        parallel=args.parallel,
        repos_dir=args.repos.resolve() if args.repos else None,
        model=None if model == ORACLE else model,
    )


async def oracle_model(task: EvalTask, tree: Worktree) -> ModelLike | None:
    return await OracleModel.prepare(tree, task.patch)


async def api_model(task: EvalTask, tree: Worktree) -> ModelLike | None:
    return None  # the Messages API, with the plan's model


async def _run(settings: Settings, plan: EvalPlan, model: ModelFactory, err: TextIO) -> Report:
    if plan.repos_dir is not None:
        await check_local_repos(eval_workspace(settings), plan.suite.tasks, plan.repos_dir)
    count = len(plan.suite.tasks)
    progress = Progress(count * plan.runs, err)
    progress.note(
        f"{count} tasks × {plan.runs} runs × ${settings.max_usd:.2f} = "
        f"${count * plan.runs * settings.max_usd:.2f} at most ({plan.model_name}, "
        f"{plan.parallel} at once); transcripts and report.json in {plan.out_dir}"
        + ("; the oracle spends nothing" if plan.model_name == ORACLE else "")
    )
    return await run_suite(settings, plan, model, progress)


def _refuse_with_compare(args: EvalArgs) -> None:
    if args.suite or args.builtin or args.repos or args.model or args.out:
        raise ConfigError("--compare A.json B.json takes no suite, --repos, --model or --out")


def _check_flags(args: EvalArgs) -> None:
    if args.suite is not None and args.builtin:
        raise ConfigError("give SUITE.jsonl or --builtin, not both")
    if args.suite is None and not args.builtin:
        raise ConfigError("give a suite: SUITE.jsonl (SWE-bench format) or --builtin")
    if args.builtin and args.repos is not None:
        raise ConfigError("--repos is for a SWE-bench suite; the built-in tasks need none")
    if args.suite is not None and args.repos is None:
        raise ConfigError("a SWE-bench suite needs --repos DIR holding a clone at DIR/OWNER/NAME")
    if args.repos is not None and not args.repos.is_dir():
        raise ConfigError(f"--repos {args.repos}: no such directory")
    if args.runs < 1 or args.parallel < 1:
        raise ConfigError("--runs and --parallel must be at least 1")
    if args.max_usd is not None and not args.max_usd > 0:
        raise ConfigError("--max-usd must be greater than 0")


def _check_patches(suite: Suite) -> None:
    missing = [task.instance_id for task in suite.tasks if not task.patch.strip()]
    if missing:
        raise ConfigError(
            f"--model oracle applies each task's `patch`, and {', '.join(missing[:5])} has none"
        )


def _given(path: Path | None) -> Path:
    if path is None:
        raise ConfigError("give a suite: SUITE.jsonl (SWE-bench format) or --builtin")
    return path
