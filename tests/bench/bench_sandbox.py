"""Sandbox benchmark: the hardened sandbox's cost per command, against bare `bash -c true` and
against the sandbox before the hardening, all measured in the same run, rounds interleaved.

"Before" is rebuilt here, old-style: the whole host `/etc` read-only with shadow, gshadow and
`ssl/private` hidden, the weak profile on the host's PID namespace and `/proc`, an unsized `/tmp`,
a pids cgroup only and no disk check. "Hardened" is `Sandbox.run` as Honk runs it (the `/etc`
allow-list, its own PID namespace, memory and pids cgroups, a sized `/tmp`, the worktree watched
and measured after the command). Also timed: one command in a persistent shell (`ShellSession`),
as the agent's bash tool runs it. Target: the hardening adds at most 15 ms p50 per command.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from app.sandbox.args import DEFAULT_LIMITS, SANDBOX_HOME, prlimit_args, sandbox_env
from app.sandbox.cgroups import CommandCgroup
from app.sandbox.process import start_process
from app.sandbox.sandbox import BwrapProfile, Sandbox
from app.sandbox.shell import ShellSession

ROUNDS = 40
LARGE_FILES = 20_000
TARGET_MS = 15.0
OLD_HIDDEN_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-")
OLD_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")


def old_argv(sandbox: Sandbox, root: Path) -> list[str]:
    """The command line the sandbox built before the hardening (for `bash -c true`)."""
    mounts = ["--dev", "/dev"]
    for name in OLD_SYSTEM_DIRS:
        if Path(name).is_symlink():
            mounts += ["--symlink", os.readlink(name), name]
        elif Path(name).is_dir():
            mounts += ["--ro-bind", name, name]
    for name in filter(os.path.isfile, OLD_HIDDEN_FILES):
        mounts += ["--ro-bind", "/dev/null", name]
    if Path("/etc/ssl/private").is_dir():
        mounts += ["--tmpfs", "/etc/ssl/private"]
    mounts += ["--tmpfs", "/tmp", "--dir", SANDBOX_HOME, "--bind", str(root), str(root)]
    identity = ["--unshare-user", "--uid", "1000", "--gid", "1000", "--die-with-parent"]
    if sandbox.profile == "bwrap-full":
        flags = ["--unshare-all", *identity, "--new-session", "--proc", "/proc"]
    else:
        namespaces = ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--unshare-net"]
        flags = [*namespaces, *identity, "--ro-bind", "/proc", "/proc"]
    inner = [*prlimit_args(DEFAULT_LIMITS), "bash", "--noprofile", "--norc", "-c", "true"]
    return [sandbox.bwrap, *flags, *mounts, "--remount-ro", "/", "--chdir", str(root), "--", *inner]


async def run_old(sandbox: Sandbox, root: Path) -> None:
    cgroup = None
    if sandbox.pids_cgroup is not None:
        cgroup = CommandCgroup.create(sandbox.pids_cgroup, None, DEFAULT_LIMITS.processes, 0)
    env = sandbox_env(None, SANDBOX_HOME)
    process = await start_process(
        old_argv(sandbox, root), cwd=root, env=env, cgroup=cgroup, home=None, interactive=False
    )
    await process.wait(30)
    await process.close()
    assert process.exit_code == 0


async def run_bare(root: Path) -> None:
    process = await asyncio.create_subprocess_exec("bash", "-c", "true", cwd=root)
    assert await process.wait() == 0


async def run_hardened(sandbox: Sandbox, root: Path) -> None:
    result = await sandbox.run(root, "true", timeout=30)
    assert result.exit_code == 0, result.output


async def timed(step: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await step()
    return (time.perf_counter() - started) * 1000


async def bench_profile(profile: BwrapProfile, root: Path) -> float:
    """Print one profile's p50s; return what the hardening adds (ms, p50)."""
    sandbox = Sandbox.require(profile)
    steps: dict[str, Callable[[], Awaitable[None]]] = {
        "bare bash -c true": lambda: run_bare(root),
        "sandbox before hardening": lambda: run_old(sandbox, root),
        "hardened sandbox": lambda: run_hardened(sandbox, root),
    }
    times: dict[str, list[float]] = {name: [] for name in steps}
    async with await ShellSession.open(sandbox, root) as shell:
        steps["hardened, persistent shell"] = lambda: _shell_true(shell)
        times["hardened, persistent shell"] = []
        for _ in range(ROUNDS):
            for name, step in steps.items():
                times[name].append(await timed(step))
    p50 = {name: statistics.median(values) for name, values in times.items()}
    print(f"-- {sandbox.describe()}")
    for name, value in p50.items():
        print(f"   {name:28s} p50 {value:7.2f} ms   (min {min(times[name]):6.2f})")
    added = p50["hardened sandbox"] - p50["sandbox before hardening"]
    print(
        f"   hardening adds {added:+.2f} ms p50; over bare bash "
        f"{p50['hardened sandbox'] - p50['bare bash -c true']:+.2f} ms"
    )
    return added


async def _shell_true(shell: ShellSession) -> None:
    assert (await shell.run("true")).exit_code == 0


async def bench_large_worktree(scratch: Path) -> None:
    """The disk measure after every command grows with the worktree: one of LARGE_FILES files."""
    root = scratch / "large"
    for n in range(LARGE_FILES):
        directory = root / f"d{n % 100:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"f{n}.txt").write_text("x\n")
    async with await ShellSession.open(Sandbox.require("bwrap-full"), root) as shell:
        times = [await timed(lambda: _shell_true(shell)) for _ in range(ROUNDS // 4)]
    print(
        f"-- persistent shell, worktree of {LARGE_FILES} files: "
        f"p50 {statistics.median(times):.2f} ms per command (disk gauge: statvfs between walks)"
    )


async def bench() -> None:
    with tempfile.TemporaryDirectory(prefix="honk-bench-") as scratch:
        root = Path(scratch) / "worktree"
        root.mkdir()
        added = [await bench_profile(profile, root) for profile in ("bwrap-full", "bwrap-weak")]
        await bench_large_worktree(Path(scratch))
    verdict = "ok" if max(added) <= TARGET_MS else "OVER TARGET"
    print(f"target: the hardening adds at most {TARGET_MS:g} ms p50 per command: {verdict}")


def main() -> None:
    asyncio.run(bench())


if __name__ == "__main__":
    main()
