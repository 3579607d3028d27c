"""The notes a command's output gets when it went past a limit, so the agent knows which one."""

from __future__ import annotations

import signal

from app.sandbox.args import MIB, SandboxLimits

NO_SPACE = "No space left on device"


def limit_notes(
    limits: SandboxLimits, code: int | None, output: str, *, oom_kills: int, disk_used: int
) -> str:
    """One `[...]` line per limit the command hit (empty when it hit none)."""
    notes = []
    if oom_kills:
        notes.append(
            f"memory limit hit: the command's processes together may use {limits.memory_mb} MiB; "
            f"the kernel killed {oom_kills} of them"
        )
    if code == 128 + signal.SIGXFSZ:
        notes.append(f"file size limit hit: no file may grow past {limits.file_size_mb} MiB")
    if code == 128 + signal.SIGXCPU:
        notes.append(f"CPU time limit hit: {limits.cpu_seconds} s per process")
    if NO_SPACE in output:
        notes.append(f"disk full: /tmp, $HOME included, holds at most {limits.tmp_mb} MiB")
    if disk_used > limits.disk_mb * MIB:
        notes.append(disk_note(limits, disk_used))
    return "".join(f"\n[{note}]" for note in notes)


def disk_note(limits: SandboxLimits, used: int) -> str:
    """The note for a worktree (with the job's other writable directories) past its limit."""
    return (
        f"disk limit hit: the worktree holds {used // MIB} MiB, over its limit of "
        f"{limits.disk_mb} MiB; delete files to go on"
    )
