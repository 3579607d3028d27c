"""The agent loop: model ⇄ tools on one linear history, with budgets, cancellation, transcript."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

from app.agent.history import (
    CUT_OFF_NOTE,
    Block,
    compact_tool_results,
    drop_cut_tool_use,
    last_assistant_text,
    text_block,
    tool_result,
)
from app.agent.model import ModelTurn, Usage
from app.agent.outcome import AgentLimits, AgentResult, Status, TurnInfo
from app.agent.transcript import Transcript
from app.core.errors import (
    AgentEnded,
    Cancelled,
    ContextOverflow,
    LimitsExceeded,
    ModelError,
    Refused,
    SandboxError,
    SandboxUnavailable,
    Submitted,
    ToolError,
)
from app.metrics import instruments as metrics

__all__ = ["Agent", "AgentLimits", "AgentResult", "ModelLike", "Status", "ToolboxLike", "TurnInfo"]

KEEP_RECENT_RESULTS = 3
_STATUS: dict[type[AgentEnded], Status] = {
    Submitted: "submitted",
    LimitsExceeded: "limits",
    Cancelled: "cancelled",
    Refused: "refused",
}


class ModelLike(Protocol):
    """What the loop needs of a model: `app.agent.model.Model` or a fake."""

    async def complete(
        self, *, system: str, messages: list[Block], tools: list[Block]
    ) -> ModelTurn: ...


class ToolResultLike(Protocol):
    """What one tool call produced, as the model will see it."""

    @property
    def output(self) -> str: ...

    @property
    def is_error(self) -> bool: ...


class ToolboxLike(Protocol):
    """The tools offered to the model: their API specs and a way to call them."""

    def specs(self) -> list[Block]: ...

    async def call(self, name: str, input: Block, /) -> ToolResultLike: ...


class Agent:
    """Runs one task: ask the model, run the tools it calls, until it ends or a budget does."""

    def __init__(
        self,
        model: ModelLike,
        toolbox: ToolboxLike,
        limits: AgentLimits,
        transcript: Path,
        *,
        cancel_check: Callable[[], Awaitable[bool]] | None = None,
        on_turn: Callable[[TurnInfo], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.model = model
        self.toolbox = toolbox
        self.limits = limits
        self.transcript = Transcript(transcript)
        self._cancel_check = cancel_check
        self._on_turn = on_turn
        self._clock = clock
        self.messages: list[Block] = []
        self.usage = Usage()
        self.cost_usd = 0.0
        self.turns = 0
        self._started = 0.0
        self._overflowed = False
        self.model_seconds = 0.0
        self._system = ""
        self._tools: list[Block] = []

    async def run(self, *, system: str, task: str) -> AgentResult:
        """Work on `task` until the model submits, a budget runs out, or the job is stopped."""
        self._system, self._tools = system, self.toolbox.specs()
        self._begin(system, task, self._tools)
        return await self._drive()

    async def follow_up(self, text: str, *, kind: str) -> AgentResult:
        """Go on after the model submitted: `text` is the next user turn (a failing test run,
        the review of its diff); the same history, budgets and transcript."""
        self.messages.append({"role": "user", "content": [text_block(text)]})
        self.transcript.write("follow_up", about=kind, text=text)
        return await self._drive()

    def budget_spent(self) -> str | None:
        """Why no further turn may start (a budget is used up), or None."""
        try:
            self._check_limits()
        except LimitsExceeded as exc:
            return str(exc)
        return None

    def snapshot(self, status: Status, reason: str) -> AgentResult:
        """The run so far, as a result: for a run ended from outside (a stop)."""
        summary = last_assistant_text(self.messages)
        return AgentResult(
            status, summary, self.turns, self.usage, self.cost_usd, self.transcript.path, reason,
            self.model_seconds,
        )  # fmt: skip

    async def _drive(self) -> AgentResult:
        system, tools = self._system, self._tools
        try:
            while True:
                await self._step(system, tools)
        except AgentEnded as ended:
            return self._end(_STATUS.get(type(ended), "error"), ended)
        except (ModelError, SandboxUnavailable) as exc:
            return self._end("error", exc)
        except BaseException as exc:
            self._record_end(
                "error", f"{type(exc).__name__}: {exc}", last_assistant_text(self.messages)
            )
            raise

    def _begin(self, system: str, task: str, tools: list[Block]) -> None:
        self._started = self._clock()
        self.messages.append({"role": "user", "content": [{"type": "text", "text": task}]})
        names = [spec.get("name") for spec in tools]
        self.transcript.write(
            "task", system=system, task=task, tools=names, limits=asdict(self.limits)
        )

    async def _step(self, system: str, tools: list[Block]) -> None:
        await self._check_cancel()
        self._check_limits()
        turn = await self._query(system, tools)
        if turn is None:
            return
        names = tuple(block["name"] for block in turn.content if block.get("type") == "tool_use")
        await self._act(turn)
        if self._on_turn is not None:
            info = TurnInfo(self.turns, names, self.usage, self.cost_usd, self._elapsed())
            await self._on_turn(info)

    async def _check_cancel(self) -> None:
        if self._cancel_check is not None and await self._cancel_check():
            raise Cancelled(f"stop requested after {self.turns} turns")

    def _check_limits(self) -> None:
        limits, elapsed = self.limits, self._elapsed()
        if self.turns >= limits.max_turns:
            raise LimitsExceeded(f"turn budget used: {self.turns} of {limits.max_turns} turns")
        if (spent := self.cost_usd + limits.spent_usd) >= limits.max_usd:
            earlier = f" (${limits.spent_usd:.4f} by earlier attempts)" if limits.spent_usd else ""
            raise LimitsExceeded(
                f"USD budget used: ${spent:.4f} spent of ${limits.max_usd:.2f}{earlier}"
            )
        if elapsed >= limits.max_seconds:
            raise LimitsExceeded(
                f"wall-clock budget used: {elapsed:.0f} s of {limits.max_seconds:.0f} s"
            )

    async def _query(self, system: str, tools: list[Block]) -> ModelTurn | None:
        """One model call, accounted and recorded; None when the history had to be compacted."""
        asked = self._clock()
        try:
            turn = await self.model.complete(system=system, messages=self.messages, tools=tools)
        except ContextOverflow as exc:
            self._compact(exc)
            return None
        finally:
            self.model_seconds += self._clock() - asked
        self._overflowed = False
        self.turns += 1
        self.usage += turn.usage
        self.cost_usd += turn.cost_usd
        metrics.agent_turn(turn.usage.by_kind(), turn.cost_usd)
        self.transcript.write(
            "model",
            turn=self.turns,
            content=turn.content,
            stop_reason=turn.stop_reason,
            usage=asdict(turn.usage),
            cost_usd=turn.cost_usd,
            request_id=turn.request_id,
        )
        return turn

    def _compact(self, overflow: ContextOverflow) -> None:
        """Blank old tool output once per overflow; a second overflow in a row is an error."""
        if self._overflowed:
            raise ModelError(f"context still too long after removing old tool output: {overflow}")
        removed = compact_tool_results(self.messages, keep=KEEP_RECENT_RESULTS)
        if removed == 0:
            raise ModelError(f"context too long and no old tool output to remove: {overflow}")
        self._overflowed = True
        self.transcript.write("compacted", removed=removed, reason=str(overflow))

    async def _act(self, turn: ModelTurn) -> None:
        """Append the reply and do what its stop reason asks; ending reasons raise."""
        reason = turn.stop_reason
        if reason in ("max_tokens", "model_context_window_exceeded"):
            content = drop_cut_tool_use(turn.content)
            self._append("assistant", content)
            self._append("user", [*await self._run_tools(content), text_block(CUT_OFF_NOTE)])
            self.transcript.write("note", turn=self.turns, text=CUT_OFF_NOTE)
            return
        self._append("assistant", turn.content)
        if reason == "refusal":
            raise Refused("the model declined to continue (stop_reason: refusal)")
        if reason in ("end_turn", "stop_sequence"):
            raise Submitted(last_assistant_text(self.messages))
        if reason == "tool_use":
            self._append("user", await self._run_tools(turn.content))
        elif reason != "pause_turn":
            raise ModelError(f"unexpected stop_reason {reason!r}")

    async def _run_tools(self, content: list[Block]) -> list[Block]:
        """Call every tool_use block in order; their results, in the same order."""
        return [await self._call(block) for block in content if block.get("type") == "tool_use"]

    async def _call(self, block: Block) -> Block:
        name, tool_input = str(block["name"]), block.get("input") or {}
        try:
            result = await self.toolbox.call(name, tool_input)
            output, is_error = result.output, result.is_error
        except SandboxUnavailable:
            raise
        except (ToolError, SandboxError) as exc:
            output, is_error = f"Error: {exc}", True
        self.transcript.write(
            "tool",
            turn=self.turns,
            id=block["id"],
            name=name,
            input=tool_input,
            output=output,
            is_error=is_error,
        )
        return tool_result(block["id"], output, is_error)

    def _append(self, role: str, content: list[Block]) -> None:
        if content:
            self.messages.append({"role": role, "content": content})

    def _elapsed(self) -> float:
        return self._clock() - self._started

    def _end(self, status: Status, exc: Exception) -> AgentResult:
        reason = "the model ended its turn" if status == "submitted" else str(exc)
        result = self.snapshot(status, reason)
        self._record_end(status, reason, result.summary)
        return result

    def _record_end(self, status: str, reason: str, summary: str) -> None:
        self.transcript.write(
            "end",
            status=status,
            reason=reason,
            summary=summary,
            turns=self.turns,
            usage=asdict(self.usage),
            cost_usd=self.cost_usd,
            elapsed=self._elapsed(),
        )
