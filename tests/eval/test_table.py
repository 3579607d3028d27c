"""The Markdown table: per task over its runs, the totals row, reasons safe in a cell."""

from __future__ import annotations

from dataclasses import replace

from app.eval.table import markdown_table, reasons
from tests.eval.reports import records, report


def test_per_task_means_and_totals() -> None:
    table = markdown_table(
        report(
            records("t1", [True, False], [0.5, 1.5], [2, 6]),
            records("t2", [True, True], [1.0, 1.0]),
            runs=2,
        )
    )
    lines = table.splitlines()
    assert lines[0] == (
        "| task | solved | turns | input | cache read | cache write | output | USD | wall s "
        "| failure reason |"
    )
    assert lines[2] == (
        "| t1 | 1/2 | 4.0 | 1,000 | 5,000 | 700 | 300 | $1.0000 | 10.0 "
        "| hidden tests failed (2 failing) |"
    )
    assert lines[3] == "| t2 | 2/2 | 4.0 | 1,000 | 5,000 | 700 | 300 | $1.0000 | 10.0 |  |"
    assert (
        lines[4]
        == "| **total** | 75% (3/4) | 16 | 4,000 | 20,000 | 2,800 | 1,200 | $4.0000 | 42.0 |  |"
    )
    assert "2 run(s) per task" in lines[-1]


def test_reasons_are_counted_and_made_safe() -> None:
    runs = records("t", [False, False, False], [1.0, 1.0, 1.0])
    runs[2] = replace(runs[2], reason="limits: turn budget | used\nnow")
    text = reasons(runs)
    assert text == "hidden tests failed (2 failing) ×2; limits: turn budget | used\nnow"
    table = markdown_table(report(runs, runs=3))
    assert "limits: turn budget \\| used now" in table
