"""The agent's work, kept in the job's row: a retry publishes it, never reruns the agent.

Written once the agent's commit exists (before the push, `pushed` false) and again once it is
pushed (or when there was nothing to push). A later attempt of the same job (after a GitHub or
database failure) finds it: an unpushed commit is pushed from the repository cache, a pushed
one goes straight to publishing (the PR, the replies and the last word, each made at most once).
Unfinished work (the agent stopped early, its commit titled WIP) says so (`unfinished`: the
reason) and names its `branch`: a later job on that branch continues from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.agent.loop import AgentResult
from app.agent.model import Usage
from app.core.verdict import TEST_OUTPUT_CHARS, RepoTests

__all__ = ["TEST_OUTPUT_CHARS", "RepoTests", "WorkResult", "checkpoint_of", "restored"]


@dataclass(frozen=True)
class WorkResult:
    agent: AgentResult
    sha: str | None  # the agent's commit; None when the agent changed nothing
    changed: tuple[str, ...]
    tests: RepoTests | None
    lines: tuple[int, int] = (0, 0)  # lines added and removed by the agent's commit
    fix_rounds: int = 0  # failing test runs handed back to the agent

    @property
    def unfinished(self) -> bool:
        """The agent stopped before finishing (a budget, a stop, a refusal, a model failure)."""
        return self.agent.status != "submitted"


def checkpoint_of(work: WorkResult, *, pushed: bool, branch: str | None = None) -> dict[str, Any]:
    """The work as JSON-ready values (`branch`: where it is pushed)."""
    agent, tests = work.agent, work.tests
    return {
        "pushed": pushed,
        "branch": branch,
        "unfinished": agent.reason if work.unfinished else None,
        "fix_rounds": work.fix_rounds,
        "sha": work.sha,
        "changed": list(work.changed),
        "lines": list(work.lines),
        "tests": None
        if tests is None
        else [tests.command, tests.passed, tests.output, tests.timed_out],
        "agent": {
            "status": agent.status,
            "summary": agent.summary,
            "turns": agent.turns,
            "usage": [
                agent.usage.input_tokens,
                agent.usage.output_tokens,
                agent.usage.cache_creation_input_tokens,
                agent.usage.cache_read_input_tokens,
            ],
            "cost_usd": agent.cost_usd,
            "transcript": str(agent.transcript),
            "reason": agent.reason,
        },
    }


def restored(saved: dict[str, Any]) -> WorkResult:
    """The work a `checkpoint_of` describes."""
    agent = saved["agent"]
    result = AgentResult(
        status=agent["status"],
        summary=agent["summary"],
        turns=int(agent["turns"]),
        usage=Usage(*(int(count) for count in agent["usage"])),
        cost_usd=float(agent["cost_usd"]),
        transcript=Path(agent["transcript"]),
        reason=agent["reason"],
    )
    tests = saved["tests"]
    return WorkResult(
        agent=result,
        sha=saved["sha"],
        changed=tuple(saved["changed"]),
        tests=None
        if tests is None
        else RepoTests(tests[0], bool(tests[1]), tests[2], bool(tests[3:4] and tests[3])),
        lines=_lines(saved.get("lines")),
        fix_rounds=int(saved.get("fix_rounds") or 0),
    )


def _lines(saved: Any) -> tuple[int, int]:
    """Lines added and removed, as saved (a checkpoint of an older Honk has none: zero)."""
    if isinstance(saved, list) and len(saved) == 2:
        return int(saved[0]), int(saved[1])
    return 0, 0
