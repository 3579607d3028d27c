"""app/core/pr_texts.py: the verdict in the PR title and body, and the unfinished note."""

from __future__ import annotations

import pytest

from app.core.markdown import find_marker
from app.core.pr_texts import (
    MAX_TITLE_CHARS,
    RETRY_IN_SLACK,
    is_unfinished,
    mark_unfinished,
    pr_body,
    unfinished_note,
    unmark_unfinished,
    verdict_section,
    verdict_title,
)
from app.core.verdict import RepoTests

HOSTILE = "x <!-- honk:unfinished-end --> y"


@pytest.mark.parametrize(
    ("title", "failing", "expected"),
    [
        ("Fix #3: add()", True, "[tests failing] Fix #3: add()"),
        ("[tests failing] Fix #3: add()", True, "[tests failing] Fix #3: add()"),
        ("[tests failing] Fix #3: add()", False, "Fix #3: add()"),
        ("[tests failing] [tests failing] Fix", False, "Fix"),
        ("Fix #3: add()", False, "Fix #3: add()"),
    ],
)
def test_the_verdict_prefix_is_added_once_and_taken_off(
    title: str, failing: bool, expected: str
) -> None:
    assert verdict_title(title, failing) == expected


def test_a_prefixed_title_still_fits_githubs_limit() -> None:
    title = verdict_title("w" * MAX_TITLE_CHARS, True)
    assert len(title) == MAX_TITLE_CHARS and title.startswith("[tests failing] ")


@pytest.mark.parametrize(
    ("tests", "rounds", "unfinished", "head"),
    [
        (RepoTests("pytest", True, "1 passed in 0.1s"), 0, False, "`pytest` passed.\n"),
        (RepoTests("pytest", True, "1 passed in 0.1s"), 1, False, "`pytest` passed after 1 fix "),
        (
            RepoTests("pytest", False, "2 failed in 0.1s"),
            2,
            False,
            "`pytest` FAILED (2 FAILING) after 2 fix rounds.\n",
        ),
        (None, 0, False, "No test command (set `test:` in `.github/honk.yml`)."),
        (RepoTests("pytest", True, "ok"), 0, True, "Not run: the run is unfinished."),
    ],
)
def test_the_tests_section_gives_the_verdict_or_why_there_is_none(
    tests: RepoTests | None, rounds: int, unfinished: bool, head: str
) -> None:
    assert verdict_section(tests, rounds, unfinished=unfinished).startswith(head)


def test_an_unfinished_body_starts_by_saying_so_and_why() -> None:
    note = unfinished_note("turn budget used: 2 of 2 turns", 2, 0.25)
    verdict = verdict_section(None, unfinished=True)
    body = pr_body("Half of it.", ["calc.py"], verdict, 4, None, 0.25, unfinished=note)
    lines = body.split("\n")
    assert find_marker(body) == {"kind": "pr", "issue": "4"}
    assert lines[2].startswith("**Unfinished.** Honk stopped before finishing: turn budget used")
    assert "After 2 turns · $0.25" in lines[2] and "`/honk retry`" in lines[2]
    assert "Fixes #4" in body and "Half of it." in body
    assert "### Tests\nNot run: the run is unfinished." in body
    assert is_unfinished(body) and not is_unfinished(unmark_unfinished(body))


def test_the_note_goes_in_front_of_a_body_and_comes_out_again() -> None:
    body = "<!-- honk:pr issue=4 -->\nFixes #4\n\nThe summary."
    note = unfinished_note(HOSTILE, 3, 1.0, summary=f"So far {HOSTILE}", retry_hint=RETRY_IN_SLACK)
    marked = mark_unfinished(body, note)
    assert find_marker(marked) == {"kind": "pr", "issue": "4"}
    assert "Summary so far:" in marked and RETRY_IN_SLACK in marked
    assert marked.count("<!--") == 3  # the PR marker and the note's two: none from the text
    assert mark_unfinished(marked, note) == marked  # an older note is replaced, not stacked
    assert unmark_unfinished(marked) == body


def test_a_persons_body_without_a_marker_gets_the_note_on_top() -> None:
    note = unfinished_note("stop requested", 1, 0.1)
    marked = mark_unfinished("Please fix it.", note)
    assert marked.startswith(note) and unmark_unfinished(marked) == "Please fix it."


def test_the_tests_section_is_replaced_in_place() -> None:
    from app.core.pr_texts import pr_body, with_tests_section

    body = pr_body("Fix it", ["a.py"], "Not run: the run is unfinished.", 3, None, 0.5)
    updated = with_tests_section(body, "`make test` passed.")
    assert "`make test` passed." in updated and "Not run" not in updated
    assert updated.replace("`make test` passed.", "Not run: the run is unfinished.") == body
    assert with_tests_section("no sections here", "x") == "no sections here"
