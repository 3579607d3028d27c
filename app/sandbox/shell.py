"""A persistent bash in the sandbox: commands in, output and exit codes out, restarts."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from app.core.errors import SandboxError, ToolError
from app.metrics import instruments as metrics
from app.sandbox.args import MIB
from app.sandbox.cgroups import KILL_WAIT_SECONDS
from app.sandbox.disk import DiskGauge, disk_exceeded, writable_paths
from app.sandbox.limit_notes import disk_note, limit_notes
from app.sandbox.output_cap import READ_CHUNK, OutputCap
from app.sandbox.process import SandboxProcess
from app.sandbox.sandbox import DEFAULT_LIMITS, Bind, CommandResult, Sandbox, SandboxLimits

RESET = "cwd and variables were reset"


def driver_script(token: str) -> str:
    """Bash reading NUL-ended commands on fd 62; the commands get /dev/null as stdin.

    After each command it prints `\\n<token>:<exit code>\\n` on fd 63 (the original stdout), so
    the end is found even if the command redirected its own stdout.
    """
    return (
        "exec 62<&0 63>&1 </dev/null\n"
        "while IFS= read -r -d '' __honk_command <&62; do\n"
        '  eval "$__honk_command"\n'
        f"  builtin printf '\\n%s:%s\\n' {token} \"$?\" >&63\n"
        "done\n"
    )


class ShellSession:
    """One bash in the sandbox: cwd and exported variables last from one `run` to the next."""

    @classmethod
    async def open(
        cls,
        sandbox: Sandbox,
        root: Path,
        *,
        env: Mapping[str, str] | None = None,
        binds: Sequence[Bind] = (),
        limits: SandboxLimits = DEFAULT_LIMITS,
    ) -> ShellSession:
        """A persistent bash in `root` inside `sandbox`, already started."""
        session = cls(sandbox, root, env=env, binds=binds, limits=limits)
        await session.restart()
        return session

    def __init__(
        self,
        sandbox: Sandbox,
        root: Path,
        *,
        env: Mapping[str, str] | None = None,
        binds: Sequence[Bind] = (),
        limits: SandboxLimits = DEFAULT_LIMITS,
    ) -> None:
        self._sandbox = sandbox
        self._root = root
        self._env = dict(env or {})
        self._binds = tuple(binds)
        self._limits = limits
        self._gauge = DiskGauge(writable_paths(root, self._binds), limits.disk_mb * MIB)
        self._process: SandboxProcess | None = None
        self._marker = b""
        self._pending = b""
        self._shell_lost = False
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> ShellSession:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def run(self, command: str, timeout: float | None = None) -> CommandResult:  # noqa: ASYNC109
        """Run `command` in the session; a timeout kills the whole session and restarts it."""
        if "\0" in command:
            raise ToolError("the command contains a NUL byte")
        async with self._lock:
            note = ""
            if self._process is None or self._process.process.returncode is not None:
                if self._process is not None or self._shell_lost:
                    note = f"[the previous shell had exited; this is a fresh shell: {RESET}]\n"
                await self._start()
            result = await self._execute(command, timeout or self._limits.command_timeout)
            metrics.sandbox_command(result.exit_code, timed_out=result.timed_out)
            return dataclasses.replace(result, output=note + result.output) if note else result

    async def restart(self) -> None:
        """A fresh shell in the root (every process of the old one is killed)."""
        async with self._lock:
            await self._start()

    async def close(self) -> None:
        """Kill the shell and everything it started."""
        async with self._lock:
            await self._stop()

    async def _start(self) -> None:
        await self._stop()
        token = f"__honk_done_{secrets.token_hex(16)}__"
        self._marker, self._pending, self._shell_lost = f"\n{token}:".encode(), b"", False
        self._process = await self._sandbox.spawn(
            self._root,
            ["-c", driver_script(token)],
            env=self._env,
            binds=self._binds,
            network=False,
            limits=self._limits,
            interactive=True,
        )

    async def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            await process.close()

    async def _execute(self, command: str, timeout: float) -> CommandResult:  # noqa: ASYNC109
        process = self._process
        if process is None:
            raise SandboxError("the shell session is not started")
        output = OutputCap(self._limits.output_chars)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            process.stdin.write(command.encode() + b"\0")
            await process.stdin.drain()
        oom_before = _oom_kills(process)
        watch = asyncio.create_task(disk_exceeded(self._gauge.paths, self._gauge.limit))
        reading = asyncio.create_task(self._read_to_sentinel(process, output))
        try:
            code = await self._wait_for_sentinel(process, reading, timeout, watch)
        except asyncio.CancelledError:
            await self._stop()  # the caller gave up: nothing of the command may keep running
            raise
        except TimeoutError:
            output.add(self._pending)
            await self._start()
            if watch.done():
                reason = f"{disk_note(self._limits, watch.result())}; the shell was restarted"
                return _ended(output, reason, None, timed_out=False)
            reason = f"command timed out after {timeout:g}s; the shell was restarted"
            return _ended(output, reason, None, timed_out=True)
        finally:
            watch.cancel()
        notes = await self._limit_notes(process, code, output, oom_before)
        if code is None:
            await self._stop()
            self._shell_lost = True
            reason = f"the shell exited (code {process.exit_code}); the next command starts anew"
            return _ended(output, reason, process.exit_code, timed_out=False, notes=notes)
        text, truncated = output.render()
        return CommandResult(text + notes, code, truncated=truncated)

    async def _limit_notes(
        self, process: SandboxProcess, code: int | None, output: OutputCap, oom_before: int
    ) -> str:
        used = await self._gauge.measure()
        oom_kills = _oom_kills(process) - oom_before
        text, _ = output.render()
        return limit_notes(self._limits, code, text, oom_kills=oom_kills, disk_used=used)

    @staticmethod
    async def _wait_for_sentinel(
        process: SandboxProcess,
        reading: asyncio.Task[int | None],
        timeout: float,  # noqa: ASYNC109 - the command's wall clock
        watch: asyncio.Task[int],
    ) -> int | None:
        """The command's exit code, or None if the shell ended; TimeoutError after `timeout`
        (or once `watch`, the disk watcher, has found the disk limit passed)."""
        ended = asyncio.create_task(process.wait())
        done, _ = await asyncio.wait(
            {reading, ended, watch}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        ended.cancel()
        if reading in done:
            return reading.result()
        if ended not in done:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
            raise TimeoutError
        await process.kill_all()  # the shell ended; something else may hold its output open
        try:
            return await asyncio.wait_for(reading, KILL_WAIT_SECONDS)
        except TimeoutError:
            return None

    async def _read_to_sentinel(self, process: SandboxProcess, output: OutputCap) -> int | None:
        """Feed `output` up to the sentinel and return its exit code; None if the shell ended.

        Bytes that may begin the sentinel wait in `_pending` (also what a timeout leaves)."""
        while True:
            buffer = self._pending
            found = buffer.find(self._marker)
            end = buffer.find(b"\n", found + len(self._marker)) if found >= 0 else -1
            if end >= 0:
                output.add(buffer[:found])
                self._pending = buffer[end + 1 :]
                return int(buffer[found + len(self._marker) : end])
            if found < 0:
                safe = max(len(buffer) - len(self._marker) + 1, 0)
                output.add(buffer[:safe])
                self._pending = buffer[safe:]
            chunk = await process.stdout.read(READ_CHUNK)
            if not chunk:
                output.add(self._pending)
                self._pending = b""
                return None
            self._pending += chunk


def _ended(
    output: OutputCap, reason: str, code: int | None, *, timed_out: bool, notes: str = ""
) -> CommandResult:
    text, truncated = output.render()
    note = f"{notes}\n[{reason}: {RESET}]"
    return CommandResult(text + note, code, timed_out=timed_out, truncated=truncated)


def _oom_kills(process: SandboxProcess) -> int:
    return process.cgroup.oom_kills() if process.cgroup else 0
