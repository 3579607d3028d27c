"""Limits past which a command is stopped with a clear note: memory, disk, file size, time.

Real bubblewrap (skipped where it cannot run, except under CI=true) and the real cgroups of the
host: the memory test needs a writable memory cgroup and says so when it skips.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from app.sandbox.limit_notes import limit_notes
from app.sandbox.sandbox import Sandbox, SandboxLimits
from app.sandbox.shell import ShellSession
from tests.fakes.sandbox_probe import unavailable

pytestmark = pytest.mark.bwrap

TIMEOUT = 30.0
HOLD = "import time; b = bytearray({mb} * 2**20); print('held', flush=True); time.sleep(8)"


async def test_memory_is_capped_for_the_whole_command_tree(
    any_sandbox: Sandbox, root: Path
) -> None:
    if any_sandbox.memory_cgroup is None:
        unavailable("no writable memory cgroup here: each process has only RLIMIT_AS")
    limits = SandboxLimits(memory_mb=200)
    hold = HOLD.format(mb=90)  # each process is well under RLIMIT_AS; four together are not
    command = f'for i in 1 2 3 4; do python3 -c "{hold}" & done; wait; echo after'
    result = await any_sandbox.run(root, command, timeout=TIMEOUT, limits=limits)
    assert result.output.splitlines().count("held") < 4, result.output
    assert "[memory limit hit: the command's processes together may use 200 MiB" in result.output


async def test_tmp_and_home_are_capped(sandbox: Sandbox, root: Path) -> None:
    limits = SandboxLimits(tmp_mb=16, file_size_mb=64)
    command = "head -c 32M /dev/zero > $HOME/big; echo exit=$?"
    result = await sandbox.run(root, command, timeout=TIMEOUT, limits=limits)
    assert "No space left on device" in result.output
    assert "[disk full: /tmp, $HOME included, holds at most 16 MiB]" in result.output


async def test_the_worktree_is_capped_even_one_file_at_a_time(
    any_sandbox: Sandbox, root: Path
) -> None:
    limits = SandboxLimits(disk_mb=16, file_size_mb=8)
    command = "for i in 1 2 3 4; do head -c 7M /dev/zero > part$i; done; echo wrote"
    result = await any_sandbox.run(root, command, timeout=TIMEOUT, limits=limits)
    assert "[disk limit hit: the worktree holds" in result.output
    assert "over its limit of 16 MiB" in result.output


async def test_a_slow_writer_is_stopped_at_the_disk_limit(sandbox: Sandbox, root: Path) -> None:
    limits = SandboxLimits(disk_mb=16, file_size_mb=8)
    marker = secrets.token_hex(4)
    command = f"i=0; while true; do i=$((i+1)); head -c 1M /dev/zero > {marker}$i; sleep 0.05; done"
    result = await sandbox.run(root, command, timeout=TIMEOUT, limits=limits)
    assert not result.timed_out and result.exit_code is None
    assert "the command was stopped" in result.output


async def test_the_shell_notes_a_limit_and_keeps_going(sandbox: Sandbox, root: Path) -> None:
    limits = SandboxLimits(file_size_mb=2, disk_mb=16)
    async with await ShellSession.open(sandbox, root, limits=limits) as shell:
        result = await shell.run("head -c 4M /dev/zero > big")
        assert "[file size limit hit: no file may grow past 2 MiB]" in result.output
        result = await shell.run("for i in 1 2 3 4 5 6 7 8 9; do head -c 2M /dev/zero > f$i; done")
        assert "[disk limit hit: the worktree holds" in result.output
        assert (await shell.run("rm f* big; echo fine")).output == "fine\n"


async def test_a_cpu_hog_stops_at_the_cpu_limit_and_says_so(
    any_sandbox: Sandbox, root: Path
) -> None:
    limits = SandboxLimits(cpu_seconds=1)
    command = "python3 -c 'while True: pass'"
    result = await any_sandbox.run(root, command, timeout=TIMEOUT, limits=limits)
    assert result.exit_code == 128 + 24  # SIGXCPU: not a bare SIGKILL
    assert "[CPU time limit hit: 1 s per process]" in result.output


@pytest.mark.parametrize(
    ("code", "output", "oom", "used", "expected"),
    [
        (0, "ok", 0, 0, ""),
        (137, "", 2, 0, "the kernel killed 2 of them"),
        (153, "", 0, 0, "[file size limit hit: no file may grow past 8 MiB]"),
        (152, "", 0, 0, "[CPU time limit hit: 60 s per process]"),
        (1, "x: No space left on device", 0, 0, "holds at most 32 MiB]"),
        (0, "", 0, 65 * 2**20, "the worktree holds 65 MiB, over its limit of 64 MiB"),
    ],
)
def test_limit_notes_name_the_limit(
    code: int, output: str, oom: int, used: int, expected: str
) -> None:
    limits = SandboxLimits(file_size_mb=8, cpu_seconds=60, tmp_mb=32, disk_mb=64)
    note = limit_notes(limits, code, output, oom_kills=oom, disk_used=used)
    assert (expected in note) if expected else note == ""
