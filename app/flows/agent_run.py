"""One agent session on a worktree: sandboxed shell, toolbox, model and loop, as one call."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.agent.beneath import kind, locate, open_file
from app.agent.loop import Agent, AgentLimits, AgentResult, ModelLike, TurnInfo
from app.agent.model import Model, ModelConfig
from app.agent.session import Checks, SessionResult, run_session
from app.agent.tools import Toolbox
from app.core.config import Settings
from app.core.errors import ToolError
from app.core.repo_config import CONFIG_PATH, RepoConfig, parse_repo_config
from app.core.verdict import RepoTests
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
        text = read_beneath(root.resolve(), name)
        if text is not None:
            found[name] = text
    return found


def checkout_config(tree: Worktree, settings: Settings) -> RepoConfig:
    """`.github/honk.yml` as the checkout holds it (a local repository or an eval task's tree,
    read before the agent touches it), through descriptors beneath the worktree."""
    return parse_repo_config(read_beneath(tree.path.resolve(), CONFIG_PATH), settings)


def read_beneath(root: Path, name: str) -> str | None:
    """The text of the regular file `name` beneath `root` (None: absent, or not a regular file
    beneath it), at most MAX_INSTRUCTION_CHARS characters."""
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
    """The summary's first line as the title; an unfinished run's commit is titled
    `WIP (honk: <reason>)`, with its summary and the whole reason below."""
    lines = result.summary.strip().splitlines() or ["Changes by Honk"]
    if result.status != "submitted":
        body = result.summary.strip()
        note = f"Unfinished: {result.reason}"
        return (
            f"WIP (honk: {short_reason(result)})\n\n{body}\n\n{note}".replace("\n\n\n\n", "\n\n")
            + "\n"
        )
    title = lines[0].strip().lstrip("# ")[:72] or "Changes by Honk"
    body = "\n".join(lines[1:]).strip()
    return f"{title}\n\n{body}".rstrip() + "\n"


def short_reason(result: AgentResult) -> str:
    """Why a run is unfinished, in a few words: `turn budget used`, `stopped`, `model error`."""
    if result.status == "limits":
        return result.reason.split(":", 1)[0].strip() or "budget used"
    return {"cancelled": "stopped", "refused": "the model refused"}.get(
        result.status, "model error"
    )


@asynccontextmanager
async def agent_in(
    settings: Settings,
    sandbox: Sandbox,
    tree: Worktree,
    request: AgentRequest,
    *,
    model: ModelLike | None = None,
    on_turn: Callable[[TurnInfo], Awaitable[None]] | None = None,
    cancel_check: Callable[[], Awaitable[bool]] | None = None,
    env: Mapping[str, str] = AGENT_ENV,
    binds: Sequence[Bind] = (),
) -> AsyncIterator[Agent]:
    """An agent on `tree` with its shell open in `sandbox` (closed on leaving).

    `model` defaults to the Messages API with the request's model; `env` and `binds`
    (besides the repository's git data) are the job's: its tool directory.
    """
    shell = await ShellSession.open(
        sandbox,
        tree.path,
        env=env,
        binds=[*sandbox_binds(tree), *binds],
        limits=sandbox_limits(settings),
    )
    try:
        yield Agent(
            model or Model(ModelConfig.from_settings(settings, model=request.model)),
            Toolbox(tree.path, shell, command_timeout=settings.command_timeout),
            request.limits,
            request.transcript,
            cancel_check=cancel_check,
            on_turn=on_turn,
        )
    finally:
        await shell.close()


async def run_agent(
    settings: Settings,
    sandbox: Sandbox,
    tree: Worktree,
    request: AgentRequest,
    *,
    checks: Checks | None = None,
    on_turn: Callable[[TurnInfo], Awaitable[None]] | None = None,
    cancel_check: Callable[[], Awaitable[bool]] | None = None,
    env: Mapping[str, str] = AGENT_ENV,
    binds: Sequence[Bind] = (),
) -> SessionResult:
    """Run the agent in `tree` inside `sandbox` until it submits or a budget ends it, then
    the checks (review on submit, the test-driven rounds) when given."""
    async with agent_in(
        settings, sandbox, tree, request, on_turn=on_turn, cancel_check=cancel_check,
        env=env, binds=binds,
    ) as agent:  # fmt: skip
        return await run_session(
            agent, system=request.system, task=request.task, checks=checks or NO_CHECKS
        )


async def _no_tests() -> RepoTests | None:
    return None


NO_CHECKS = Checks(run_tests=_no_tests, fix_rounds=0)
