"""The repository's test command as Honk ran it after the agent: the verdict and its words.

The verdict is one of: passed, failed (with the count of failing tests when the runner printed
one), or no test command (`test:` unset in `.github/honk.yml`). An unfinished run has no verdict
of its own: its tests were not run on the tree it left. `count_failures` reads the summary
lines of common runners (pytest, unittest, node --test, Jest/Vitest, Mocha, go test, cargo
test, RSpec); when none matches, a failure has no count rather than a guessed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.model_text import fence, head_tail

TEST_OUTPUT_CHARS = 3000  # of the output, shown in the PR body (its tail)
FEEDBACK_CHARS = 12000  # of the output, handed back to the agent (head and tail)
NO_TEST_COMMAND = "no test command (set `test:` in `.github/honk.yml`)"
NOT_RUN = "not run: the run is unfinished"

_COUNTS = (
    re.compile(r"(\d+) (?:failed|errors?)\b.*? in [\d.]+s", re.IGNORECASE),  # pytest summary
    re.compile(r"FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?\)"),  # unittest
    re.compile(r"^# fail (\d+)$", re.MULTILINE),  # node --test (TAP)
    re.compile(r"^ℹ fail (\d+)$", re.MULTILINE),  # node --test (spec reporter)
    re.compile(r"Tests:\s+(\d+) failed"),  # Jest, Vitest
    re.compile(r"(\d+) failing"),  # Mocha
    re.compile(r"test result: FAILED\. \d+ passed; (\d+) failed"),  # cargo test
    re.compile(r"\d+ examples?, (\d+) failures?"),  # RSpec
)
_GO_FAIL = re.compile(r"^--- FAIL: ", re.MULTILINE)
_PYTEST_PARTS = re.compile(r"(\d+) (failed|errors?)\b")


@dataclass(frozen=True)
class RepoTests:
    """The repository's own test command, run after the agent, and how it went."""

    command: str
    passed: bool
    output: str
    timed_out: bool = False

    @property
    def failures(self) -> int | None:
        """How many tests failed, when the runner said; None when passed or unknown."""
        return None if self.passed else count_failures(self.output)

    def headline(self) -> str:
        """`passed`, `failed (3 failing)`, `failed` or `timed out`: a few words."""
        if self.passed:
            return "passed"
        if self.timed_out:
            return "timed out"
        count = self.failures
        return "failed" if count is None else f"failed ({count} failing)"

    def describe(self, rounds: int = 0) -> str:
        """The PR body's Tests section: the verdict on the command (after `rounds` failing
        runs handed back to the agent) and the output's tail."""
        verdict = "passed" if self.passed else self.headline().upper()
        after = f" after {rounds} fix round{'' if rounds == 1 else 's'}" if rounds else ""
        tail = fence(self.output[-TEST_OUTPUT_CHARS:])
        return f"`{self.command}` {verdict}{after}.\n\n{tail}"

    def feedback(self) -> str:
        """The output for the agent: cut to its head and tail when long."""
        return head_tail(self.output, FEEDBACK_CHARS)


def verdict_text(tests: RepoTests | None, *, unfinished: bool = False) -> str:
    """One line for a last word or a Slack message: `passed (`cmd`)`, and so on."""
    if tests is None:
        return NOT_RUN if unfinished else NO_TEST_COMMAND
    return f"{tests.headline()} (`{tests.command}`)"


def count_failures(output: str) -> int | None:
    """The number of failing tests a runner's summary states; None when it states none."""
    pytest_line = _last_pytest_summary(output)
    if pytest_line is not None:
        return pytest_line
    for pattern in _COUNTS[1:]:
        found = pattern.findall(output)
        if found:
            return _total(found[-1])
    go = len(_GO_FAIL.findall(output))
    return go or None


def _last_pytest_summary(output: str) -> int | None:
    lines = [line for line in output.splitlines() if _COUNTS[0].search(line)]
    if not lines:
        return None
    return sum(int(count) for count, _ in _PYTEST_PARTS.findall(lines[-1])) or None


def _total(found: str | tuple[str, ...]) -> int:
    parts = (found,) if isinstance(found, str) else found
    return sum(int(part) for part in parts if part)
