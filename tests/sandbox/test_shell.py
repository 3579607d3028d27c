"""Bash in the sandbox: the persistent session, its output and its restarts (app/sandbox/shell.py).

The session tests run real bubblewrap (and profile "none"); they skip where it cannot run,
except under CI=true (see tests/fakes/sandbox_probe.py).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.errors import ToolError
from app.sandbox.sandbox import Profile, SandboxLimits, truncate_middle
from app.sandbox.shell import ShellSession
from tests.fakes.sandbox_probe import ALL_PROFILES, sandbox_for
from tests.sandbox.test_sandbox import host_processes_with

RESET = "cwd and variables were reset"


@pytest.fixture(params=ALL_PROFILES)
async def shell(request: pytest.FixtureRequest, root: Path) -> AsyncIterator[ShellSession]:
    profile: Profile = request.param
    limits = SandboxLimits(output_chars=2000)
    async with await ShellSession.open(sandbox_for(profile), root, limits=limits) as session:
        yield session


@pytest.mark.bwrap
async def test_cd_and_export_persist_and_restart_resets_them(
    shell: ShellSession, root: Path
) -> None:
    await shell.run("mkdir -p sub && cd sub && export GREETING=hello")
    result = await shell.run('pwd; echo "$GREETING"')
    assert result.output.splitlines() == [str(root.resolve() / "sub"), "hello"]
    await shell.restart()
    result = await shell.run('pwd; echo "[$GREETING]"')
    assert result.output.splitlines() == [str(root.resolve()), "[]"]


@pytest.mark.bwrap
@pytest.mark.parametrize(
    ("command", "output", "code"),
    [
        ("echo out; echo err >&2; echo again", "out\nerr\nagain\n", 0),
        ("false", "", 1),
        ("(exit 7)", "", 7),
        ("printf no-newline", "no-newline", 0),
        ("cat; read line; echo read=$?", "read=1\n", 0),  # stdin is /dev/null: EOF at once
        ("python3 -c 'import sys; print(len(sys.stdin.read()))'", "0\n", 0),
        ("env | cut -d= -f1 | sort | tr '\\n' ' '", "HOME LANG PATH PWD SHLVL TERM _ ", 0),
    ],
)
async def test_each_command_gets_its_output_and_exit_code(
    shell: ShellSession, command: str, output: str, code: int
) -> None:
    result = await shell.run(command)
    assert (result.output, result.exit_code) == (output, code)


@pytest.mark.bwrap
async def test_a_syntax_error_is_the_command_s_not_the_session_s(shell: ShellSession) -> None:
    result = await shell.run("echo 'unbalanced")
    assert result.exit_code == 2 and "unexpected EOF" in result.output
    assert (await shell.run("echo still-alive")).output == "still-alive\n"


@pytest.mark.bwrap
async def test_a_command_that_silences_stdout_still_ends(shell: ShellSession) -> None:
    assert (await shell.run("exec >/dev/null 2>&1; echo hidden")).exit_code == 0
    assert (await shell.run("echo also-hidden")).output == ""


@pytest.mark.bwrap
async def test_a_timeout_kills_the_session_and_starts_a_fresh_one(shell: ShellSession) -> None:
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    await shell.run("cd /tmp && export KEPT=yes")
    result = await shell.run(f"sleep {marker} & echo started; sleep {marker}", timeout=1)
    assert (result.timed_out, result.exit_code) == (True, None)
    assert result.output.startswith("started\n")
    assert f"command timed out after 1s; the shell was restarted: {RESET}" in result.output
    assert host_processes_with(marker) == []
    after = await shell.run('echo "[$KEPT]"')
    assert (after.output, after.exit_code) == ("[]\n", 0)


@pytest.mark.bwrap
async def test_exit_is_reported_and_the_next_call_restarts(shell: ShellSession, root: Path) -> None:
    await shell.run("cd /tmp")
    result = await shell.run("echo bye; exit 3")
    assert result.exit_code == 3 and not result.timed_out
    assert result.output.startswith("bye\n") and "the shell exited (code 3)" in result.output
    after = await shell.run("pwd")
    assert after.output.startswith("[the previous shell had exited; this is a fresh shell")
    assert after.output.endswith(f"\n{root.resolve()}\n")


@pytest.mark.bwrap
async def test_an_exit_that_leaves_a_background_job_is_still_an_exit(
    shell: ShellSession,
) -> None:
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    result = await shell.run(f"sleep {marker} & exit 5")
    assert (result.exit_code, result.timed_out) == (5, False)
    assert host_processes_with(marker) == []
    assert (await shell.run("echo fresh")).output.endswith("\nfresh\n")


@pytest.mark.bwrap
async def test_a_huge_output_is_cut_to_head_and_tail(shell: ShellSession) -> None:
    result = await shell.run("seq 1 500000")
    full = "".join(f"{n}\n" for n in range(1, 500001))
    assert (result.output, result.truncated) == truncate_middle(full, 2000)


@pytest.mark.bwrap
async def test_close_kills_what_the_session_started(shell: ShellSession) -> None:
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    await shell.run(f"sh -c 'exec sleep {marker}' &")
    for _ in range(500):  # until the exec is done (the weak profile has no /proc to wait on)
        if host_processes_with(marker):
            break
        await asyncio.sleep(0.01)
    assert host_processes_with(marker) != []
    await shell.close()
    assert host_processes_with(marker) == []


@pytest.mark.bwrap
async def test_a_nul_byte_is_refused(shell: ShellSession) -> None:
    with pytest.raises(ToolError, match="NUL"):
        await shell.run("echo a\0b")
