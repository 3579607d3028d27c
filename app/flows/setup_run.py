"""The repository's setup commands: in the job's tool directory, online only through the proxy.

Each setup command runs in a sandbox with no network of its own; `socat` inside it bridges
`127.0.0.1:3128` to the job's egress proxy (app/sandbox/egress_proxy.py), which reaches only
the registries the operator allows (`HONK_SETUP_ALLOW`). Before the commands a Python virtual
environment is made in the tool directory when the sandbox has `python3`, so `pip install`
works despite PEP 668. What setup leaves untracked in the worktree is recorded and never
committed. With `HONK_SANDBOX=none` there is no isolation: the commands use the host's network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from app.core.errors import FlowError
from app.core.repo_config import RepoConfig
from app.flows.agent_run import sandbox_binds
from app.flows.checkpoint import TEST_OUTPUT_CHARS
from app.flows.services import SetupEgress
from app.flows.tool_dir import ToolDir
from app.sandbox.args import SANDBOX_PATH
from app.sandbox.egress_proxy import SOCKET_DIR, EgressProxy, bridge_script, proxy_env
from app.sandbox.sandbox import Bind, CommandResult, Sandbox
from app.workspace.pool import force_rmtree
from app.workspace.worktree import Worktree

MAKE_VENV = (
    'if command -v python3 >/dev/null 2>&1; then python3 -m venv "$HOME/venv" >/dev/null 2>&1 '
    '|| rm -rf "$HOME/venv"; fi'
)
NO_SOCAT = (
    "setup commands need `socat` (Debian package socat) to reach the package registries "
    "through Honk's egress proxy, and it is not installed"
)
MAX_REASONS = 10


async def run_setup(
    sandbox: Sandbox, tree: Worktree, config: RepoConfig, tools: ToolDir, egress: SetupEgress
) -> None:
    """Make the venv, run each setup command (FlowError on a failure), keep their leftovers out
    of the commit."""
    if not config.setup:
        return
    if sandbox.profile != "none" and shutil.which("socat", path=SANDBOX_PATH) is None:
        raise FlowError(NO_SOCAT)
    binds = [*sandbox_binds(tree), *tools.binds()]
    await sandbox.run(
        tree.path, MAKE_VENV, timeout=config.test_timeout, env=tools.env(), binds=binds
    )
    if sandbox.profile == "none":
        for command in config.setup:
            await _run_one(sandbox, tree, config, command, tools.env(), binds, None)
    else:
        async with EgressProxy(egress.policy, tools.egress, resolve=egress.resolve) as proxy:
            env = tools.env() | proxy_env()
            through = [*binds, Bind(proxy.directory, Path(SOCKET_DIR))]
            for command in config.setup:
                await _run_one(sandbox, tree, config, command, env, through, proxy)
        force_rmtree(tools.egress)
    await tree.exclude_untracked(tools.excludes)


async def _run_one(
    sandbox: Sandbox,
    tree: Worktree,
    config: RepoConfig,
    command: str,
    env: dict[str, str],
    binds: list[Bind],
    proxy: EgressProxy | None,
) -> None:
    script = bridge_script() + command if proxy is not None else command
    done = await sandbox.run(
        tree.path, script, timeout=config.test_timeout, env=env, binds=binds, network=False
    )
    if done.exit_code != 0:
        raise FlowError(_failure(command, done, proxy))


def _failure(command: str, done: CommandResult, proxy: EgressProxy | None) -> str:
    """What failed, the output's tail, and what the egress proxy refused (why a fetch failed)."""
    tail = done.output[-TEST_OUTPUT_CHARS:]
    text = f"setup command `{command}` failed (exit {done.exit_code}):\n{tail}"
    if proxy is not None and proxy.refused:
        reasons = list(dict.fromkeys(proxy.refused))[-MAX_REASONS:]
        text += "\nHonk's egress proxy refused: " + "; ".join(reasons)
    return text
