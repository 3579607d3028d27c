"""One agent session on a worktree: sandboxed shell, toolbox, model and loop, as one call."""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.agent.beneath import kind, locate, open_file
from app.agent.loop import Agent, AgentLimits, AgentResult, TurnInfo
from app.agent.model import Model, ModelConfig
from app.agent.tools import Toolbox
from app.core.config import Settings
from app.core.errors import ToolError
from app.sandbox.sandbox import Bind, Sandbox, SandboxLimits
from app.sandbox.shell import ShellSession
from app.workspace.worktree import Worktree

# No bytecode caches in the worktree: they would be committed by `git add -A`, and a pyc written
# in the same second as an edit of the same size hides the edit from Python.
AGENT_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}
INSTRUCTION_FILES = ("AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md")
MAX_INSTRUCTION_CHARS = 20_000


@dataclass(frozen=True)
class AgentRequest:
    """What one session is asked: prompts, model, budgets, and where its transcript goes."""

    system: str
    task: str
    limits: AgentLimits
    transcript: Path
    model: str | None = None


def read_instructions(root: Path) -> dict[str, str]:
    """The repository's own instruction files for agents, by name (missing ones left out).

    Read through descriptors beneath the worktree (app/agent/beneath.py): a committed symlink
    (`.github` -> somewhere on the host) cannot make Honk read a file outside it.
    """
    found = {}
    for name in INSTRUCTION_FILES:
        text = _read_beneath(root.resolve(), name)
        if text is not None:
            found[name] = text
    return found


def _read_beneath(root: Path, name: str) -> str | None:
    try:
        place = locate(root, PurePosixPath(name))
    except (ToolError, OSError):
        return None
    try:
        if kind(place) != stat.S_IFREG:
            return None
        descriptor = open_file(place)
    except OSError:
        return None
    finally:
        place.close()
    with os.fdopen(descriptor, "rb") as file:
        data = file.read(MAX_INSTRUCTION_CHARS * 4)
    return data.decode("utf-8", errors="replace")[:MAX_INSTRUCTION_CHARS]


def sandbox_binds(tree: Worktree) -> list[Bind]:
    """The repository's git data, the worktree's admin dir included, read-only.

    Nothing git reads on the host may be writable by the agent: Honk runs git on this worktree
    outside the sandbox (add, diff, commit), and a `commondir` or config the agent could
    rewrite would make that git run the agent's commands with Honk's rights. So the agent can
    read history (`git log`, `git diff`) but not commit; Honk commits for it.
    """
    return [Bind(tree.cache_dir)]


def sandbox_limits(settings: Settings) -> SandboxLimits:
    return SandboxLimits(command_timeout=settings.command_timeout)


def commit_message(result: AgentResult) -> str:
    """The summary's first line as the title (marked when the run did not finish)."""
    lines = result.summary.strip().splitlines() or ["Changes by Honk"]
    title = lines[0].strip().lstrip("# ")[:72] or "Changes by Honk"
    if result.status != "submitted":
        title = f"WIP (honk {result.status}): {title}"[:72]
    body = "\n".join(lines[1:]).strip()
    note = "" if result.status == "submitted" else f"\n\nThe run ended early: {result.reason}"
    return f"{title}\n\n{body}{note}".rstrip() + "\n"


async def run_agent(
    settings: Settings,
    sandbox: Sandbox,
    tree: Worktree,
    request: AgentRequest,
    *,
    on_turn: Callable[[TurnInfo], Awaitable[None]] | None = None,
    cancel_check: Callable[[], Awaitable[bool]] | None = None,
    env: Mapping[str, str] = AGENT_ENV,
    binds: Sequence[Bind] = (),
) -> AgentResult:
    """Run the agent in `tree` inside `sandbox` until it submits or a budget ends it.

    `env` and `binds` (besides the repository's git data) are the job's: its tool directory.
    """
    shell = await ShellSession.open(
        sandbox,
        tree.path,
        env=env,
        binds=[*sandbox_binds(tree), *binds],
        limits=sandbox_limits(settings),
    )
    try:
        agent = Agent(
            Model(ModelConfig.from_settings(settings, model=request.model)),
            Toolbox(tree.path, shell, command_timeout=settings.command_timeout),
            request.limits,
            request.transcript,
            cancel_check=cancel_check,
            on_turn=on_turn,
        )
        return await agent.run(system=request.system, task=request.task)
    finally:
        await shell.close()
