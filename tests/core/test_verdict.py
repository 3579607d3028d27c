"""The test verdict: failure counts read from common runners' summaries, and its words."""

from __future__ import annotations

import pytest

from app.core.model_text import head_tail
from app.core.verdict import (
    NO_TEST_COMMAND,
    NOT_RUN,
    RepoTests,
    count_failures,
    verdict_text,
)

RUNNER_OUTPUTS = [
    ("pytest", "FAILED t.py::a\n=== 2 failed, 5 passed in 0.31s ===", 2),
    ("pytest errors", "=== 1 failed, 1 passed, 2 errors in 1.2s ===", 3),
    ("unittest", "Ran 4 tests in 0.001s\n\nFAILED (failures=1, errors=2)", 3),
    ("unittest errors only", "FAILED (errors=1)", 1),
    ("node --test tap", "# pass 3\n# fail 2\n", 2),
    ("node --test spec", "ℹ tests 4\nℹ pass 3\nℹ fail 1\n", 1),
    ("jest", "Tests:       3 failed, 10 passed, 13 total", 3),
    ("mocha", "  4 passing (8ms)\n  2 failing\n", 2),
    ("cargo", "test result: FAILED. 7 passed; 1 failed; 0 ignored", 1),
    ("rspec", "12 examples, 4 failures", 4),
    ("go", "--- FAIL: TestA (0.00s)\n--- FAIL: TestB (0.00s)\nFAIL\n", 2),
    ("unknown", "make: *** [check] Error 1", None),
]


@pytest.mark.parametrize(
    ("runner", "output", "count"), RUNNER_OUTPUTS, ids=[r[0] for r in RUNNER_OUTPUTS]
)
def test_failures_are_counted_from_the_runners_summary(
    runner: str, output: str, count: int | None
) -> None:
    assert count_failures(output) == count


@pytest.mark.parametrize(
    ("tests", "unfinished", "words"),
    [
        (RepoTests("pytest", True, "ok"), False, "passed (`pytest`)"),
        (RepoTests("pytest", False, "2 failed in 1.0s"), False, "failed (2 failing) (`pytest`)"),
        (RepoTests("make check", False, "Error 1"), False, "failed (`make check`)"),
        (RepoTests("pytest", False, "", timed_out=True), False, "timed out (`pytest`)"),
        (None, False, NO_TEST_COMMAND),
        (None, True, NOT_RUN),
    ],
)
def test_the_verdict_in_a_few_words(tests: RepoTests | None, unfinished: bool, words: str) -> None:
    assert verdict_text(tests, unfinished=unfinished) == words


def test_a_passing_run_has_no_failure_count() -> None:
    assert RepoTests("pytest", True, "3 failed in 1s").failures is None


def test_long_output_keeps_its_head_and_tail() -> None:
    text = "HEAD" + "x" * 10_000 + "TAIL"
    cut = head_tail(text, 100)
    assert cut.startswith("HEAD") and cut.endswith("TAIL") and "characters cut" in cut
    assert len(cut) < 200 and head_tail("short", 100) == "short"
