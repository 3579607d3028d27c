"""Runs the agent's commands in bubblewrap: no network, read-only system, the worktree writable.

Profiles, probed at start-up by running `true` for real:
- `bwrap-full`: user, PID, network, IPC, UTS and cgroup namespaces, a fresh /proc.
- `bwrap-weak`: for hosts (containers) that forbid mounting a fresh /proc: the same namespaces,
  its own PID namespace included, with a tmpfs /proc holding a few harmless host files (cpuinfo,
  meminfo, ...): a command never sees nor signals a host process, but `/proc/self` and
  `/dev/fd` are missing. `HONK_SANDBOX=bwrap-full` refuses this profile.
- `none`: NOT isolation. Commands run directly on the host with a cleared environment, prlimit
  and timeouts only; chosen only by `HONK_SANDBOX=none`.

Process count: RLIMIT_NPROC is ignored for processes of the host's root (the kernel exempts
uid 0 of the initial user namespace, whatever uid the sandbox shows inside), so when a pids
cgroup is writable (v1, or v2 with `pids` delegated) every sandbox gets its own with
`pids.max = limits.processes`. For a non-root host user, prlimit's `--nproc` counts per user
namespace, so each bwrap sandbox is capped on its own.

Memory is capped for the whole command tree by a memory cgroup where the host lets Honk create
one (else RLIMIT_AS per process); disk by a sized /tmp and a watched worktree (app.sandbox.disk).

The pieces live in sibling modules: app.sandbox.args (binds, limits, environment),
app.sandbox.exposure (what of the host is shown: /etc as an allow-list), app.sandbox.process
(a started process and killing all it started), app.sandbox.cgroups, app.sandbox.disk,
app.sandbox.limit_notes, app.sandbox.output_cap; app.sandbox.shell keeps a bash open in a
sandbox across commands.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core.env_values import SandboxMode
from app.core.errors import SandboxError, SandboxUnavailable
from app.metrics import instruments as metrics
from app.sandbox.args import (
    DEFAULT_LIMITS,
    MIB,
    SANDBOX_HOME,
    SANDBOX_ID,
    SANDBOX_TMP,
    Bind,
    SandboxLimits,
    bind_args,
    existing_dir,
    prlimit_args,
    sandbox_env,
)
from app.sandbox.cgroups import CommandCgroup, find_cgroup_parents
from app.sandbox.disk import disk_exceeded, disk_usage, writable_paths
from app.sandbox.exposure import system_mounts
from app.sandbox.limit_notes import disk_note, limit_notes
from app.sandbox.output_cap import OutputCap, truncate_middle
from app.sandbox.process import SandboxProcess, start_process

__all__ = [
    "DEFAULT_LIMITS",
    "Bind",
    "BwrapProfile",
    "CommandResult",
    "ProcessCap",
    "Profile",
    "Sandbox",
    "SandboxLimits",
    "truncate_middle",
]

BwrapProfile = Literal["bwrap-full", "bwrap-weak"]
Profile = Literal["bwrap-full", "bwrap-weak", "none"]
ProcessCap = Literal["cgroup", "rlimit", "none"]

# The weak profile's /proc: a tmpfs with a few harmless host files, no process directories.
WEAK_PROC_FILES = ("cpuinfo", "meminfo", "loadavg", "uptime", "version", "filesystems", "stat")
WEAK_PROC = [
    "--tmpfs",
    "/proc",
    *[
        arg
        for name in WEAK_PROC_FILES
        for arg in ("--ro-bind-try", f"/proc/{name}", f"/proc/{name}")
    ],
]
PROBE_TIMEOUT = 30.0
FIRST = asyncio.FIRST_COMPLETED
NOT_INSTALLED = "bubblewrap cannot run here: `bwrap` is not installed (package bubblewrap)"
UNAVAILABLE_HELP = (
    "Set HONK_SANDBOX=none to run the agent's commands unsandboxed — only on purpose, on a "
    "machine you trust with the code of the repositories Honk works on."
)
PROFILE_TEXT: dict[Profile, str] = {
    "bwrap-full": "bubblewrap (full): user, PID, network, IPC and UTS namespaces, fresh /proc",
    "bwrap-weak": "bubblewrap (weak: no /proc of its own, a tmpfs instead): user, PID, "
    "network, IPC and UTS namespaces",
    "none": "NO SANDBOX (HONK_SANDBOX=none): commands run on the host with a cleared "
    "environment, prlimit and timeouts only; no file system or network isolation",
}
MEMORY_TEXT = {
    True: "memory capped per command tree by a memory cgroup",
    False: "memory capped per process only (RLIMIT_AS; no writable memory cgroup)",
}
CAP_TEXT: dict[ProcessCap, str] = {
    "cgroup": "process count capped by a pids cgroup per command",
    "rlimit": "process count capped by RLIMIT_NPROC",
    "none": "process count NOT capped (host root without a writable pids cgroup)",
}


@dataclass(frozen=True)
class CommandResult:
    """What one command did: merged stdout+stderr (already cut), exit code, timeout."""

    output: str
    exit_code: int | None
    timed_out: bool = False
    truncated: bool = False


@dataclass(frozen=True)
class Sandbox:
    """A probed sandbox profile; `run` for one-shot commands (a shell: `ShellSession.open`)."""

    profile: Profile
    bwrap: str = "bwrap"
    pids_cgroup: Path | None = None
    memory_cgroup: Path | None = None

    @classmethod
    def probe(cls, mode: SandboxMode) -> Sandbox:
        """The strongest profile that runs here; "none" only when asked for by name."""
        if mode == "none":
            return cls("none", "bwrap", *find_cgroup_parents())
        if shutil.which("bwrap") is None:
            raise SandboxUnavailable(f"{NOT_INSTALLED}. {UNAVAILABLE_HELP}")
        errors: list[str] = []
        profiles: list[BwrapProfile] = ["bwrap-full"]
        if mode != "bwrap-full":  # HONK_SANDBOX=bwrap-full refuses the weak profile
            profiles.append("bwrap-weak")
        for profile in profiles:
            try:
                return cls.require(profile)
            except SandboxUnavailable as exc:
                errors.append(str(exc))
        raise SandboxUnavailable(" | ".join(errors) + f". {UNAVAILABLE_HELP}")

    @classmethod
    def require(cls, profile: BwrapProfile) -> Sandbox:
        """This exact bubblewrap profile, after running `true` in it; else SandboxUnavailable."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable(NOT_INSTALLED)
        sandbox = cls(profile, bwrap, *find_cgroup_parents())
        error = sandbox._try_true()
        if error is not None:
            raise SandboxUnavailable(f"bubblewrap cannot run here ({profile}): {error}")
        return sandbox

    @property
    def process_cap(self) -> ProcessCap:
        """What caps the number of processes (see the module docstring)."""
        if self.pids_cgroup is not None:
            return "cgroup"
        return "none" if os.geteuid() == 0 else "rlimit"

    def describe(self) -> str:
        """One line for `honk doctor` and closing notes."""
        caps = f"{CAP_TEXT[self.process_cap]}; {MEMORY_TEXT[self.memory_cgroup is not None]}"
        return f"sandbox {self.profile}: {PROFILE_TEXT[self.profile]}; {caps}"

    async def run(
        self,
        root: Path,
        command: str,
        *,
        timeout: float,  # noqa: ASYNC109 - the sandbox's own wall clock: it kills every process
        env: Mapping[str, str] | None = None,
        binds: Sequence[Bind] = (),
        network: bool = False,
        limits: SandboxLimits = DEFAULT_LIMITS,
    ) -> CommandResult:
        """Run `command` with bash in `root`; on timeout every process it started is killed.

        Leftover background processes are killed too, once the command itself has ended.
        """
        args = ["-c", command]
        process = await self.spawn(root, args, env=env, binds=binds, network=network, limits=limits)
        output = OutputCap(limits.output_chars)
        reader = asyncio.create_task(output.read_from(process.stdout))
        writable = writable_paths(root, binds)
        exited = asyncio.create_task(process.wait())
        watch = asyncio.create_task(disk_exceeded(writable, limits.disk_mb * MIB))
        try:
            done, _ = await asyncio.wait({exited, watch}, timeout=timeout, return_when=FIRST)
        finally:
            exited.cancel()
            watch.cancel()
            await process.close(reader)  # also when the caller is cancelled
        text, truncated = output.render()
        code = process.exit_code if exited in done else None
        if watch in done:
            text += f"\n[{disk_note(limits, watch.result())}; the command was stopped]"
        elif exited not in done:
            text += f"\n[command timed out after {timeout:g}s; it and every process it started "
            text += "were killed]"
        used = await asyncio.to_thread(disk_usage, writable) if watch not in done else 0
        text += limit_notes(limits, code, text, oom_kills=process.oom_kills, disk_used=used)
        metrics.sandbox_command(code, timed_out=not done)
        return CommandResult(text, code, timed_out=not done, truncated=truncated)

    async def spawn(
        self,
        root: Path,
        bash_args: Sequence[str],
        *,
        env: Mapping[str, str] | None,
        binds: Sequence[Bind],
        network: bool,
        limits: SandboxLimits,
        interactive: bool = False,
    ) -> SandboxProcess:
        """Start bash in its own session (and pids cgroup); stdout carries stderr too."""
        argv, cwd = self.argv(root, bash_args, binds, network, limits), existing_dir(root)
        cgroup = self.new_cgroup(limits)
        home = Path(tempfile.mkdtemp(prefix="honk-home-")) if self.profile == "none" else None
        full_env = sandbox_env(env, str(home) if home else SANDBOX_HOME)
        return await start_process(
            argv, cwd=cwd, env=full_env, cgroup=cgroup, home=home, interactive=interactive
        )

    def new_cgroup(self, limits: SandboxLimits) -> CommandCgroup | None:
        """Fresh pids and memory cgroups for one sandbox, where this host lets Honk create them."""
        if self.pids_cgroup is None and self.memory_cgroup is None:
            return None
        try:
            return CommandCgroup.create(
                self.pids_cgroup, self.memory_cgroup, limits.processes, limits.memory_mb
            )
        except OSError as exc:
            raise SandboxError(f"cannot create the sandbox's cgroups: {exc}") from exc

    def argv(
        self,
        root: Path,
        bash_args: Sequence[str],
        binds: Sequence[Bind],
        network: bool,
        limits: SandboxLimits,
    ) -> list[str]:
        """The full command line: bwrap (unless profile "none"), prlimit, bash."""
        root = existing_dir(root)
        inner = [*prlimit_args(limits), "bash", "--noprofile", "--norc", *bash_args]
        if self.profile == "none":
            return inner
        tmp = ["--size", str(limits.tmp_mb * MIB), "--tmpfs", SANDBOX_TMP, "--dir", SANDBOX_HOME]
        mounts = [*system_mounts(network), *tmp]
        mounts += ["--bind", str(root), str(root), *bind_args(binds), "--remount-ro", "/"]
        flags = self._namespace_flags(network)
        return [self.bwrap, *flags, *mounts, "--chdir", str(root), "--", *inner]

    def _namespace_flags(self, network: bool) -> list[str]:
        identity = ["--unshare-user", "--uid", SANDBOX_ID, "--gid", SANDBOX_ID, "--die-with-parent"]
        if self.profile == "bwrap-full":
            share = ["--share-net"] if network else []
            return ["--unshare-all", *share, *identity, "--new-session", "--proc", "/proc"]
        unshare_net = [] if network else ["--unshare-net"]
        namespaces = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        return [*namespaces, *unshare_net, *identity, "--new-session", *WEAK_PROC]

    def _try_true(self) -> str | None:
        with tempfile.TemporaryDirectory(prefix="honk-probe-") as root:
            argv = self.argv(Path(root), ["-c", "true"], (), False, SandboxLimits())
            try:
                done = subprocess.run(
                    argv,
                    env=sandbox_env(None, SANDBOX_HOME),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=PROBE_TIMEOUT,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return str(exc)
        if done.returncode == 0:
            return None
        return done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
