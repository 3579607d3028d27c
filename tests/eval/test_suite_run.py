"""The built-in suite end to end, in the real sandbox with real git: the oracle solves every
task, a model that does nothing solves none, weakening a visible test does not help, and
the hidden tests are never in the tree while the agent works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from app.eval.builtin import builtin_suite
from app.eval.report import REPORT_FILE
from app.eval.table import markdown_table
from tests.eval.conftest import END_TURN, builtin_tasks, run_eval, scripted
from tests.fakes.scripted_model import ScriptedModel, bash, calls, editor, end

pytestmark = pytest.mark.usefixtures("needs_sandbox", "needs_toolchains")


async def test_the_oracle_solves_every_builtin_task(settings: Settings, tmp_path: Path) -> None:
    report, progress = await run_eval(settings, builtin_suite(), tmp_path / "out")
    unsolved = {r.instance_id: r.reason for r in report.records if not r.resolved}
    assert unsolved == {}
    assert len(report.records) == len(builtin_suite().tasks) >= 12
    assert {r.verdict for r in report.records} == {"passed"}  # the visible tests pass too
    assert all(r.status == "submitted" and r.cost_usd == 0 for r in report.records)
    assert progress.count(" solved ") == len(report.records)
    assert f"{len(report.records)}/{len(report.records)}\n" in progress
    leftovers = [settings.data_dir / name for name in ("worktrees", "eval-checkouts", "tools")]
    assert all(not any(path.iterdir()) for path in leftovers if path.exists())


async def test_a_model_that_only_ends_its_turn_solves_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    report, _ = await run_eval(settings, builtin_suite(), tmp_path / "out", END_TURN)
    assert [r.instance_id for r in report.records if r.resolved] == []
    assert all(r.reason.startswith("hidden tests failed") for r in report.records)
    assert report.totals()["resolved_rate"] == 0.0
    by_id = {r.instance_id: r for r in report.records}
    # a visible test that fails at the base is handed back twice (test_fix_rounds default)
    assert by_id["py-bug-median"].verdict.startswith("failed")
    assert by_id["py-bug-median"].fix_rounds == 2
    assert by_id["py-bug-slugify"].verdict == "passed"
    hidden_output = (tmp_path / "out" / "transcripts" / "py-bug-median-run1.hidden.txt").read_text()
    assert "FAILED" in hidden_output


WEAKENED = {
    "py-bug-median": (
        "tests/test_stats.py",
        "median([1, 2, 3, 4]), 2.5)",
        "median([1, 2, 3, 4]), 3)",
    ),
    "js-bug-chunk": ("test/chunk.test.js", "[[1, 2], [3, 4], [5]]", "[[1, 2], [3, 4]]"),
}


@pytest.mark.parametrize("task_id", sorted(WEAKENED))
async def test_weakening_the_visible_test_still_fails_the_hidden_tests(
    settings: Settings, tmp_path: Path, task_id: str
) -> None:
    path, old, new = WEAKENED[task_id]
    weaken = calls(
        editor(command="view", path=path),
        editor(command="str_replace", path=path, old_str=old, new_str=new),
    )
    model = scripted(lambda task: ScriptedModel([weaken, end("Fix the tests\n\nThey pass now.")]))
    report, _ = await run_eval(settings, builtin_tasks(task_id), tmp_path / "out", model)
    (record,) = report.records
    assert record.verdict == "passed"  # the weakened visible test passes...
    assert not record.resolved  # ...the hidden tests do not
    assert record.reason.startswith("hidden tests failed")


async def test_the_agent_never_sees_the_hidden_tests(settings: Settings, tmp_path: Path) -> None:
    seen: list[ScriptedModel] = []

    def peeking(task: Any) -> ScriptedModel:
        model = ScriptedModel(
            [calls(bash("ls tests; cat tests/test_hidden_stats.py")), end("Done")]
        )
        seen.append(model)
        return model

    await run_eval(settings, builtin_tasks("py-bug-median"), tmp_path / "out", scripted(peeking))
    results = [b for b in seen[0].sent[1][-1]["content"] if b.get("type") == "tool_result"]
    output = json.dumps(results)
    assert "test_stats.py" in output
    assert "No such file or directory" in output
    assert "HiddenMedianTest" not in output


async def test_runs_make_one_record_each_and_the_report_carries_the_figures(
    settings: Settings, tmp_path: Path
) -> None:
    suite = builtin_tasks("py-bug-slugify", "c-bug-reverse")
    report, progress = await run_eval(settings, suite, tmp_path / "out", runs=2)
    assert [(r.instance_id, r.run) for r in report.records] == [
        ("c-bug-reverse", 1), ("c-bug-reverse", 2), ("py-bug-slugify", 1), ("py-bug-slugify", 2),
    ]  # fmt: skip
    written = json.loads((tmp_path / "out" / REPORT_FILE).read_text())
    assert written["runs"] == 2 and written["model"] == "scripted"
    assert written["totals"]["records"] == 4 and written["totals"]["resolved"] == 4
    record = written["records"][0]
    assert set(record) >= {"instance_id", "run", "resolved", "status", "turns", "input_tokens",
                           "cache_read_input_tokens", "cache_creation_input_tokens",
                           "output_tokens", "cost_usd", "wall_seconds", "model_seconds",
                           "test_seconds", "hidden_test_seconds", "fix_rounds", "verdict",
                           "reason"}  # fmt: skip
    assert record["turns"] == 3 and record["resolved"] is True
    assert record["test_seconds"] > 0 and record["hidden_test_seconds"] > 0
    assert record["wall_seconds"] > record["test_seconds"] + record["hidden_test_seconds"]
    table = markdown_table(report)
    assert "| c-bug-reverse | 2/2 | 3.0 |" in table
    assert "| **total** | 100% (4/4) | 12 |" in table
    assert progress.count("\n") == 8  # a line per run and a k/n line after each
    transcripts = sorted(p.name for p in (tmp_path / "out" / "transcripts").glob("*.jsonl"))
    assert transcripts == [
        "c-bug-reverse-run1.jsonl", "c-bug-reverse-run2.jsonl",
        "py-bug-slugify-run1.jsonl", "py-bug-slugify-run2.jsonl",
    ]  # fmt: skip
