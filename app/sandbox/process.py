"""A started sandbox process: its pipes, its exit, and killing every process it started."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

from app.core.errors import SandboxError
from app.sandbox.cgroups import KILL_WAIT_SECONDS, POLL_SECONDS, CommandCgroup, read_or_empty
from app.sandbox.output_cap import READ_CHUNK

logger = logging.getLogger(__name__)


def live_tree(leaders: set[int], group: int) -> set[int]:
    """Live processes among `leaders`, in process group `group`, and all their descendants."""
    table = _process_table()  # pid -> (parent pid, process group, zombie)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found = leaders | {pid for pid, (_, pgid, _) in table.items() if pgid == group}
    stack = list(found)
    while stack:
        for child in children.pop(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return {pid for pid in found if pid in table and not table[pid][2]}


def _process_table() -> dict[int, tuple[int, int, bool]]:
    table: dict[int, tuple[int, int, bool]] = {}
    for path in Path("/proc").iterdir():
        fields = (
            read_or_empty(path / "stat").rpartition(")")[2].split() if path.name.isdigit() else []
        )
        if len(fields) > 2:
            table[int(path.name)] = (int(fields[1]), int(fields[2]), fields[0] == "Z")
    return table


class _ExitAwareProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """asyncio's stream protocol, plus an event set when the process itself exits.

    (asyncio's `Process.wait()` also waits for the pipes to close, which a background process
    of the command may keep open.)
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=READ_CHUNK, loop=loop)
        self.exited = asyncio.Event()

    def process_exited(self) -> None:
        super().process_exited()
        self.exited.set()


class SandboxProcess:
    """A started sandbox: its pipes, and the means to kill every process it started."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        exited: asyncio.Event,
        cgroup: CommandCgroup | None,
        home: Path | None,
    ) -> None:
        self.process = process
        self.exited = exited
        self.cgroup = cgroup
        self.home = home
        self.oom_kills = 0  # read from the memory cgroup when closing, before it goes

    @property
    def stdout(self) -> asyncio.StreamReader:
        if self.process.stdout is None:
            raise SandboxError("the sandbox process has no output pipe")
        return self.process.stdout

    @property
    def stdin(self) -> asyncio.StreamWriter:
        if self.process.stdin is None:
            raise SandboxError("the sandbox process has no input pipe")
        return self.process.stdin

    @property
    def exit_code(self) -> int | None:
        """The exit code; a death by signal N reads as 128+N, as in a shell."""
        code = self.process.returncode
        return 128 - code if code is not None and code < 0 else code

    async def wait(self, timeout: float | None = None) -> bool:  # noqa: ASYNC109 - bounded
        """Whether the process itself ended within `timeout` seconds, whoever holds its pipes."""
        try:
            await asyncio.wait_for(self.exited.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def kill_all(self) -> None:
        """SIGKILL every process of this sandbox and wait until none is left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + KILL_WAIT_SECONDS
        while doomed := self._members():
            if loop.time() > deadline:
                logger.warning("sandbox processes survived SIGKILL: %s", sorted(doomed))
                return
            for pid in doomed:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            await asyncio.sleep(POLL_SECONDS)

    def _members(self) -> set[int]:
        leaders = self.cgroup.members() if self.cgroup else set()
        if self.process.returncode is None:
            leaders.add(self.process.pid)
        return live_tree(leaders, self.process.pid)

    async def close(self, reader: asyncio.Task[None] | None = None) -> None:
        """Kill everything, then read the output pipe to its end (`reader`, or discard it)."""
        await self.kill_all()
        if self.process.stdin is not None:
            self.process.stdin.close()
        await self.wait(KILL_WAIT_SECONDS)
        reader = reader or asyncio.create_task(_discard(self.stdout))
        try:
            await asyncio.wait_for(reader, KILL_WAIT_SECONDS)
        except TimeoutError:
            logger.warning("the sandbox's output stayed open after all its processes died")
        self.oom_kills = self.cgroup.oom_kills() if self.cgroup else 0
        await _clean_up(self.cgroup, self.home)


async def _discard(stream: asyncio.StreamReader) -> None:
    while await stream.read(READ_CHUNK):
        pass


async def start_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    cgroup: CommandCgroup | None,
    home: Path | None,
    interactive: bool,
) -> SandboxProcess:
    """Start `argv` in its own session (inside `cgroup`); stdout carries stderr too.

    From here on `cgroup` and `home` belong to the process: closing it removes them.
    """
    loop = asyncio.get_running_loop()
    protocol = _ExitAwareProtocol(loop)
    try:
        transport, _ = await loop.subprocess_exec(
            lambda: protocol,
            *(cgroup.enter_then(argv) if cgroup else argv),
            stdin=asyncio.subprocess.PIPE if interactive else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    except OSError as exc:
        await _clean_up(cgroup, home)
        raise SandboxError(f"cannot start the sandbox: {exc}") from exc
    process = asyncio.subprocess.Process(transport, protocol, loop)
    return SandboxProcess(process, protocol.exited, cgroup, home)


async def _clean_up(cgroup: CommandCgroup | None, home: Path | None) -> None:
    if cgroup is not None:
        await cgroup.remove()
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)
