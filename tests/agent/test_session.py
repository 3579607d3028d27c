"""The test-driven session: review on submit, failing tests handed back, budgets respected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.agent.loop import Agent, AgentLimits
from app.agent.session import Checks, run_session
from app.agent.transcript import read_transcript
from app.core.verdict import RepoTests
from tests.fakes.anthropic_api import TOOLS
from tests.fakes.scripted_model import ScriptedModel, bash, calls, end, last_user_text

FAILING = RepoTests("pytest -q", False, "E   assert 1 == 2\n1 failed, 3 passed in 0.02s")
PASSING = RepoTests("pytest -q", True, "4 passed in 0.02s")


@dataclass(frozen=True)
class Result:
    output: str
    is_error: bool = False


class Toolbox:
    def specs(self) -> list[dict[str, Any]]:
        return TOOLS

    async def call(self, name: str, tool_input: Mapping[str, Any], /) -> Result:
        return Result(f"ran {tool_input.get('command')}")


class Verdicts:
    """Each call gives the next verdict; counts the runs."""

    def __init__(self, *verdicts: RepoTests | None) -> None:
        self.verdicts = list(verdicts)
        self.runs = 0

    async def __call__(self) -> RepoTests | None:
        self.runs += 1
        return self.verdicts.pop(0)


def agent(model: ScriptedModel, tmp_path: Path, limits: AgentLimits | None = None) -> Agent:
    return Agent(model, Toolbox(), limits or AgentLimits(), tmp_path / "t.jsonl")


async def test_a_failing_run_goes_back_to_the_agent_and_the_second_attempt_passes(
    tmp_path: Path,
) -> None:
    model = ScriptedModel([end("Fix it\n\nfirst try"), calls(bash("edit")), end("Fix it\n\nnow")])
    tests = Verdicts(FAILING, PASSING)
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(run_tests=tests)
    )
    assert done.finished and done.tests == PASSING and done.fix_rounds == 1
    handed_back = last_user_text(model.sent[1])
    assert "`pytest -q`" in handed_back and "failed (1 failing)" in handed_back
    assert "assert 1 == 2" in handed_back and "attempt 1 of 2" in handed_back
    assert done.agent.summary == "Fix it\n\nnow"
    kinds = [r["type"] for r in read_transcript(tmp_path / "t.jsonl")]
    assert kinds.count("tests") == 2 and "follow_up" in kinds


async def test_rounds_end_at_the_repositorys_limit_with_the_failure_as_the_verdict(
    tmp_path: Path,
) -> None:
    model = ScriptedModel([end("a"), end("b"), end("c"), end("d")])
    tests = Verdicts(FAILING, FAILING, FAILING, FAILING)
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(tests, fix_rounds=2)
    )
    assert done.tests == FAILING and done.fix_rounds == 2 and tests.runs == 3
    assert len(model.sent) == 3


async def test_zero_rounds_never_hands_a_failure_back(tmp_path: Path) -> None:
    model = ScriptedModel([end("a")])
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(Verdicts(FAILING), fix_rounds=0)
    )
    assert done.tests == FAILING and len(model.sent) == 1


async def test_no_round_starts_when_a_budget_is_spent(tmp_path: Path) -> None:
    model = ScriptedModel([end("a"), end("b")])
    done = await run_session(
        agent(model, tmp_path, AgentLimits(max_turns=1)),
        system="s",
        task="t",
        checks=Checks(Verdicts(FAILING)),
    )
    assert done.finished and done.tests == FAILING and done.fix_rounds == 0
    skipped = [r for r in read_transcript(tmp_path / "t.jsonl") if r.get("skipped")]
    assert skipped and "turn budget" in skipped[0]["skipped"]


async def test_no_test_command_gives_no_verdict_and_no_round(tmp_path: Path) -> None:
    model = ScriptedModel([end("a")])
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(Verdicts(None))
    )
    assert done.finished and done.tests is None and len(model.sent) == 1


async def test_the_agent_reviews_its_whole_diff_once_before_the_tests(tmp_path: Path) -> None:
    order: list[str] = []

    async def diff() -> str:
        order.append("diff")
        return "diff --git a/debug.log b/debug.log\n+noise\n"

    async def run_tests() -> RepoTests | None:
        order.append("tests")
        return PASSING

    model = ScriptedModel([end("Title\n\nbody"), calls(bash("rm debug.log")), end("Title\n\nbody")])
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(run_tests, diff=diff)
    )
    assert done.reviewed and order == ["diff", "tests"]
    review = last_user_text(model.sent[1])
    assert "<diff>" in review and "+noise" in review
    assert "scratch scripts" in review and "tests weakened" in review
    records = [r for r in read_transcript(tmp_path / "t.jsonl") if r["type"] == "review"]
    assert records == [{"seq": records[0]["seq"], "type": "review", "diff_chars": 42}]


async def test_no_change_means_no_review(tmp_path: Path) -> None:
    async def diff() -> str:
        return ""

    model = ScriptedModel([end("a")])
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(Verdicts(None), diff=diff)
    )
    assert not done.reviewed and len(model.sent) == 1


async def test_a_follow_up_without_text_keeps_the_summary(tmp_path: Path) -> None:
    silent = calls(bash("true"))
    model = ScriptedModel([end("Summary\n\nkept"), silent, end("")], fallback="")
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(Verdicts(FAILING, PASSING))
    )
    assert done.agent.summary == "Summary\n\nkept"


async def test_a_round_that_runs_out_of_budget_is_unfinished_without_a_verdict(
    tmp_path: Path,
) -> None:
    model = ScriptedModel([end("a"), calls(bash("x")), calls(bash("y"))])
    done = await run_session(
        agent(model, tmp_path, AgentLimits(max_turns=2)),
        system="s",
        task="t",
        checks=Checks(Verdicts(FAILING, PASSING)),
    )
    assert done.agent.status == "limits" and done.tests is None and not done.finished


async def _diff() -> str:
    return "diff --git a/x b/x\n+x\n"


@pytest.mark.parametrize(
    ("review_turns", "summary"),
    [
        ([end("CONFIRMED")], "Title\n\nfirst"),
        ([end("Looks good to me.")], "Title\n\nfirst"),  # one reply, no change: not a summary
        ([calls(bash("rm x.log")), end("CONFIRMED")], "Title\n\nfirst"),
        ([calls(bash("rm x.log")), end("Title\n\nsecond")], "Title\n\nsecond"),
    ],
)
async def test_the_summary_survives_a_review_that_only_confirms(
    tmp_path: Path, review_turns: list[Any], summary: str
) -> None:
    model = ScriptedModel([end("Title\n\nfirst"), *review_turns])
    done = await run_session(
        agent(model, tmp_path), system="s", task="t", checks=Checks(Verdicts(None), diff=_diff)
    )
    assert done.reviewed and done.agent.summary == summary
