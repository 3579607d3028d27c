"""Reports made from figures, for the table, report.json and compare tests."""

from __future__ import annotations

from collections.abc import Sequence

from app.eval.record import EvalRecord
from app.eval.report import Report


def records(
    task: str, solved: Sequence[bool], cost: Sequence[float], turns: Sequence[int] = ()
) -> list[EvalRecord]:
    """One record per run of `task` with these outcomes and costs (wall = 10 x cost)."""
    return [
        EvalRecord(
            instance_id=task,
            run=run,
            resolved=ok,
            status="submitted",
            turns=turns[run - 1] if turns else 4,
            input_tokens=1000,
            cache_read_input_tokens=5000,
            cache_creation_input_tokens=700,
            output_tokens=300,
            cost_usd=usd,
            wall_seconds=usd * 10,
            model_seconds=usd * 5,
            verdict="passed",
            reason="" if ok else "hidden tests failed (2 failing)",
        )
        for run, (ok, usd) in enumerate(zip(solved, cost, strict=True), start=1)
    ]


def report(*groups: list[EvalRecord], model: str = "claude-x", runs: int = 1) -> Report:
    every = tuple(record for group in groups for record in group)
    return Report("builtin", model, runs, "2025-01-01T00:00:00+00:00", every, 42.0)
