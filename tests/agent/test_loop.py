"""The real agent loop driven by a scripted Messages API on loopback, with fake tools."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import respx

from app.agent.history import COMPACTED, CUT_OFF_NOTE
from app.agent.loop import Agent, AgentLimits, AgentResult, ToolboxLike, TurnInfo
from app.agent.model import Model, ModelConfig, Usage, cost_usd, price_for
from app.agent.tools import Toolbox
from app.agent.transcript import read_transcript
from app.core.config import Secret
from app.core.errors import ToolError
from app.sandbox.sandbox import CommandResult
from tests.fakes.anthropic_api import (
    BASE_URL,
    TOOLS,
    ScriptedMessagesAPI,
    bash,
    text_block,
    tool_use_block,
    usage,
)

API_KEY = "sk-ant-api03-loop-test-key"
SONNET = price_for("claude-sonnet-4-6")
DEFAULT_LIMITS = AgentLimits()


@dataclass(frozen=True)
class Result:
    output: str
    is_error: bool = False


class RecordingToolbox:
    """Answers each bash command from a table (default: `ran <command>`), recording calls."""

    def __init__(self, answers: Mapping[str, Result | Exception] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def specs(self) -> list[dict[str, Any]]:
        return TOOLS

    async def call(self, name: str, tool_input: Mapping[str, Any], /) -> Result:
        self.calls.append((name, dict(tool_input)))
        command = str(tool_input.get("command", ""))
        answer = self.answers.get(command, Result(f"ran {command}"))
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeShell:
    """The sandbox shell, replaced: records commands and answers as a passing test run."""

    def __init__(self) -> None:
        self.commands: list[str] = []

    async def run(self, command: str, timeout: float | None = None) -> CommandResult:
        self.commands.append(command)
        return CommandResult(output="3 passed", exit_code=0)

    async def restart(self) -> None:
        self.commands.append("<restart>")


class StepClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api(httpx2_mock: respx.Router) -> ScriptedMessagesAPI:
    return ScriptedMessagesAPI(httpx2_mock)


def make_agent(
    tmp_path: Path,
    toolbox: ToolboxLike | None = None,
    limits: AgentLimits = DEFAULT_LIMITS,
    **options: Any,
) -> Agent:
    config = ModelConfig("claude-sonnet-4-6", Secret(API_KEY), BASE_URL, 10.0, max_retries=2)
    transcript = tmp_path / "transcripts" / "run.jsonl"
    return Agent(Model(config), toolbox or RecordingToolbox(), limits, transcript, **options)


async def run(agent: Agent) -> AgentResult:
    return await agent.run(system="You are Honk.", task="Fix the failing test.")


def records(result: AgentResult) -> list[dict[str, Any]]:
    return list(read_transcript(result.transcript))


def user_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    message = body["messages"][-1]
    assert message["role"] == "user"
    content: list[dict[str, Any]] = message["content"]
    return content


async def test_tool_calls_run_in_order_then_the_last_text_is_the_summary(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    first, second = bash("ls", "toolu_a"), bash("pytest", "toolu_b")
    api.reply([text_block("Looking around."), first, second], "tool_use")
    api.reply([text_block("Fix off-by-one in pager\n\nChanged x; ran pytest.")])
    toolbox = RecordingToolbox({"pytest": Result("1 failed", is_error=True)})
    result = await run(make_agent(tmp_path, toolbox))
    assert result.status == "submitted"
    assert result.summary == "Fix off-by-one in pager\n\nChanged x; ran pytest."
    assert result.turns == 2
    assert toolbox.calls == [("bash", {"command": "ls"}), ("bash", {"command": "pytest"})]
    assert api.requests[1]["messages"][1] == {
        "role": "assistant",
        "content": [text_block("Looking around."), first, second],
    }
    assert user_blocks(api.requests[1]) == [
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "ran ls"},
        {"type": "tool_result", "tool_use_id": "toolu_b", "content": "1 failed", "is_error": True},
    ]


async def test_real_toolbox_edits_the_checkout_and_the_request_offers_both_tools(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    create = {"command": "create", "path": "fix.py", "file_text": "print('fixed')\n"}
    api.reply([tool_use_block("str_replace_based_edit_tool", create, "toolu_e")], "tool_use")
    api.reply([bash("python -m pytest -q", "toolu_t")], "tool_use")
    api.reply([text_block("Add fix.py")])
    shell = FakeShell()
    result = await run(make_agent(tmp_path, Toolbox(root, shell)))
    assert result.status == "submitted"
    assert (root / "fix.py").read_text() == "print('fixed')\n"
    assert shell.commands == ["python -m pytest -q"]
    assert [request["tools"] for request in api.requests] == [TOOLS] * 3
    assert "is_error" not in user_blocks(api.requests[1])[0]
    assert user_blocks(api.requests[2]) == [
        {"type": "tool_result", "tool_use_id": "toolu_t", "content": "3 passed"}
    ]


async def test_every_request_has_the_system_breakpoint_and_the_top_level_marker(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.reply([bash("ls")], "tool_use")
    api.reply([text_block("done")])
    await run(make_agent(tmp_path))
    for body in api.requests:
        assert body["system"] == [
            {"type": "text", "text": "You are Honk.", "cache_control": {"type": "ephemeral"}}
        ]
        assert body["cache_control"] == {"type": "ephemeral"}
    assert api.requests[0]["messages"] == [
        {"role": "user", "content": [text_block("Fix the failing test.")]}
    ]


@pytest.mark.parametrize(
    ("cut_content", "kept"),
    [
        ([text_block("Writing the file"), bash("cat > big")], [text_block("Writing the file")]),
        ([text_block("A very long explanation")], [text_block("A very long explanation")]),
    ],
)
async def test_max_tokens_drops_a_cut_tool_call_and_asks_to_continue(
    api: ScriptedMessagesAPI,
    tmp_path: Path,
    cut_content: list[dict[str, Any]],
    kept: list[dict[str, Any]],
) -> None:
    api.reply(cut_content, "max_tokens")
    api.reply([text_block("done")])
    toolbox = RecordingToolbox()
    result = await run(make_agent(tmp_path, toolbox))
    assert result.status == "submitted"
    assert toolbox.calls == []
    assert api.requests[1]["messages"][1:] == [
        {"role": "assistant", "content": kept},
        {"role": "user", "content": [text_block(CUT_OFF_NOTE)]},
    ]


async def test_pause_turn_resends_the_history_with_the_paused_reply_last(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.reply([text_block("Still thinking")], "pause_turn")
    api.reply([text_block("done")])
    result = await run(make_agent(tmp_path))
    assert result.status == "submitted"
    assert api.requests[1]["messages"][-1] == {
        "role": "assistant",
        "content": [text_block("Still thinking")],
    }
    assert len(api.requests[1]["messages"]) == 2


async def test_refusal_ends_the_run_clearly(api: ScriptedMessagesAPI, tmp_path: Path) -> None:
    api.reply([text_block("I can't help with that.")], "refusal")
    result = await run(make_agent(tmp_path))
    assert (result.status, result.turns) == ("refused", 1)
    assert "refusal" in result.reason
    assert result.summary == "I can't help with that."
    assert records(result)[-1]["status"] == "refused"


@pytest.mark.parametrize("failure", ["rate_limited", "overloaded"])
async def test_rate_limits_and_overload_are_retried_and_the_run_succeeds(
    api: ScriptedMessagesAPI, tmp_path: Path, failure: str
) -> None:
    getattr(api, failure)()
    api.reply([bash("ls")], "tool_use")
    getattr(api, failure)()
    api.reply([text_block("done")])
    result = await run(make_agent(tmp_path))
    assert (result.status, result.turns, len(api.requests)) == ("submitted", 2, 4)


async def test_an_api_failure_ends_the_run_with_status_error(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.error(401, "authentication_error", "invalid x-api-key")
    result = await run(make_agent(tmp_path))
    assert result.status == "error"
    assert "401 (authentication_error)" in result.reason
    assert records(result)[-1]["type"] == "end"


async def test_usage_with_cache_fields_is_summed_and_costed(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.reply([bash("ls")], "tool_use", usage(2000, 100, 8000, 0))
    api.reply([text_block("done")], "end_turn", usage(300, 400, 500, 8000))
    result = await run(make_agent(tmp_path))
    assert result.usage == Usage(2300, 500, 8500, 8000)
    expected = (2300 * 3 + 500 * 15 + 8500 * 3.75 + 8000 * 0.3) / 1e6
    assert result.cost_usd == pytest.approx(expected)
    assert result.cost_usd == pytest.approx(cost_usd(result.usage, SONNET))


def advance_clock(clock: StepClock) -> Callable[[TurnInfo], Any]:
    async def on_turn(info: TurnInfo) -> None:
        clock.now += 1000.0

    return on_turn


@pytest.mark.parametrize(
    ("limits", "turn_usage", "fragment"),
    [
        (AgentLimits(max_turns=2), usage(), "turn budget used: 2 of 2 turns"),
        (AgentLimits(max_usd=1.0), usage(1_000_000, 0), "USD budget used: $3.0000 spent of $1.00"),
        (AgentLimits(max_seconds=600.0), usage(), "wall-clock budget used: 1000 s of 600 s"),
    ],
)
async def test_each_budget_stops_the_run_with_a_clear_reason(
    api: ScriptedMessagesAPI,
    tmp_path: Path,
    limits: AgentLimits,
    turn_usage: dict[str, int],
    fragment: str,
) -> None:
    for _ in range(5):
        api.reply([bash("ls")], "tool_use", turn_usage)
    clock = StepClock()
    agent = make_agent(tmp_path, limits=limits, clock=clock, on_turn=advance_clock(clock))
    result = await run(agent)
    assert result.status == "limits"
    assert fragment in result.reason
    assert len(api.requests) == result.turns < 5


async def test_cancellation_is_checked_between_turns(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.reply([bash("ls")], "tool_use")
    api.reply([text_block("never sent")])
    checks: list[int] = []

    async def cancel_check() -> bool:
        checks.append(1)
        return len(checks) > 1

    result = await run(make_agent(tmp_path, cancel_check=cancel_check))
    assert (result.status, result.turns, len(api.requests)) == ("cancelled", 1, 1)
    assert "stop requested" in result.reason


def script_tool_turns(api: ScriptedMessagesAPI, count: int) -> None:
    for number in range(count):
        api.reply([bash(f"step {number}", f"toolu_{number}")], "tool_use")


async def test_context_overflow_compacts_old_tool_output_and_goes_on(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    script_tool_turns(api, 5)
    api.prompt_too_long()
    api.reply([text_block("done")])
    result = await run(make_agent(tmp_path))
    assert result.status == "submitted"
    retried = api.requests[6]["messages"]
    results = [m["content"][0] for m in retried if m["role"] == "user"][1:]
    outputs = [block["content"] for block in results]
    assert outputs == [COMPACTED, COMPACTED, "ran step 2", "ran step 3", "ran step 4"]
    assert [r["removed"] for r in records(result) if r["type"] == "compacted"] == [2]


@pytest.mark.parametrize(
    ("tool_turns", "overflows", "fragment"),
    [(5, 2, "still too long"), (0, 1, "no old tool output")],
)
async def test_overflow_that_compaction_cannot_cure_ends_with_error(
    api: ScriptedMessagesAPI, tmp_path: Path, tool_turns: int, overflows: int, fragment: str
) -> None:
    script_tool_turns(api, tool_turns)
    for _ in range(overflows):
        api.prompt_too_long()
    result = await run(make_agent(tmp_path))
    assert result.status == "error"
    assert fragment in result.reason
    assert len(api.requests) == tool_turns + overflows


async def test_tool_errors_are_observations_not_exceptions(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.reply([bash("bad", "toolu_x")], "tool_use")
    api.reply([text_block("done")])
    toolbox = RecordingToolbox({"bad": ToolError("`command` must not be empty")})
    result = await run(make_agent(tmp_path, toolbox))
    assert result.status == "submitted"
    assert user_blocks(api.requests[1]) == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_x",
            "content": "Error: `command` must not be empty",
            "is_error": True,
        }
    ]


async def test_progress_is_reported_after_each_continuing_turn(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.reply([bash("ls"), bash("pwd")], "tool_use", usage(1000, 0))
    api.reply([tool_use_block("str_replace_based_edit_tool", {"command": "view"})], "tool_use")
    api.reply([text_block("done")])
    seen: list[TurnInfo] = []

    async def on_turn(info: TurnInfo) -> None:
        seen.append(info)

    await run(make_agent(tmp_path, on_turn=on_turn))
    assert [(i.turn, i.tools) for i in seen] == [
        (1, ("bash", "bash")),
        (2, ("str_replace_based_edit_tool",)),
    ]
    assert seen[0].usage.input_tokens == 1000
    assert seen[1].cost_usd > seen[0].cost_usd > 0


async def test_transcript_holds_every_step_in_order_and_never_the_key(
    api: ScriptedMessagesAPI, tmp_path: Path
) -> None:
    api.reply([text_block("Checking."), bash("ls", "toolu_1"), bash("id", "toolu_2")], "tool_use")
    api.reply([text_block("Done: nothing to fix")])
    result = await run(make_agent(tmp_path))
    steps = records(result)
    assert [step["type"] for step in steps] == ["task", "model", "tool", "tool", "model", "end"]
    assert [step["seq"] for step in steps] == [1, 2, 3, 4, 5, 6]
    assert steps[0]["task"] == "Fix the failing test."
    assert steps[0]["tools"] == ["bash", "str_replace_based_edit_tool"]
    assert [(s["id"], s["output"]) for s in steps[2:4]] == [
        ("toolu_1", "ran ls"),
        ("toolu_2", "ran id"),
    ]
    assert steps[1]["usage"]["input_tokens"] == 100
    assert steps[1]["request_id"].startswith("req_")
    assert steps[-1]["status"] == "submitted"
    assert steps[-1]["summary"] == "Done: nothing to fix"
    assert any(API_KEY in value for value in api.headers[0].values())
    assert API_KEY not in result.transcript.read_text()
