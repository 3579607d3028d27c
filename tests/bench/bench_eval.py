"""Benchmark: `honk eval --builtin --model oracle`, Honk's overhead per task against the tests.

One process: a warm-up pass of the whole suite, then REPEATS runs of every task (one at a time)
and, in the same run, each task's hidden tests alone (the fixed tree in a plain directory, the
hidden command run by bash, no sandbox) as the baseline. Honk's overhead is a run's wall time
minus the model's and the visible and hidden test commands' time: making the repository and
worktree, the tool directory, the sandboxed shell, the oracle's patch, the editor, the review's
diff, putting the hidden tests in place and cleaning up.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from app.core.config import Settings
from app.eval.builtin import builtin_suite
from app.eval.command import oracle_model
from app.eval.progress import Progress
from app.eval.record import EvalRecord
from app.eval.report import Report
from app.eval.suite_run import EvalPlan, run_suite
from app.eval.task import BuiltinRepo, EvalTask, Suite

REPEATS = 3
TARGET_SECONDS = 2.0


async def eval_runs(settings: Settings, suite: Suite, out: Path, runs: int) -> Report:
    plan = EvalPlan(suite, "oracle", out, runs=runs, parallel=1)
    progress = Progress(len(suite.tasks) * runs, io.StringIO(), tty=False)
    report = await run_suite(settings, plan, oracle_model, progress)
    unsolved = [r.instance_id for r in report.records if not r.resolved]
    if unsolved:
        raise RuntimeError(f"the oracle did not solve {unsolved}: see {out}")
    return report


def hidden_alone(task: EvalTask, directory: Path) -> float:
    """Seconds the hidden command takes in a plain directory holding the fixed tree."""
    assert isinstance(task.repo, BuiltinRepo)
    for name, text in {**task.repo.files, **task.hidden.files}.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=directory, check=True)
    subprocess.run(["git", "apply", "-"], cwd=directory, input=task.patch, text=True, check=True)
    started = time.perf_counter()
    done = subprocess.run(["bash", "-c", task.hidden.command], cwd=directory, capture_output=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{task.instance_id}: hidden tests fail on the fixed tree")
    return seconds


def baselines(suite: Suite, root: Path) -> dict[str, float]:
    medians = {}
    for task in suite.tasks:
        runs = []
        for repeat in range(REPEATS):
            directory = root / f"{task.instance_id}-{repeat}"
            directory.mkdir(parents=True)
            runs.append(hidden_alone(task, directory))
        medians[task.instance_id] = statistics.median(runs)
    return medians


async def measure() -> tuple[dict[str, list[EvalRecord]], dict[str, float]]:
    suite = builtin_suite()
    with tempfile.TemporaryDirectory(prefix="honk-bench-eval-") as tmp:
        root = Path(tmp)
        settings = Settings(data_dir=root / "data")
        await eval_runs(settings, suite, root / "warm-up", 1)
        report = await eval_runs(settings, suite, root / "measured", REPEATS)
        return report.by_task(), baselines(suite, root / "alone")


def main() -> None:
    runs, alone = asyncio.run(measure())
    print(f"{'task':<24} {'wall s':>7} {'model s':>8} {'tests s':>8} {'overhead s':>10} "
          f"{'alone s':>8} {'overhead/alone':>14}")  # fmt: skip
    overheads = []
    for task, records in runs.items():
        wall = statistics.median(r.wall_seconds for r in records)
        model = statistics.median(r.model_seconds for r in records)
        tests = statistics.median(r.test_seconds + r.hidden_test_seconds for r in records)
        overhead = statistics.median(r.overhead_seconds for r in records)
        overheads.append(overhead)
        print(f"{task:<24} {wall:>7.2f} {model:>8.3f} {tests:>8.2f} {overhead:>10.2f} "
              f"{alone[task]:>8.3f} {overhead / alone[task]:>13.1f}x")  # fmt: skip
    median_overhead, median_alone = statistics.median(overheads), statistics.median(alone.values())
    print(f"{'median':<24} {'':>7} {'':>8} {'':>8} {median_overhead:>10.2f} {median_alone:>8.3f} "
          f"{median_overhead / median_alone:>13.1f}x")  # fmt: skip
    worst = max(overheads)
    verdict = "OK" if worst <= TARGET_SECONDS else "OVER"
    print(
        f"target: overhead <= {TARGET_SECONDS} s per task (warm): {verdict} "
        f"(median {median_overhead:.2f} s, worst {worst:.2f} s, {REPEATS} runs per task)"
    )


if __name__ == "__main__":
    main()
