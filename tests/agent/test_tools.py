"""The toolbox: tool specs, bash through a real subprocess shell, editor calls, error results."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from app.agent.tools import Shell, Toolbox, ToolResult
from app.core.errors import SandboxError, SandboxUnavailable
from app.sandbox.sandbox import CommandResult


class SubprocessShell:
    """A stand-in for the sandbox's ShellSession: each command in `sh`, in the root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.restarts = 0
        self.timeouts: list[float | None] = []

    async def run(self, command: str, timeout: float | None = None) -> CommandResult:
        self.timeouts.append(timeout)
        process = await asyncio.create_subprocess_shell(
            command,
            cwd=self.root,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            return CommandResult(output="", exit_code=None, timed_out=True)
        return CommandResult(output=output.decode(), exit_code=process.returncode)

    async def restart(self) -> None:
        self.restarts += 1


class BrokenShell(SubprocessShell):
    """A shell whose sandbox fails with the given error."""

    def __init__(self, root: Path, error: SandboxError) -> None:
        super().__init__(root)
        self.error = error

    async def run(self, command: str, timeout: float | None = None) -> CommandResult:
        raise self.error


@pytest.fixture
def shell(root: Path) -> SubprocessShell:
    return SubprocessShell(root)


@pytest.fixture
def toolbox(root: Path, shell: SubprocessShell) -> Toolbox:
    return Toolbox(root, shell, command_timeout=5.0)


def test_the_fake_shell_meets_the_protocol(shell: SubprocessShell) -> None:
    checked: Shell = shell
    assert checked is shell


def test_specs_are_exactly_the_anthropic_tools(toolbox: Toolbox) -> None:
    assert toolbox.specs() == [
        {"type": "bash_20250124", "name": "bash"},
        {"type": "text_editor_20250728", "name": "str_replace_based_edit_tool"},
    ]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("echo hello", ToolResult("hello\n")),
        ("pwd", ToolResult("{root}\n")),
        ("echo oops >&2; exit 3", ToolResult("oops\n\n[exit code 3]")),
        ("true", ToolResult("(no output)")),
        ("false", ToolResult("(no output)\n[exit code 1]")),
    ],
)
async def test_bash_runs_in_the_shell(
    toolbox: Toolbox, shell: SubprocessShell, root: Path, command: str, expected: ToolResult
) -> None:
    result = await toolbox.call("bash", {"command": command})
    assert result == ToolResult(expected.output.format(root=root), expected.is_error)
    assert shell.timeouts == [5.0]


async def test_bash_timeout_is_noted(root: Path, shell: SubprocessShell) -> None:
    toolbox = Toolbox(root, shell, command_timeout=0.2)
    result = await toolbox.call("bash", {"command": "sleep 30"})
    assert result.is_error
    assert result.output == (
        "(no output)\n[the command timed out after 0.2 seconds and was killed; "
        "try a narrower or backgrounded run]"
    )


async def test_bash_restart(toolbox: Toolbox, shell: SubprocessShell) -> None:
    result = await toolbox.call("bash", {"restart": True})
    assert result == ToolResult("shell restarted")
    assert shell.restarts == 1
    assert shell.timeouts == []


@pytest.mark.parametrize(
    ("name", "tool_input", "expected"),
    [
        ("bash", {}, "Parameter `command`"),
        ("bash", {"command": "  "}, "Parameter `command`"),
        ("bash", {"command": ["ls"]}, "Parameter `command`"),
        ("bash", {"restart": "yes"}, "Parameter `command`"),
        ("str_replace_based_edit_tool", {"command": "view", "path": "/etc/passwd"}, "outside"),
        ("str_replace_based_edit_tool", {"command": "delete", "path": "a"}, "Unrecognized"),
        ("computer", {"action": "screenshot"}, "the tools are: bash, str_replace_based_edit_tool"),
        ("bash", ["ls"], "must be an object"),
    ],
)
async def test_bad_calls_come_back_as_error_results(
    toolbox: Toolbox, shell: SubprocessShell, name: str, tool_input: Any, expected: str
) -> None:
    result = await toolbox.call(name, tool_input)
    assert result.is_error
    assert expected in result.output
    assert shell.timeouts == []
    assert shell.restarts == 0


async def test_editor_calls_go_through_the_editor(toolbox: Toolbox, root: Path) -> None:
    created = await toolbox.call(
        "str_replace_based_edit_tool",
        {"command": "create", "path": "notes/a.txt", "file_text": "one\n"},
    )
    assert created == ToolResult(f"File created successfully at: {root / 'notes' / 'a.txt'}")
    viewed = await toolbox.call(
        "str_replace_based_edit_tool", {"command": "view", "path": str(root / "notes/a.txt")}
    )
    assert viewed.output.endswith("     1\tone\n")
    assert not viewed.is_error


async def test_bash_and_editor_see_the_same_files(toolbox: Toolbox) -> None:
    await toolbox.call("bash", {"command": "printf 'x = 1\\n' > mod.py"})
    edited = await toolbox.call(
        "str_replace_based_edit_tool",
        {"command": "str_replace", "path": "mod.py", "old_str": "x = 1", "new_str": "x = 2"},
    )
    assert not edited.is_error
    assert await toolbox.call("bash", {"command": "cat mod.py"}) == ToolResult("x = 2\n")


async def test_a_failing_sandbox_asks_for_a_restart(root: Path) -> None:
    toolbox = Toolbox(root, BrokenShell(root, SandboxError("the shell exited")))
    result = await toolbox.call("bash", {"command": "ls"})
    assert result == ToolResult(
        "The shell failed: the shell exited. Restart it with `restart: true`.", is_error=True
    )


async def test_an_unavailable_sandbox_is_not_hidden_from_the_caller(root: Path) -> None:
    toolbox = Toolbox(root, BrokenShell(root, SandboxUnavailable("bwrap cannot run")))
    with pytest.raises(SandboxUnavailable):
        await toolbox.call("bash", {"command": "ls"})
