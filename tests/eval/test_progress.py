"""Progress: a line per finished run, then a plain k/n line, or a bar redrawn on a terminal."""

from __future__ import annotations

import io
from dataclasses import replace

from app.eval.progress import Progress, bar, run_line
from tests.eval.reports import records

SOLVED, FAILED = records("py-bug", [True, False], [0.25, 0.5])


def test_a_run_line_says_what_happened() -> None:
    assert (
        run_line(replace(SOLVED, wall_seconds=3.04)) == "py-bug #1  solved  4 turns  $0.2500  3.0s"
    )
    assert run_line(FAILED) == (
        "py-bug #2  not solved  4 turns  $0.5000  5.0s  hidden tests failed (2 failing)"
    )


def test_plain_output_adds_k_of_n_lines() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream, tty=False)
    progress.note("2 tasks")
    progress.started()
    progress.finished(SOLVED)
    progress.finished(FAILED)
    progress.close()
    assert stream.getvalue() == f"2 tasks\n{run_line(SOLVED)}\n1/2\n{run_line(FAILED)}\n2/2\n"


def test_a_terminal_gets_a_bar_redrawn_in_place() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream, tty=True)
    progress.started()
    progress.finished(SOLVED)
    progress.close()
    assert stream.getvalue() == (f"{bar(0, 2)}\r\x1b[K{run_line(SOLVED)}\n{bar(1, 2)}\n")
    assert bar(1, 2) == "[" + "#" * 15 + "." * 15 + "] 1/2 (50%)"
