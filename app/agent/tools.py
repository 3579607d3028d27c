"""The agent's toolbox: Anthropic's bash and text editor tools, turned into observations."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from app.agent.editor import TOOL_NAME as EDITOR_TOOL
from app.agent.editor import Editor
from app.core.errors import SandboxError, SandboxUnavailable, ToolError
from app.sandbox.sandbox import CommandResult

BASH_TOOL = "bash"
NO_OUTPUT = "(no output)"


@dataclass(frozen=True)
class ToolResult:
    """What goes back to the model in a tool_result block."""

    output: str
    is_error: bool = False


class Shell(Protocol):
    """A persistent shell in the sandbox, started in the repository root."""

    # The timeout is the sandbox's per-command wall clock (it kills the process group).
    async def run(self, command: str, timeout: float | None = None) -> CommandResult: ...  # noqa: ASYNC109

    async def restart(self) -> None: ...


def describe_command(result: CommandResult, timeout: float | None) -> ToolResult:
    """The command's output with notes on a timeout or a non-zero exit code."""
    text = result.output if result.output.strip() else NO_OUTPUT
    if result.timed_out:
        limit = f" after {timeout:g} seconds" if timeout is not None else ""
        note = f"[the command timed out{limit} and was killed; try a narrower or backgrounded run]"
        return ToolResult(f"{text}\n{note}", is_error=True)
    if result.exit_code:
        return ToolResult(f"{text}\n[exit code {result.exit_code}]")
    return ToolResult(text)


class Toolbox:
    """The tools the agent loop offers the model, and their dispatch; never raises for bad input."""

    def __init__(self, root: Path, shell: Shell, *, command_timeout: float | None = None) -> None:
        self._editor = Editor(root)
        self._shell = shell
        self._command_timeout = command_timeout

    def specs(self) -> list[dict[str, Any]]:
        """The tool definitions for the Messages API (Anthropic-defined, schema-less)."""
        return [
            {"type": "bash_20250124", "name": BASH_TOOL},
            {"type": "text_editor_20250728", "name": EDITOR_TOOL},
        ]

    async def call(self, name: str, tool_input: Mapping[str, Any]) -> ToolResult:
        """Run one tool call; invalid calls come back as `is_error` results."""
        if not isinstance(tool_input, Mapping):
            return ToolResult(f"The input of tool {name!r} must be an object.", is_error=True)
        try:
            if name == BASH_TOOL:
                return await self._bash(tool_input)
            if name == EDITOR_TOOL:
                output = await asyncio.to_thread(self._editor.run, tool_input)
                return ToolResult(output or NO_OUTPUT)
        except ToolError as exc:
            return ToolResult(str(exc) or "The tool call failed.", is_error=True)
        return ToolResult(
            f"Unknown tool {name!r}; the tools are: {BASH_TOOL}, {EDITOR_TOOL}.", is_error=True
        )

    async def _bash(self, tool_input: Mapping[str, Any]) -> ToolResult:
        if tool_input.get("restart") is True:
            await self._shell.restart()
            return ToolResult("shell restarted")
        command = tool_input.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ToolError("Parameter `command` (a string) is required, or `restart: true`.")
        try:
            result = await self._shell.run(command, timeout=self._command_timeout)
        except SandboxUnavailable:
            raise
        except SandboxError as exc:
            raise ToolError(f"The shell failed: {exc}. Restart it with `restart: true`.") from None
        return describe_command(result, self._command_timeout)
