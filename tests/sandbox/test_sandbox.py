"""The sandbox for real: bubblewrap profiles, probe, isolation, limits, timeouts (sandbox.py).

These tests run real bubblewrap. Where it cannot run they skip, except under CI=true, where a
missing sandbox fails them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import secrets
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from app.core.env_values import SandboxMode
from app.core.errors import SandboxError, SandboxUnavailable
from app.sandbox.sandbox import Bind, Sandbox, SandboxLimits, truncate_middle
from tests.fakes.sandbox_probe import (
    BWRAP_PROFILES,
    probed_sandbox,
    sandbox_for,
    unavailable,
)

pytestmark = pytest.mark.bwrap

BWRAP_MODES: list[SandboxMode] = ["auto", "bwrap"]
SECRETS = {
    "GITHUB_WEBHOOK_SECRET": "whsec-" + secrets.token_hex(8),
    "ANTHROPIC_API_KEY": "sk-ant-" + secrets.token_hex(8),
    "HONK_TEST_SECRET": "honk-" + secrets.token_hex(8),
}
TIMEOUT = 20.0


def host_processes_with(marker: str) -> list[int]:
    """Live host processes whose command line contains `marker`."""
    found = []
    for path in Path("/proc").iterdir():
        try:
            cmdline = (path / "cmdline").read_bytes() if path.name.isdigit() else b""
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(path.name))
    return found


def test_the_probe_picks_a_bubblewrap_profile_and_describe_names_it() -> None:
    sandbox = probed_sandbox()
    assert sandbox.profile in BWRAP_PROFILES
    assert sandbox.describe().startswith(f"sandbox {sandbox.profile}: bubblewrap")
    print(f"this machine's sandbox: {sandbox.describe()}")


def test_mode_none_is_chosen_only_by_name_and_says_it_does_not_isolate() -> None:
    sandbox = Sandbox.probe("none")
    assert sandbox.profile == "none"
    assert "no file system or network isolation" in sandbox.describe()


FAILING_BWRAP = """#!/bin/sh
echo "bwrap: setting up uid map: Permission denied" >&2
exit 1
"""
NO_FULL_PROFILE_BWRAP = """#!/bin/sh
case " $* " in
  *" --unshare-all "*) echo "bwrap: Can't mount proc on /newroot/proc" >&2; exit 1;;
