"""The agent's finished work, kept in the job's row: a retry publishes it, never reruns the agent.

Written once the work is done (the commit pushed, or nothing to push); a later attempt of the
same job (after a GitHub or database failure) finds it and goes straight to publishing: the
PR, the replies and the last word, each made at most once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.agent.loop import AgentResult
from app.agent.model import Usage
from app.flows.work import RepoTests, WorkResult


def checkpoint_of(work: WorkResult) -> dict[str, Any]:
    """The work as JSON-ready values."""
    agent, tests = work.agent, work.tests
    return {
        "sha": work.sha,
        "changed": list(work.changed),
        "tests": None if tests is None else [tests.command, tests.passed, tests.output],
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
        tests=None if tests is None else RepoTests(tests[0], bool(tests[1]), tests[2]),
    )
