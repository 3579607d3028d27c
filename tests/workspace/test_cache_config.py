"""Host-side git on a tree the agent touched runs nothing the agent could have configured.

The agent writes the worktree (`.gitattributes` included); a filter or diff driver it selects
there must find no definition: no system or global config, and a cache config that is exactly
what Honk wrote (app/workspace/cache_config.py), else git is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import WorkspaceError
from app.workspace.cache_config import REFSPEC, check_config, honk_config
from app.workspace.workspace import Workspace
from tests.fakes.git_remote import git
from tests.fakes.workspace_demo import prepare

ATTRIBUTES = "* filter=evil diff=evil\n"


def evil_config(marker: Path) -> str:
    """A filter and a diff driver that leave `marker` behind if git ever runs them."""
    command = f"touch {marker}; cat"
    return (
        f'[filter "evil"]\n\tclean = {command}\n\tsmudge = {command}\n'
        f'[diff "evil"]\n\ttextconv = {command}\n\tcommand = {command}\n'
        f"[core]\n\tfsmonitor = {command}\n"
    )


async def exercise(workspace: Workspace, remote: Path, marker: Path, job: str) -> None:
    """What Honk does with a job's tree after the agent wrote `.gitattributes` and a change."""
    worktree = await prepare(workspace, remote, job, f"honk/{job}")
    (worktree.path / ".gitattributes").write_text(ATTRIBUTES)
    (worktree.path / "src" / "app.py").write_text("changed\n")
    await worktree.has_changes()
    await worktree.diff()
    await worktree.diff_stat()
    await worktree.commit_all("Change")
    await worktree.remove()


async def test_no_global_or_system_config_reaches_git(
    workspace: Workspace, remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    marker = tmp_path / "ran"
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".gitconfig").write_text(evil_config(marker))
    (home / ".config" / "git" / "config").write_text(evil_config(marker))
    (home / ".config" / "git" / "attributes").write_text(ATTRIBUTES)
    monkeypatch.setenv("HOME", str(home))
    await exercise(workspace, remote, marker, "job-1")
    await exercise(workspace, remote, marker, "job-2")  # a pooled worktree taken over
    assert not marker.exists()


async def test_a_tampered_cache_config_is_refused_before_git_runs_on_the_tree(
    workspace: Workspace, remote: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    worktree = await prepare(workspace, remote, "job-1", "honk/job-1")
    with (worktree.cache_dir / "config").open("a") as config:
        config.write(evil_config(marker))
    (worktree.path / ".gitattributes").write_text(ATTRIBUTES)
    (worktree.path / "src" / "app.py").write_text("changed\n")
    with pytest.raises(WorkspaceError, match="config"):
        await worktree.commit_all("Change")
    with pytest.raises(WorkspaceError, match="config"):
        await worktree.diff()
    with pytest.raises(WorkspaceError, match="config"):
        await worktree.remove()
    assert not worktree.path.exists()  # removed without git running on it
    with pytest.raises(WorkspaceError, match="config"):
        await prepare(workspace, remote, "job-2", "honk/job-2")
    assert not marker.exists()


def test_honk_config_quotes_the_url_and_check_config_accepts_only_it(tmp_path: Path) -> None:
    (tmp_path / "config").write_text(honk_config('https://h/o/r "x" \\ y'))
    check_config(tmp_path)
    assert '\turl = "https://h/o/r \\"x\\" \\\\ y"\n' in (tmp_path / "config").read_text()
    (tmp_path / "config").write_text(honk_config("https://h/o/r") + "\thooksPath = x\n")
    with pytest.raises(WorkspaceError, match="config"):
        check_config(tmp_path)
    with pytest.raises(WorkspaceError, match="line break"):
        honk_config("https://h/o/r\n[core]")


def test_the_config_earlier_versions_had_git_write_is_accepted(tmp_path: Path) -> None:
    git("init", "-q", "--bare", str(tmp_path / "old.git"))
    git("--git-dir", str(tmp_path / "old.git"), "config", "remote.origin.url", "https://h/o/r.git")
    git("--git-dir", str(tmp_path / "old.git"), "config", "remote.origin.fetch", REFSPEC)
    check_config(tmp_path / "old.git")
    git("--git-dir", str(tmp_path / "old.git"), "config", "remote.origin.uploadpack", "evil")
    with pytest.raises(WorkspaceError, match="config"):
        check_config(tmp_path / "old.git")
