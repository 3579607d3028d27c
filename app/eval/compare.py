"""`honk eval --compare A.json B.json`: two evals side by side, per task and in total.

Each cell reads `A → B`: solved runs, mean USD, mean turns and mean wall time per run. A `*`
marks a difference beyond noise (app/eval/stats.py): solved by Fisher's exact test
(p < 0.05); the means by Welch's t (|t| > 2), only when both sides have at least two runs of
the task. The total row pools the records of the tasks both reports have.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from app.eval.record import EvalRecord
from app.eval.report import Report
from app.eval.stats import means_differ, solved_differs
from app.eval.table import cell

MARK = " *"
HEADER = ("task", "solved A → B", "USD A → B", "turns A → B", "wall s A → B")
MEANS: tuple[tuple[str, str], ...] = (("cost_usd", "${:.4f}"), ("turns", "{:.1f}"),
                                      ("wall_seconds", "{:.1f}"))  # fmt: skip
RULE = (
    "`*` beyond noise: solved by Fisher's exact test (p < 0.05); mean USD, turns and wall "
    "time per run by Welch's t (|t| > 2), which needs at least 2 runs on both sides."
)
NO_NOISE = (
    "With 1 run of a task on a side there is no noise estimate: its USD, turns and wall time "
    "are not marked (run both evals with --runs 2 or more)."
)


def compare_reports(a: Report, b: Report) -> str:
    """The comparison as Markdown: who is A and B, the table, and the rule used."""
    tasks_a, tasks_b = a.by_task(), b.by_task()
    names = list(dict.fromkeys([*tasks_a, *tasks_b]))
    rows = [HEADER, tuple("---" for _ in HEADER)]
    rows += [row(cell(name), tasks_a.get(name, []), tasks_b.get(name, [])) for name in names]
    common = [name for name in names if name in tasks_a and name in tasks_b]
    pooled_a = [r for name in common for r in tasks_a[name]]
    pooled_b = [r for name in common for r in tasks_b[name]]
    few = any(min(len(tasks_a[n]), len(tasks_b[n])) < 2 for n in common)
    rows.append(row("**total**", pooled_a, pooled_b, noise=not few))
    lines = [_who("A", a), _who("B", b), "", *("| " + " | ".join(r) + " |" for r in rows)]
    return "\n".join([*lines, "", RULE, *([NO_NOISE] if few else [])])


def row(
    name: str, a: Sequence[EvalRecord], b: Sequence[EvalRecord], *, noise: bool = True
) -> tuple[str, ...]:
    """One task's (or the total's) cells; `—` for a side without runs of it."""
    if not a or not b:
        return (name, *(f"{_side(a, f)} → {_side(b, f)}" for f in ("solved", *_formats())))
    solved_a, solved_b = sum(r.resolved for r in a), sum(r.resolved for r in b)
    marked = solved_differs(solved_a, len(a), solved_b, len(b))
    cells = [f"{solved_a}/{len(a)} → {solved_b}/{len(b)}" + (MARK if marked else "")]
    for field, form in MEANS:
        xs, ys = [float(getattr(r, field)) for r in a], [float(getattr(r, field)) for r in b]
        beyond = noise and means_differ(xs, ys) is True
        text = f"{form.format(statistics.fmean(xs))} → {form.format(statistics.fmean(ys))}"
        cells.append(text + (MARK if beyond else ""))
    return (name, *cells)


def _formats() -> list[str]:
    return [field for field, _ in MEANS]


def _side(records: Sequence[EvalRecord], field: str) -> str:
    if not records:
        return "—"
    if field == "solved":
        return f"{sum(r.resolved for r in records)}/{len(records)}"
    form = dict(MEANS)[field]
    return form.format(statistics.fmean(float(getattr(r, field)) for r in records))


def _who(side: str, report: Report) -> str:
    return (
        f"{side}: {report.model} on {report.suite}, {report.runs} run(s) per task, "
        f"started {report.started_at or '?'}"
    )
