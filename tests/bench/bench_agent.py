"""Benchmark: Honk's overhead per agent turn, against bare history building in the same run."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_httpx2  # noqa: F401  (registers respx's httpcore2 mocker, which anthropic uses)
import respx

from app.agent.history import tool_result
from app.agent.loop import Agent, AgentLimits
from app.agent.model import Model, ModelConfig, ModelTurn, Usage
from app.core.config import Secret
from tests.fakes.anthropic_api import BASE_URL, ScriptedMessagesAPI, bash, text_block

SESSION_TURNS = 200
REPEATS = 7
HTTP_TURNS = 40
HTTP_REPEATS = 3
TARGET_MS = 5.0
TOOLS: list[dict[str, Any]] = [
    {"type": "bash_20250124", "name": "bash"},
    {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
]
TURN_USAGE = Usage(1200, 80, 0, 9000)
LIMITS = AgentLimits(max_turns=10_000, max_usd=1e9, max_seconds=1e9)
_ids = itertools.count()


def canned_content() -> list[dict[str, Any]]:
    """What a typical tool-calling turn returns: a thought and one bash call."""
    return [
        text_block("Let me run the tests to see what fails."),
        {
            "type": "tool_use",
            "id": f"toolu_{next(_ids)}",
            "name": "bash",
            "input": {"command": "ls"},
        },
    ]


class InstantModel:
    """A ModelLike answering at once: tool turns, then a final summary."""

    def __init__(self, turns: int) -> None:
        self.turns = turns
        self.calls = 0

    async def complete(
        self, *, system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> ModelTurn:
        self.calls += 1
        if self.calls >= self.turns:
            return ModelTurn([text_block("Done")], "end_turn", TURN_USAGE, 0.001, None)
        return ModelTurn(canned_content(), "tool_use", TURN_USAGE, 0.001, "req_bench")


@dataclass(frozen=True)
class Output:
    output: str
    is_error: bool = False


class NoopToolbox:
    """Tools that do nothing, so only Honk's own work is timed."""

    def specs(self) -> list[dict[str, Any]]:
        return TOOLS

    async def call(self, name: str, tool_input: Mapping[str, Any], /) -> Output:
        return Output("ok")


def bare_history_ms(turns: int) -> float:
    """Baseline: the same history built by plain Python, no loop, no transcript."""
    started = time.perf_counter()
    messages: list[dict[str, Any]] = [{"role": "user", "content": [text_block("task")]}]
    usage = Usage()
    for _ in range(turns):
        content = canned_content()
        usage += TURN_USAGE
        messages.append({"role": "assistant", "content": content})
        results = [tool_result(b["id"], "ok", False) for b in content if b["type"] == "tool_use"]
        messages.append({"role": "user", "content": results})
    return (time.perf_counter() - started) * 1000 / turns


async def loop_ms(model: Any, turns: int, directory: Path) -> float:
    """Per-turn time of a whole Agent.run with `model` and no-op tools."""
    transcript = directory / f"run-{next(_ids)}.jsonl"
    agent = Agent(model, NoopToolbox(), LIMITS, transcript)
    started = time.perf_counter()
    result = await agent.run(system="You are Honk.", task="Fix it.")
    elapsed = time.perf_counter() - started
    if result.status != "submitted" or result.turns != turns:
        raise RuntimeError(f"benchmark run ended unexpectedly: {result.status} {result.reason}")
    return elapsed * 1000 / turns


async def http_model_ms(turns: int, directory: Path) -> float:
    """Per-turn time with the real Model over the scripted Messages API (SDK included)."""
    with respx.mock(using="httpcore2") as router:
        api = ScriptedMessagesAPI(router)
        for _ in range(turns - 1):
            api.reply([text_block("Running."), bash("ls")], "tool_use")
        api.reply([text_block("Done")])
        config = ModelConfig("claude-sonnet-4-6", Secret("sk-ant-bench"), BASE_URL, 30.0, 0)
        return await loop_ms(Model(config), turns, directory)


async def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        base = [bare_history_ms(SESSION_TURNS) for _ in range(REPEATS)]
        loop = [
            await loop_ms(InstantModel(SESSION_TURNS), SESSION_TURNS, directory)
            for _ in range(REPEATS)
        ]
        http = [await http_model_ms(HTTP_TURNS, directory) for _ in range(HTTP_REPEATS)]
    return {
        f"bare history building, {SESSION_TURNS} turns (baseline)": statistics.median(base),
        f"Honk loop, instant model, no-op tools, {SESSION_TURNS} turns": statistics.median(loop),
        f"Honk loop + real Model over scripted HTTP, {HTTP_TURNS} turns": statistics.median(http),
    }


def main() -> None:
    medians = asyncio.run(measure())
    baseline = next(iter(medians.values()))
    width = max(len(name) for name in medians)
    print(f"{'agent turn overhead':<{width}}  {'median ms/turn':>14}  {'x baseline':>10}")
    for name, value in medians.items():
        print(f"{name:<{width}}  {value:>14.4f}  {value / baseline:>10.1f}")
    loop = list(medians.values())[1]
    verdict = "OK" if loop <= TARGET_MS else "OVER"
    print(f"target: Honk loop overhead <= {TARGET_MS} ms/turn: {verdict} ({loop:.4f} ms)")


if __name__ == "__main__":
    main()
