"""`honk eval --compare`: side by side, with differences beyond noise marked, and only those."""

from __future__ import annotations

from app.eval.compare import NO_NOISE, RULE, compare_reports
from tests.eval.reports import records, report

NOISY = [0.10, 0.12, 0.09, 0.11, 0.10]


def rows(text: str) -> dict[str, str]:
    """Table rows by their first cell."""
    found = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            found[line.split(" | ")[0].removeprefix("| ")] = line
    return found


def test_a_clear_difference_is_marked() -> None:
    a = report(records("t1", [False] * 5, NOISY), records("t2", [False] * 5, NOISY), runs=5)
    dearer = [2 * usd for usd in NOISY]
    b = report(records("t1", [True] * 5, dearer), records("t2", [True] * 5, dearer), runs=5)
    text = compare_reports(a, b)
    table = rows(text)
    assert table["t1"] == "| t1 | 0/5 → 5/5 * | $0.1040 → $0.2080 * | 4.0 → 4.0 | 1.0 → 2.1 * |"
    assert table["**total**"].startswith("| **total** | 0/10 → 10/10 * | $0.1040 → $0.2080 * |")
    assert text.startswith("A: claude-x on builtin, 5 run(s) per task")
    assert RULE in text and NO_NOISE not in text


def test_equal_runs_mark_nothing() -> None:
    same = report(records("t1", [True, False, True], [0.1, 0.2, 0.3], [3, 5, 4]), runs=3)
    text = compare_reports(same, same)
    assert " * |" not in text
    assert rows(text)["t1"] == "| t1 | 2/3 → 2/3 | $0.2000 → $0.2000 | 4.0 → 4.0 | 2.0 → 2.0 |"


def test_small_solved_differences_are_noise() -> None:
    a = report(records("t1", [True, False, True], NOISY[:3]), runs=3)
    b = report(records("t1", [True, True, True], NOISY[:3]), runs=3)
    assert " * |" not in rows(compare_reports(a, b))["t1"]


def test_one_run_a_side_has_no_noise_estimate() -> None:
    a = report(records("t1", [True], [0.1]), records("t2", [True], [0.1]))
    b = report(records("t1", [True], [5.0]), records("t3", [False], [1.0]))
    text = compare_reports(a, b)
    table = rows(text)
    assert table["t1"] == "| t1 | 1/1 → 1/1 | $0.1000 → $5.0000 | 4.0 → 4.0 | 1.0 → 50.0 |"
    assert table["t2"] == "| t2 | 1/1 → — | $0.1000 → — | 4.0 → — | 1.0 → — |"
    assert table["t3"] == "| t3 | — → 0/1 | — → $1.0000 | — → 4.0 | — → 10.0 |"
    assert table["**total**"].startswith("| **total** | 1/1 → 1/1 |")  # the common tasks only
    assert NO_NOISE in text
