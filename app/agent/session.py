"""The test-driven session: the agent's run, a review of its own diff, then the tests.

After the model ends its turn, it sees its whole diff once and confirms or fixes it (review
on submit; skipped when there is no change or a budget is spent). Then Honk runs the
repository's test command; a failure goes back to the agent as a new user turn, at most
`fix_rounds` times and while the budgets last. Each step is in the transcript. A run that
stops on the way (a budget, a refusal, a model failure) is unfinished: it has no verdict.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from app.agent.loop import Agent
from app.agent.outcome import AgentResult
from app.agent.prompts import CONFIRMED, review_prompt, test_failure_prompt
from app.core.verdict import RepoTests
from app.metrics import instruments as metrics


@dataclass(frozen=True)
class Checks:
    """What Honk checks once the agent submits: its diff (None: no review) and the tests
    (`run_tests` returns None when the repository has no test command)."""

    run_tests: Callable[[], Awaitable[RepoTests | None]]
    diff: Callable[[], Awaitable[str]] | None = None
    fix_rounds: int = 2


@dataclass(frozen=True)
class SessionResult:
    """The agent's result and the verdict on the tree it left (None: no test command, or the
    run is unfinished), with the rounds used and the seconds spent in test runs."""

    agent: AgentResult
    tests: RepoTests | None
    fix_rounds: int = 0
    reviewed: bool = False
    test_seconds: float = 0.0

    @property
    def finished(self) -> bool:
        return self.agent.status == "submitted"


async def run_session(agent: Agent, *, system: str, task: str, checks: Checks) -> SessionResult:
    """Run `task`, review the diff, and hand failing tests back until they pass or rounds end;
    the run's metric is observed once, with how the whole session ended."""
    session = await _session(agent, system=system, task=task, checks=checks)
    metrics.agent_run_ended(session.agent.status, session.agent.turns)
    return session


async def _session(agent: Agent, *, system: str, task: str, checks: Checks) -> SessionResult:
    result = await agent.run(system=system, task=task)
    if result.status != "submitted":
        return SessionResult(result, None)
    result, reviewed = await _review(agent, result, checks)
    if result.status != "submitted":
        return SessionResult(result, None, reviewed=reviewed)
    return await _test_rounds(agent, SessionResult(result, None, reviewed=reviewed), checks)


async def _review(agent: Agent, result: AgentResult, checks: Checks) -> tuple[AgentResult, bool]:
    if checks.diff is None:
        return result, False
    diff = await checks.diff()
    skipped = "no change to review" if not diff.strip() else agent.budget_spent()
    if skipped is not None:
        agent.transcript.write("review", skipped=skipped)
        return result, False
    agent.transcript.write("review", diff_chars=len(diff))
    reviewed = await agent.follow_up(review_prompt(diff), kind="review")
    return _summary_kept(result, reviewed), True


def _summary_kept(before: AgentResult, after: AgentResult) -> AgentResult:
    """The review's result, with the summary from before it when the review changed nothing
    (one reply, no tool call) or only confirmed: a confirmation is not a PR description."""
    confirmed = after.summary.strip().strip("`*.").upper() == CONFIRMED
    if after.turns == before.turns + 1 or confirmed or not after.summary.strip():
        return replace(after, summary=before.summary)
    return after


async def _test_rounds(agent: Agent, session: SessionResult, checks: Checks) -> SessionResult:
    session = await _tested(agent, session, checks)
    while session.tests is not None and not session.tests.passed:
        if session.fix_rounds >= checks.fix_rounds:
            break
        if (spent := agent.budget_spent()) is not None:
            agent.transcript.write("tests", skipped=f"no further fix round: {spent}")
            break
        rounds = session.fix_rounds + 1
        prompt = test_failure_prompt(session.tests, rounds, checks.fix_rounds)
        result = await agent.follow_up(prompt, kind="tests")
        session = replace(session, agent=result, fix_rounds=rounds, tests=None)
        if result.status != "submitted":
            return session
        session = await _tested(agent, session, checks)
    return session


async def _tested(agent: Agent, session: SessionResult, checks: Checks) -> SessionResult:
    """The session with the verdict of one test run on the current tree, recorded."""
    started = time.monotonic()
    tests = await checks.run_tests()
    seconds = time.monotonic() - started
    if tests is not None:
        agent.transcript.write(
            "tests", round=session.fix_rounds, command=tests.command, passed=tests.passed,
            verdict=tests.headline(), output=tests.feedback(), seconds=seconds,
        )  # fmt: skip
    return replace(session, tests=tests, test_seconds=session.test_seconds + seconds)
