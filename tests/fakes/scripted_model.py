"""A model in-process: answers each `complete` from a script, records what it was sent.

For the agent loop, the test-driven session and `honk eval` without the Messages API: each
scripted answer is a `ModelTurn`, or a function of the messages so far that returns one.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from typing import Any

from app.agent.model import ModelTurn, Usage

Block = dict[str, Any]
Answer = ModelTurn | Callable[[list[Block]], ModelTurn]
_ids = itertools.count(1)


def end(text: str, cost_usd: float = 0.0) -> ModelTurn:
    """A reply that ends the turn with `text` (the summary)."""
    return ModelTurn([{"type": "text", "text": text}], "end_turn", Usage(10, 5), cost_usd, None)


def calls(*blocks: Block, cost_usd: float = 0.0) -> ModelTurn:
    """A reply that calls tools (`bash(...)`, `editor(...)` blocks)."""
    return ModelTurn(list(blocks), "tool_use", Usage(10, 5), cost_usd, None)


def bash(command: str) -> Block:
    return {
        "type": "tool_use",
        "id": f"tu_{next(_ids)}",
        "name": "bash",
        "input": {"command": command},
    }


def editor(**params: Any) -> Block:
    return {
        "type": "tool_use",
        "id": f"tu_{next(_ids)}",
        "name": "str_replace_based_edit_tool",
        "input": params,
    }


def last_user_text(messages: Sequence[Block]) -> str:
    """The text of the newest user message (a task or a follow-up turn)."""
    content = messages[-1]["content"]
    return "\n".join(b.get("text", "") for b in content if b.get("type") == "text")


class ScriptedModel:
    """Answers in order; an exhausted script ends the turn with `fallback`."""

    def __init__(self, answers: Sequence[Answer], fallback: str = "Done.") -> None:
        self.answers = list(answers)
        self.fallback = fallback
        self.sent: list[list[Block]] = []

    async def complete(
        self, *, system: str, messages: list[Block], tools: list[Block]
    ) -> ModelTurn:
        self.sent.append(copy.deepcopy(messages))
        if not self.answers:
            return end(self.fallback)
        answer = self.answers.pop(0)
        return answer(messages) if callable(answer) else answer
