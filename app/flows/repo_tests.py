"""The repository's test command in the sandbox, and the checks of an agent session around it.

The command (`test:` in `.github/honk.yml`) runs in the job's worktree with the job's tool
directory (HOME, binds), no network, and `test_timeout` as its wall clock. The session's checks
(app/agent/session.py) are that run, the worktree's whole diff for the review on submit, and
the repository's `test_fix_rounds`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from app.agent.session import Checks
from app.core.repo_config import RepoConfig
from app.core.verdict import RepoTests
from app.flows.agent_run import AGENT_ENV, sandbox_binds
from app.sandbox.sandbox import Bind, Sandbox
from app.workspace.worktree import Worktree


async def run_repo_tests(
    sandbox: Sandbox,
    tree: Worktree,
    config: RepoConfig,
    *,
    env: Mapping[str, str] = AGENT_ENV,
    binds: Sequence[Bind] = (),
) -> RepoTests | None:
    """The test command's verdict on the tree as it is; None when the repository sets none."""
    if config.test is None:
        return None
    done = await sandbox.run(
        tree.path, config.test, timeout=config.test_timeout, env=env,
        binds=[*sandbox_binds(tree), *binds],
    )  # fmt: skip
    passed = done.exit_code == 0 and not done.timed_out
    return RepoTests(config.test, passed, done.output, done.timed_out)


def checks_for(
    sandbox: Sandbox,
    tree: Worktree,
    config: RepoConfig,
    *,
    env: Mapping[str, str] = AGENT_ENV,
    binds: Sequence[Bind] = (),
    before_tests: Callable[[], Awaitable[None]] | None = None,
) -> Checks:
    """Review on submit (the tree's diff) and the test rounds; `before_tests` is called before
    each test run (to report the step)."""

    async def run_tests() -> RepoTests | None:
        if before_tests is not None and config.test is not None:
            await before_tests()
        return await run_repo_tests(sandbox, tree, config, env=env, binds=binds)

    return Checks(run_tests=run_tests, diff=tree.diff, fix_rounds=config.test_fix_rounds)
