"""The demo repository for workspace tests: files, a job's worktree, worktree list, a git spy."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from app.workspace.workspace import Workspace, Worktree
from tests.fakes.git_remote import git

FILES = {
    "README.md": "# demo\n",
    "src/app.py": "def answer():\n    return 41\n",
    ".gitignore": "*.log\nbuild/\n",
}
HOST_SECRETS = {  # what Honk's own environment holds and git must never see
    "ANTHROPIC_API_KEY": "sk-ant-api03-secret-value",
    "GITHUB_WEBHOOK_SECRET": "webhook-secret-value",
    "GITHUB_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nMIIEsecret\n-----END PRIVATE KEY-----\n",
    "SLACK_BOT_TOKEN": "xoxb-secret-value",
    "HONK_TEST_SECRET": "honk-secret-value",
}


async def prepare(
    ws: Workspace, remote: Path, job_id: str, branch: str, *, existing_branch: bool = False
) -> Worktree:
    """A worktree for `job_id` on `branch`, from `main` of the local `remote` (no token)."""
    return await ws.prepare(
        remote.as_uri(),
        token=None,
        base_branch="main",
        job_id=job_id,
        branch=branch,
        existing_branch=existing_branch,
    )


def worktree_paths(git_dir: Path) -> list[str]:
    """The paths `git worktree list` shows for the repository at `git_dir`."""
    listing = git("--git-dir", str(git_dir), "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("worktree ")]


@dataclass(frozen=True)
class GitCall:
    """One run of git as the spy saw it: its arguments (space-joined) and its environment."""

    argv: str
    env: dict[str, str]


@dataclass(frozen=True)
class GitSpy:
    """A `git` first on PATH (`bin_dir`) that records each call in `calls_dir`, then runs git."""

    bin_dir: Path
    calls_dir: Path

    def calls(self) -> list[GitCall]:
        """Every recorded call, in no particular order."""
        recorded = []
        for path in self.calls_dir.iterdir():
            argv, _, env = path.read_bytes().decode().partition("\n")
            pairs = (item.partition("=") for item in env.split("\0") if item)
            recorded.append(GitCall(argv, {name: value for name, _, value in pairs}))
        return recorded

    def forget(self) -> None:
        """Drop the calls recorded so far (say, those that built the fixtures)."""
        for path in self.calls_dir.iterdir():
            path.unlink()


def install_git_spy(root: Path) -> GitSpy:
    """Write the spy under `root`; put `spy.bin_dir` first on PATH to use it."""
    real_git = shutil.which("git")
    assert real_git is not None
    spy = GitSpy(root / "bin", root / "calls")
    spy.bin_dir.mkdir(parents=True)
    spy.calls_dir.mkdir()
    wrapper = spy.bin_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'call="$(mktemp "{spy.calls_dir}/call.XXXXXX")"\n'
        '{ printf "%s\\n" "$*"; env -0; } > "$call"\n'
        f'exec "{real_git}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return spy
