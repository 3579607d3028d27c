"""The eval's Markdown table: per task over its K runs, and a totals row."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from app.eval.record import EvalRecord
from app.eval.report import TOKEN_FIELDS, Report

HEADER = (
    "task", "solved", "turns", "input", "cache read", "cache write", "output", "USD", "wall s",
    "failure reason",
)  # fmt: skip
REASON_CHARS = 120


def markdown_table(report: Report) -> str:
    """Per task: solved k/K and the mean per run of the figures; then the totals row
    (solved %, sums, and the eval's elapsed time), and a line saying so."""
    rows = [HEADER, tuple("---" for _ in HEADER)]
    rows += [task_row(task, runs) for task, runs in report.by_task().items()]
    rows.append(total_row(report))
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    note = (
        f"{report.model} on {report.suite}, {report.runs} run(s) per task: per task the mean "
        "per run; the total row sums them, its wall time is the eval's own."
    )
    return "\n".join([*lines, "", note])


def task_row(task: str, runs: Sequence[EvalRecord]) -> tuple[str, ...]:
    solved = sum(record.resolved for record in runs)
    tokens = [_count(statistics.fmean(getattr(r, name) for r in runs)) for name in TOKEN_FIELDS]
    return (
        cell(task),
        f"{solved}/{len(runs)}",
        f"{statistics.fmean(r.turns for r in runs):.1f}",
        *tokens,
        f"${statistics.fmean(r.cost_usd for r in runs):.4f}",
        f"{statistics.fmean(r.wall_seconds for r in runs):.1f}",
        cell(reasons(runs)),
    )


def total_row(report: Report) -> tuple[str, ...]:
    totals = report.totals()
    solved = f"{totals['resolved_rate']:.0%} ({totals['resolved']}/{totals['records']})"
    return (
        "**total**",
        solved,
        str(totals["turns"]),
        *(_count(totals[name]) for name in TOKEN_FIELDS),
        f"${totals['cost_usd']:.4f}",
        f"{totals['elapsed_seconds']:.1f}",
        "",
    )


def reasons(runs: Sequence[EvalRecord]) -> str:
    """The distinct failure reasons of `runs`, most frequent first, with their counts."""
    counted = Counter(record.reason for record in runs if not record.resolved)
    parts = [
        f"{reason} ×{count}" if count > 1 else reason for reason, count in counted.most_common()
    ]
    text = "; ".join(parts)
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1] + "…"


def cell(text: str) -> str:
    """`text` safe inside a Markdown table cell: one line, no bare pipe."""
    return " ".join(text.split()).replace("|", "\\|")


def _count(value: float) -> str:
    return f"{value:,.0f}"
