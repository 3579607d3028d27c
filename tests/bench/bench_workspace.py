"""Workspace benchmark: a fresh `git clone` vs Honk's warm job checkout on a large repository.

The repository (20,000 files in nested directories, 2,000 commits) is generated with
`git fast-import` into a local bare remote. Both sides use `file://` URLs: a plain local-path
clone hardlinks the objects and would be unfairly fast. The baseline is a full, non-bare clone
with checkout. Honk's side is the second and later `prepare` on the same repository (a fetch with
nothing new, then the job's worktree), with the idle pool off (always `git worktree add`) and on
(the default: a parked worktree is taken over). `remove()` runs between jobs, untimed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from app.workspace.workspace import Workspace

FILES = 20_000
COMMITS = 2_000
ROUNDS = 5  # the pooled checkout, cheap
SLOW_ROUNDS = 3  # clones and worktree adds write 20k files: seconds each on a slow disk
TARGET = 0.10


def fast_import_stream(files: int, commits: int) -> bytes:
    """One commit with `files` files, then `commits - 1` commits touching three files each."""
    out: list[bytes] = []

    def commit(n: int, changes: list[tuple[str, bytes]]) -> None:
        message = f"Commit {n}\n".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer Bench <bench@example.com> %d +0000\n" % (1_700_000_000 + n))
        out.append(b"data %d\n%s" % (len(message), message))
        for path, data in changes:
            out.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))

    def path(i: int) -> str:
        return f"pkg{i % 20:02d}/mod{i // 20 % 50:02d}/file{i}.py"

    def content(i: int, version: int) -> bytes:
        return b"".join(b"value_%d = %d  # line %d\n" % (i, version, k) for k in range(12))

    commit(0, [(path(i), content(i, 0)) for i in range(files)])
    for n in range(1, commits):
        commit(n, [(path((n * 7 + k * 997) % files), content(n, k)) for k in range(3)])
    return b"".join(out)


def generate_remote(target: Path) -> None:
    subprocess.run(
        ["git", "init", "-q", "--bare", "--initial-branch=main", str(target)], check=True
    )
    stream = fast_import_stream(FILES, COMMITS)
    subprocess.run(
        ["git", "--git-dir", str(target), "fast-import", "--quiet"], input=stream, check=True
    )
    subprocess.run(["git", "--git-dir", str(target), "repack", "-adq"], check=True)


def time_fresh_clones(url: str, scratch: Path) -> list[float]:
    times = []
    for n in range(SLOW_ROUNDS):
        target = scratch / f"clone-{n}"
        started = time.perf_counter()
        subprocess.run(["git", "clone", "-q", url, str(target)], check=True)
        times.append(time.perf_counter() - started)
        shutil.rmtree(target)
    return times


async def time_prepares(workspace: Workspace, url: str, jobs: range) -> list[float]:
    """Time `prepare` for each job; every job is removed (untimed) before the next."""
    times = []
    for n in jobs:
        started = time.perf_counter()
        worktree = await workspace.prepare(
            url, token=None, base_branch="main", job_id=f"job-{n}", branch=f"honk/bench-{n}"
        )
        times.append(time.perf_counter() - started)
        assert (worktree.path / "pkg00/mod00/file0.py").is_file()
        await worktree.remove()
    return times


async def time_honk(url: str, data_dir: Path) -> tuple[float, list[float], list[float]]:
    """Cold first prepare; warm ones with the pool off; warm ones taking over a parked worktree."""
    no_pool = Workspace(data_dir, git_name="Bench", git_email="b@example.com", pool_size=0)
    cold, *added = await time_prepares(no_pool, url, range(SLOW_ROUNDS + 1))
    pooled = Workspace(data_dir, git_name="Bench", git_email="b@example.com", pool_size=2)
    await time_prepares(pooled, url, range(100, 101))  # fills the pool: one worktree parked
    return cold, added, await time_prepares(pooled, url, range(200, 200 + ROUNDS))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="honk-bench-workspace-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        generate_remote(root / "big.git")
        print(f"generated {FILES} files, {COMMITS} commits in {time.perf_counter() - started:.1f}s")
        url = (root / "big.git").as_uri()
        clones = statistics.median(time_fresh_clones(url, root))
        cold, no_pool, pooled = asyncio.run(time_honk(url, root / "data"))
    rows = [
        (f"fresh git clone, file:// (n={SLOW_ROUNDS})", clones),
        ("honk cold prepare, first job (n=1)", cold),
        (f"honk warm prepare, worktree add (n={SLOW_ROUNDS})", statistics.median(no_pool)),
        (f"honk warm prepare, idle pool (n={ROUNDS})", statistics.median(pooled)),
    ]
    print(f"{'case':<44}{'median s':>10}{'vs clone':>10}   (cores: {os.cpu_count()})")
    for name, seconds in rows:
        print(f"{name:<44}{seconds:>10.3f}{seconds / clones:>9.1%}")
    verdict = "meets" if statistics.median(pooled) <= TARGET * clones else "MISSES"
    print(f"warm (idle pool) {verdict} the target of <= {TARGET:.0%} of a fresh clone")


if __name__ == "__main__":
    main()