esac
exec {bwrap} "$@"
"""


def _fake_bwrap(bin_dir: Path, script: str | None) -> None:
    """A PATH directory whose `bwrap` runs `script` (none at all if `script` is None)."""
    bin_dir.mkdir()
    if script is not None:
        (bin_dir / "bwrap").write_text(script)
        (bin_dir / "bwrap").chmod(0o755)


@pytest.mark.parametrize("mode", BWRAP_MODES)
@pytest.mark.parametrize(
    ("script", "expected"),
    [(None, "`bwrap` is not installed"), (FAILING_BWRAP, "setting up uid map: Permission denied")],
)
def test_without_a_working_bubblewrap_the_probe_refuses_and_explains(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: SandboxMode,
    script: str | None,
    expected: str,
) -> None:
    _fake_bwrap(tmp_path / "bin", script)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(SandboxUnavailable) as caught:
        Sandbox.probe(mode)
    message = str(caught.value)
    assert "bubblewrap cannot run here" in message
    assert expected in message
    assert "HONK_SANDBOX=none" in message and "only on purpose" in message
    assert Sandbox.probe("none").profile == "none"


def test_a_host_that_forbids_the_full_profile_gets_the_weak_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sandbox_for("bwrap-weak").bwrap
    _fake_bwrap(tmp_path / "bin", NO_FULL_PROFILE_BWRAP.format(bwrap=real))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sandbox = Sandbox.probe("auto")
    assert sandbox.profile == "bwrap-weak"
    assert "weak" in sandbox.describe()


def test_mode_bwrap_full_refuses_the_weak_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Sandbox.probe("bwrap-full").profile == "bwrap-full" if _full_runs() else True
    real = sandbox_for("bwrap-weak").bwrap
    _fake_bwrap(tmp_path / "bin", NO_FULL_PROFILE_BWRAP.format(bwrap=real))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(SandboxUnavailable, match="bwrap-full"):
        Sandbox.probe("bwrap-full")


def _full_runs() -> bool:
    try:
        Sandbox.require("bwrap-full")
    except SandboxUnavailable:
        return False
    return True


async def test_a_command_can_neither_signal_nor_see_host_processes(
    sandbox: Sandbox, root: Path
) -> None:
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    bait = subprocess.Popen(["sleep", marker])
    honk = os.getpid()
    command = (
        f"kill -0 {honk} && echo honk-signalable; kill -0 {bait.pid} && echo bait-signalable; "
        f"cat /proc/{honk}/cmdline && echo honk-readable; "
        f"{count_processes_with(marker)} -gt 0 ] && echo bait-seen; echo done"
    )
    try:
        result = await sandbox.run(root, command, timeout=TIMEOUT)
        assert bait.poll() is None  # still alive: nothing reached it
    finally:
        bait.kill()
        bait.communicate()
    assert result.output.rstrip().endswith("done"), result.output
    for leak in ("honk-signalable", "bait-signalable", "honk-readable", "bait-seen", marker):
        assert leak not in result.output, result.output


async def test_secrets_of_honk_are_nowhere_inside(
    sandbox: Sandbox, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    # A host process born with the secrets, as Honk's own processes are (the bait is real).
    bait = subprocess.Popen(["sleep", "60"])
    try:
        while not Path(f"/proc/{bait.pid}/cmdline").read_bytes().startswith(b"sleep"):
            await asyncio.sleep(0.01)  # until the exec is done
        environ = Path(f"/proc/{bait.pid}/environ").read_text()
        assert all(value in environ for value in SECRETS.values())
        command = f"env; cat /proc/*/environ /proc/{bait.pid}/environ | tr '\\0' '\\n'"
        env = {"GIT_AUTHOR_NAME": "Honk"}
        result = await sandbox.run(root, command, timeout=TIMEOUT, env=env)
    finally:
        bait.kill()
        bait.communicate()
    assert "GIT_AUTHOR_NAME=Honk" in result.output  # the caller's variables do arrive
    for name, value in SECRETS.items():
        assert value not in result.output
        assert name not in result.output


async def test_the_environment_is_only_the_sandbox_s_own(
    any_sandbox: Sandbox, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    result = await any_sandbox.run(root, "env", timeout=TIMEOUT)
    names = {line.split("=", 1)[0] for line in result.output.splitlines()}
    assert names == {"PATH", "HOME", "LANG", "TERM", "PWD", "SHLVL", "_"}
    assert "LANG=C.UTF-8" in result.output and "TERM=dumb" in result.output


async def test_the_worktree_is_at_its_own_path_and_home_is_private(
    sandbox: Sandbox, root: Path
) -> None:
    command = 'pwd; echo "$HOME"; touch "$HOME/x" && echo home-writable'
    result = await sandbox.run(root, command, timeout=TIMEOUT)
    assert result.output.splitlines() == [str(root.resolve()), "/tmp/home", "home-writable"]


@pytest.mark.parametrize(
    "tool", ["python3 --version", "git --version", "make --version", "bash -c 'echo ok'"]
)
async def test_ordinary_toolchains_run(sandbox: Sandbox, root: Path, tool: str) -> None:
    result = await sandbox.run(root, tool, timeout=TIMEOUT)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("network", "reachable"), [(False, False), (True, True)])
async def test_the_host_s_loopback_is_out_of_reach_without_network(
    sandbox: Sandbox, root: Path, network: bool, reachable: bool
) -> None:
    connections: list[bool] = []

    async def count(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(True)
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    command = f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 2)\""
    async with server:
        result = await sandbox.run(root, command, timeout=TIMEOUT, network=network)
        await asyncio.sleep(0.2)  # let the server accept a connection, had there been one
    assert (result.exit_code == 0) is reachable, result.output
    assert bool(connections) is reachable


WRITE_TARGETS: list[tuple[str, Callable[[Path, Path], Path], bool]] = [
    ("/usr", lambda _root, _other: Path("/usr") / f"honk-{secrets.token_hex(4)}", True),
    ("/etc", lambda _root, _other: Path("/etc") / f"honk-{secrets.token_hex(4)}", True),
    ("/ (root)", lambda _root, _other: Path("/") / f"honk-{secrets.token_hex(4)}", True),
    ("worktree's parent", lambda root, _other: root.parent / "escaped", False),
    ("other host tmp dir", lambda _root, other: other / "escaped", True),
]


@pytest.mark.parametrize(
    ("target", "must_fail_inside"),
    [(make, fails) for _, make, fails in WRITE_TARGETS],
    ids=[name for name, _, _ in WRITE_TARGETS],
)
async def test_writes_outside_the_worktree_never_reach_the_host(
    sandbox: Sandbox,
    root: Path,
    tmp_path_factory: pytest.TempPathFactory,
    target: Callable[[Path, Path], Path],
    must_fail_inside: bool,
) -> None:
    path = target(root, tmp_path_factory.mktemp("other"))
    result = await sandbox.run(root, f"echo x > {path} && echo written", timeout=TIMEOUT)
    assert not path.exists()
    if must_fail_inside:
        assert result.exit_code != 0 and "written" not in result.output


async def test_writes_inside_the_worktree_reach_the_host(sandbox: Sandbox, root: Path) -> None:
    result = await sandbox.run(root, "mkdir -p src && echo hello > src/a.txt", timeout=TIMEOUT)
    assert result.exit_code == 0
    assert (root / "src" / "a.txt").read_text() == "hello\n"


@pytest.mark.parametrize("hidden", ["sibling worktree", "file next to the worktree", "/root"])
async def test_nothing_else_of_the_host_is_visible(
    sandbox: Sandbox, root: Path, hidden: str
) -> None:
    (root.parent / "job-2").mkdir()
    (root.parent / "job-2" / "secret.txt").write_text("other job")
    (root.parent / "honk.db").write_text("data dir")
    paths = {
        "sibling worktree": root.parent / "job-2" / "secret.txt",
        "file next to the worktree": root.parent / "honk.db",
        "/root": Path("/root"),
    }
    result = await sandbox.run(root, f"ls -d {paths[hidden]}", timeout=TIMEOUT)
    assert result.exit_code != 0, result.output


async def test_the_host_s_password_hashes_are_hidden(sandbox: Sandbox, root: Path) -> None:
    if not Path("/etc/shadow").is_file():
        unavailable("this host has no /etc/shadow")
    result = await sandbox.run(root, "cat /etc/shadow", timeout=TIMEOUT)
    assert "root:" not in result.output


async def test_binds_show_a_cache_read_only_and_its_admin_dir_writable(
    sandbox: Sandbox, root: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.git"
    (cache / "worktrees" / "job-1").mkdir(parents=True)
    (cache / "HEAD").write_text("ref: refs/heads/main\n")
    binds = [Bind(cache), Bind(cache / "worktrees" / "job-1", writable=True)]
    command = (
        f"cat {cache}/HEAD; echo x > {cache}/HEAD || echo cache-read-only; "
        f"echo locked > {cache}/worktrees/job-1/index.lock && echo admin-writable"
    )
    result = await sandbox.run(root, command, timeout=TIMEOUT, binds=binds)
    assert "ref: refs/heads/main" in result.output
    assert "cache-read-only" in result.output and "admin-writable" in result.output
    assert (cache / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (cache / "worktrees" / "job-1" / "index.lock").read_text() == "locked\n"


@pytest.mark.parametrize(
    ("bind", "message"),
    [
        (Bind(Path("/nonexistent-honk-cache")), "cannot show"),
        (Bind(Path("/usr"), target=Path("relative")), "must be absolute"),
    ],
)
async def test_a_bad_bind_is_refused(root: Path, bind: Bind, message: str) -> None:
    with pytest.raises(SandboxError, match=message):
        await Sandbox("bwrap-full").run(root, "true", timeout=TIMEOUT, binds=[bind])


async def test_limits_are_set_and_cannot_be_raised(any_sandbox: Sandbox, root: Path) -> None:
    limits = SandboxLimits(
        memory_mb=512, processes=100, file_size_mb=2, cpu_seconds=30, open_files=64
    )
    command = "ulimit -v; ulimit -u; ulimit -f; ulimit -t; ulimit -n; ulimit -n 128 || echo refused"
    result = await any_sandbox.run(root, command, timeout=TIMEOUT, limits=limits)
    assert result.output.splitlines()[:5] == [str(512 * 1024), "100", str(2 * 1024), "30", "64"]
    assert result.output.rstrip().endswith("refused")


async def test_a_memory_hog_fails_without_harm(any_sandbox: Sandbox, root: Path) -> None:
    command = "python3 -c 'b = bytearray(8 * 1024**3); print(len(b))'"
    result = await any_sandbox.run(root, command, timeout=TIMEOUT)
    assert result.exit_code != 0
    assert "MemoryError" in result.output


async def test_a_huge_file_stops_at_the_file_size_limit(any_sandbox: Sandbox, root: Path) -> None:
    limits = SandboxLimits(file_size_mb=8)
    result = await any_sandbox.run(
        root, "head -c 10G /dev/zero > big", timeout=TIMEOUT, limits=limits
    )
    assert result.exit_code == 128 + 25  # SIGXFSZ
    assert (root / "big").stat().st_size == 8 * 1024 * 1024


async def _max_processes_with(marker: str, done: asyncio.Event) -> int:
    most = 0
    while not done.is_set():
        most = max(most, len(host_processes_with(marker)))
        await asyncio.sleep(0.05)
    return most


async def test_a_fork_bomb_is_contained_and_the_host_is_fine(sandbox: Sandbox, root: Path) -> None:
    bomb = f"bomb_{secrets.token_hex(4)}"
    limits = SandboxLimits(processes=64)
    done = asyncio.Event()
    watcher = asyncio.create_task(_max_processes_with(bomb, done))
    command = f"{bomb}(){{ {bomb} | {bomb} & }}; {bomb}; sleep 30"
    result = await sandbox.run(root, command, timeout=3, limits=limits)
    done.set()
    most = await watcher
    assert result.timed_out or result.exit_code != 0
    assert most <= limits.processes + 3  # RLIMIT_NPROC leaves bwrap's own processes uncounted
    assert host_processes_with(bomb) == []
    assert subprocess.run(["true"], check=False).returncode == 0


async def test_a_timeout_kills_every_process_it_started(any_sandbox: Sandbox, root: Path) -> None:
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    command = f"sleep {marker} & setsid sleep {marker} & sleep {marker}"
    if any_sandbox.profile != "none" or any_sandbox.process_cap == "cgroup":
        command = f"(setsid sleep {marker} &); {command}"  # a daemon too: pid ns / cgroup get it
    result = await any_sandbox.run(root, command, timeout=1)
    assert result.timed_out and result.exit_code is None
    assert "timed out after 1s" in result.output
    assert host_processes_with(marker) == []


def count_processes_with(marker: str) -> str:
    """Shell that opens a `[ N` test, N being the processes whose command line holds `marker`.

    (The marker is spelled in two halves, so this shell's own command line does not hold it.)"""
    half = len(marker) // 2
    count = (
        f"n=0; m='{marker[:half]}''{marker[half:]}'; for f in /proc/[0-9]*/cmdline; do "
        'case "$(tr "\\0" " " 2>/dev/null < "$f")" in *"$m"*) n=$((n+1));; esac; done'
    )
    return f'{count}; [ "$n"'


# A setsid daemon, a double fork, a double fork through two sessions; each touches a file once up.
DAEMONS = (
    "setsid sh -c 'touch .d1; exec sleep {m}' & "
    "(sh -c '(touch .d2; exec sleep {m}) &' &) & "
    "(setsid sh -c 'setsid sh -c \"touch .d3; exec sleep {m}\" &' &)"
)
DAEMONS_UP = "until [ -e .d1 ] && [ -e .d2 ] && [ -e .d3 ]; do sleep 0.01; done; rm .d?"


@pytest.mark.parametrize("cgroup", [True, False], ids=["pids-cgroup", "no-cgroup"])
async def test_daemons_and_double_forks_die_with_the_command_on_bwrap_profiles(
    sandbox: Sandbox, root: Path, cgroup: bool
) -> None:
    if not cgroup:
        sandbox = dataclasses.replace(sandbox, pids_cgroup=None)  # the PID namespace alone
    elif sandbox.pids_cgroup is None:
        unavailable("this host has no writable pids cgroup")
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    command = f"{DAEMONS.format(m=marker)}; {DAEMONS_UP}; echo started"
    result = await sandbox.run(root, command, timeout=TIMEOUT)
    assert result.output == "started\n", result.output
    assert host_processes_with(marker) == []
    command = f"{DAEMONS.format(m=marker)}; {DAEMONS_UP}; sleep {marker}"
    timed = await sandbox.run(root, command, timeout=2)
    assert timed.timed_out
    assert host_processes_with(marker) == []


async def test_background_leftovers_die_with_the_command(any_sandbox: Sandbox, root: Path) -> None:
    marker = f"1000.{secrets.randbelow(10**6):06d}"
    result = await any_sandbox.run(root, f"sleep {marker} & echo started", timeout=TIMEOUT)
    assert (result.output, result.exit_code, result.timed_out) == ("started\n", 0, False)
    assert host_processes_with(marker) == []


async def test_long_output_is_cut_in_the_middle(sandbox: Sandbox, root: Path) -> None:
    limits = SandboxLimits(output_chars=1000)
    command = "seq 1 300000; echo the-end >&2"
    result = await sandbox.run(root, command, timeout=TIMEOUT, limits=limits)
    full = "".join(f"{n}\n" for n in range(1, 300001)) + "the-end\n"
    assert (result.output, result.truncated) == truncate_middle(full, 1000)


@pytest.fixture
async def no_sandbox_home_left() -> AsyncIterator[None]:
    before = set(Path(tempfile.gettempdir()).glob("honk-home-*"))
    yield
    assert set(Path(tempfile.gettempdir()).glob("honk-home-*")) <= before


async def test_mode_none_runs_in_the_worktree_with_a_fresh_home(
    root: Path, no_sandbox_home_left: None
) -> None:
    result = await Sandbox.probe("none").run(root, 'pwd; echo "$HOME"', timeout=TIMEOUT)
    cwd, home = result.output.splitlines()
    assert cwd == str(root.resolve())
    assert Path(home).name.startswith("honk-home-") and home != os.environ.get("HOME")
