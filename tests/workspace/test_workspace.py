"""Workspace against real git: caches, worktrees, commits, pushes, the token, removal."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from pathlib import Path, PurePosixPath

import pytest

from app.core.config import Secret
from app.core.errors import WorkspaceError
from app.workspace.workspace import Workspace, cache_path
from tests.fakes.git_remote import SmartHTTPRemote, commit_to_remote, git, make_remote, remote_sha
from tests.fakes.workspace_demo import (
    FILES,
    HOST_SECRETS,
    GitCall,
    GitSpy,
    install_git_spy,
    prepare,
    worktree_paths,
)

TOKEN = "ghs_TestToken0123456789abcdef"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo/hello.git", "github.com/octo/hello.git"),
        ("https://github.com/octo/hello", "github.com/octo/hello.git"),
        ("https://ghe.example.com:8443/octo/hello.git", "ghe.example.com_8443/octo/hello.git"),
        ("ssh://git@github.com/octo/hello.git", "github.com/octo/hello.git"),
    ],
)
def test_cache_path_is_host_owner_name(url: str, expected: str) -> None:
    assert cache_path(url) == PurePosixPath(expected)


@pytest.mark.parametrize(
    ("url", "prefix"),
    [
        ("file:///srv/git/octo/hello.git", "local/octo/hello-"),
        ("https://example.com/group/sub/hello.git", "example.com/sub/hello-"),
        ("https://example.com/o/we ird.git", "example.com/o/we_ird-"),
        ("https://example.com/o/..git", "example.com/o/_-"),
    ],
)
def test_cache_path_hashes_what_is_not_plain(url: str, prefix: str) -> None:
    path = str(cache_path(url))
    assert path.startswith(prefix) and path.endswith(".git")
    assert ".." not in PurePosixPath(path).parts


@pytest.mark.parametrize(
    "url", ["https://x-access-token:secret@github.com/o/r.git", "https://user@github.com/o/r"]
)
def test_cache_path_refuses_credentials_in_url(url: str) -> None:
    with pytest.raises(WorkspaceError, match="must not carry credentials"):
        cache_path(url)


def test_cache_path_refuses_a_bad_port() -> None:
    with pytest.raises(WorkspaceError, match="bad port"):
        cache_path("https://github.com:http/o/r.git")


async def test_second_prepare_reuses_cache_and_fetches_new_commits(
    workspace: Workspace, remote: Path
) -> None:
    first = await prepare(workspace, remote, "job-1", "honk/issue-1")
    marker = first.cache_dir / "honk-test-marker"
    marker.write_text("first clone")
    inode = first.cache_dir.stat().st_ino
    await first.remove()
    new_sha = commit_to_remote(remote, {"NEW.md": "news\n"}, "Upstream change")

    second = await prepare(workspace, remote, "job-2", "honk/issue-2")

    assert second.cache_dir == first.cache_dir
    assert marker.read_text() == "first clone" and second.cache_dir.stat().st_ino == inode
    assert second.base_sha == new_sha == await second.head_sha()
    assert (second.path / "NEW.md").read_text() == "news\n"
    assert second.path == workspace.worktrees_dir / "job-2"


async def test_concurrent_jobs_are_isolated_and_push_their_own_branches(
    workspace: Workspace, remote: Path
) -> None:
    one, two = await asyncio.gather(
        prepare(workspace, remote, "job-a", "honk/a"), prepare(workspace, remote, "job-b", "honk/b")
    )
    (one.path / "a.txt").write_text("from a\n")
    (two.path / "b.txt").write_text("from b\n")
    shas = await asyncio.gather(one.commit_all("Job A"), two.commit_all("Job B"))
    await asyncio.gather(one.push(token=None), two.push(token=None))

    assert one.cache_dir == two.cache_dir and one.path != two.path
    assert not (one.path / "b.txt").exists() and not (two.path / "a.txt").exists()
    pushed = (remote_sha(remote, "refs/heads/honk/a"), remote_sha(remote, "refs/heads/honk/b"))
    assert pushed == tuple(shas)
    assert git("--git-dir", str(remote), "show", "honk/a:a.txt") == "from a\n"
    assert "b.txt" not in git("--git-dir", str(remote), "ls-tree", "--name-only", "honk/a")


async def test_file_lock_holds_off_another_process_until_released(
    tmp_path: Path, workspace: Workspace, remote: Path
) -> None:
    """A second Workspace has its own lock file descriptor, as another process would."""
    other_process = Workspace(workspace.data_dir, git_name="Other", git_email="o@example.com")
    cache = workspace.repos_dir / cache_path(remote.as_uri())
    async with other_process.repo_lock(cache):
        job = asyncio.create_task(prepare(workspace, remote, "job-1", "honk/x"))
        await asyncio.sleep(0.5)  # ample time for an unlocked prepare of this tiny repository
        created_while_held = cache.exists()
    worktree = await job
    assert not created_while_held and worktree.path.is_dir()


@pytest.fixture
def git_spy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitSpy:
    """A `git` first on PATH that records each call's argv and environment, then runs git."""
    spy = install_git_spy(tmp_path / "spy")
    monkeypatch.setenv("PATH", f"{spy.bin_dir}{os.pathsep}{os.environ['PATH']}")
    return spy


def honk_calls(spy: GitSpy) -> list[GitCall]:
    """The calls Honk made (not the fake remote's `git http-backend`)."""
    return [call for call in spy.calls() if not call.argv.startswith("http-backend")]


async def test_token_reaches_git_only_through_the_environment(
    tmp_path: Path, workspace: Workspace, git_spy: GitSpy
) -> None:
    remote = make_remote(tmp_path / "served", FILES, name="octo/hello.git")
    git_spy.forget()
    async with SmartHTTPRemote(tmp_path / "served", TOKEN) as server:
        url = server.url_for("octo/hello.git")
        worktree = await workspace.prepare(
            url, token=Secret(TOKEN), base_branch="main", job_id="j1", branch="honk/issue-7"
        )
        (worktree.path / "fix.py").write_text("fixed = True\n")
        sha = await worktree.commit_all("Fix")
        await worktree.push(token=Secret(TOKEN))

    encoded = base64.b64encode(f"x-access-token:{TOKEN}".encode())
    logged = "\n".join(call.argv for call in honk_calls(git_spy))
    assert "push" in logged and "fetch" in logged
    assert TOKEN not in logged and encoded.decode() not in logged
    for path in workspace.data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert TOKEN.encode() not in content and encoded not in content, path
    for where in (worktree.cache_dir, worktree.admin_dir):
        assert TOKEN not in git("--git-dir", str(where), "remote", "-v")
    assert server.requests and all(request.authorized for request in server.requests)
    assert any(r.method == "POST" and r.path.endswith("git-receive-pack") for r in server.requests)
    assert remote_sha(remote, "refs/heads/honk/issue-7") == sha


async def test_git_never_sees_honks_secrets_during_prepare_commit_and_push(
    tmp_path: Path, workspace: Workspace, git_spy: GitSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_remote(tmp_path / "served", FILES, name="octo/hello.git")
    git_spy.forget()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name, value in HOST_SECRETS.items():
        monkeypatch.setenv(name, value)
    async with SmartHTTPRemote(tmp_path / "served", TOKEN) as server:
        worktree = await workspace.prepare(
            server.url_for("octo/hello.git"),
            token=Secret(TOKEN),
            base_branch="main",
            job_id="j1",
            branch="honk/issue-7",
        )
        (worktree.path / "fix.py").write_text("fixed = True\n")
        await worktree.commit_all("Fix")
        await worktree.push(token=Secret(TOKEN))

    calls = honk_calls(git_spy)
    verbs = {word for call in calls for word in call.argv.split()}
    assert {"fetch", "worktree", "commit", "push"} <= verbs
    for call in calls:
        assert call.env["PATH"] == os.environ["PATH"], call.argv
        assert call.env["HOME"] == str(tmp_path / "home"), call.argv
        assert not HOST_SECRETS.keys() & call.env.keys(), call.argv
        values = "\0".join(call.env.values())
        assert not [secret for secret in HOST_SECRETS.values() if secret in values], call.argv


async def test_wrong_token_fails_clearly_without_echoing_it(
    tmp_path: Path, workspace: Workspace
) -> None:
    make_remote(tmp_path / "served", FILES, name="octo/hello.git")
    async with SmartHTTPRemote(tmp_path / "served", TOKEN) as server:
        with pytest.raises(WorkspaceError, match="cannot fetch") as caught:
            await workspace.prepare(
                server.url_for("octo/hello.git"),
                token=Secret("ghs_wrong_token_value"),
                base_branch="main",
                job_id="j1",
                branch="honk/x",
            )
    assert "ghs_wrong_token_value" not in str(caught.value)
    assert server.requests and not server.requests[0].authorized


async def test_large_push_over_http_arrives_chunked_and_intact(
    tmp_path: Path, workspace: Workspace
) -> None:
    remote = make_remote(tmp_path / "served", FILES, name="octo/big.git")
    async with SmartHTTPRemote(tmp_path / "served", TOKEN) as server:
        worktree = await workspace.prepare(
            server.url_for("octo/big.git"),
            token=Secret(TOKEN),
            base_branch="main",
            job_id="big",
            branch="honk/big",
        )
        (worktree.path / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
        await worktree.commit_all("Add a large file")
        await worktree.push(token=Secret(TOKEN))
    assert any(r.chunked for r in server.requests if r.path.endswith("git-receive-pack"))
    size = git("--git-dir", str(remote), "cat-file", "-s", "honk/big:blob.bin")
    assert int(size) == 3 * 1024 * 1024


async def test_pushed_commit_has_bot_identity_and_co_author_trailers(
    workspace: Workspace, remote: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/issue-3")
    (worktree.path / "src/app.py").write_text("def answer():\n    return 42\n")
    co_authors = ["Ada Lovelace <ada@example.com>", "Grace Hopper <grace@example.com>"]
    await worktree.commit_all("Fix the answer\n\nFixes #3", co_authors=co_authors)
    await worktree.push(token=None)

    fmt = "%an|%ae|%cn|%ce|%s|%(trailers:key=Co-authored-by,valueonly,separator=;)"
    shown = git("--git-dir", str(remote), "log", "-1", f"--format={fmt}", "honk/issue-3")
    assert shown.strip().split("|") == [
        "Honk Bot",
        "honk@example.com",
        "Honk Bot",
        "honk@example.com",
        "Fix the answer",
        ";".join(co_authors),
    ]


@pytest.mark.parametrize(
    "co_author", ["Ada", "Ada <ada@example.com>\nSigned-off-by: x <y@z>", "<a@b>"]
)
async def test_malformed_co_author_is_refused(
    workspace: Workspace, remote: Path, co_author: str
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "x.txt").write_text("x\n")
    with pytest.raises(WorkspaceError, match="Name <email>"):
        await worktree.commit_all("X", co_authors=[co_author])


async def test_existing_branch_is_checked_out_and_push_fast_forwards(
    workspace: Workspace, remote: Path
) -> None:
    pr_head = commit_to_remote(remote, {"feature.txt": "v1\n"}, "PR work", branch="feature")
    worktree = await prepare(workspace, remote, "fix-pr", "feature", existing_branch=True)
    assert (worktree.path / "feature.txt").read_text() == "v1\n"
    assert worktree.base_sha == pr_head and worktree.base_branch == "main"

    (worktree.path / "feature.txt").write_text("v2\n")
    new_head = await worktree.commit_all("Address review")
    await worktree.push(token=None)

    assert remote_sha(remote, "refs/heads/feature") == new_head
    assert git("--git-dir", str(remote), "rev-parse", f"{new_head}^").strip() == pr_head


async def test_force_push_leased_on_the_fetched_tip_rewrites_the_branch(
    workspace: Workspace, remote: Path
) -> None:
    pr_head = commit_to_remote(remote, {"feature.txt": "v1\n"}, "PR work", branch="feature")
    worktree = await prepare(workspace, remote, "fix-pr", "feature", existing_branch=True)
    await worktree.git("reset", "-q", "--hard", "HEAD~1")
    (worktree.path / "other.txt").write_text("rewritten\n")
    rewritten = await worktree.commit_all("Rewrite")

    with pytest.raises(WorkspaceError, match="git push failed"):
        await worktree.push(token=None)  # not a fast-forward
    assert await worktree.remote_tip() == pr_head
    await worktree.push(token=None, expect=pr_head, force=True)

    assert remote_sha(remote, "refs/heads/feature") == rewritten


@pytest.mark.parametrize("another_job_fetched", [False, True])
async def test_force_push_with_a_stale_expect_is_refused_and_the_other_commit_survives(
    workspace: Workspace, remote: Path, another_job_fetched: bool
) -> None:
    commit_to_remote(remote, {"feature.txt": "v1\n"}, "PR work", branch="feature")
    worktree = await prepare(workspace, remote, "job-1", "feature", existing_branch=True)
    seen = await worktree.remote_tip()
    foreign = commit_to_remote(remote, {"theirs.txt": "x\n"}, "Someone else", branch="feature")
    if another_job_fetched:  # the shared cache's origin/feature now shows the foreign commit
        other = await prepare(workspace, remote, "job-2", "honk/other")
        assert remote_sha(other.cache_dir, "refs/remotes/origin/feature") == foreign
    (worktree.path / "mine.txt").write_text("mine\n")
    await worktree.commit_all("Mine")

    assert seen is not None and await worktree.remote_tip() == seen
    with pytest.raises(WorkspaceError, match="stale info"):
        await worktree.push(token=None, expect=seen, force=True)
    assert remote_sha(remote, "refs/heads/feature") == foreign


@pytest.mark.parametrize(("branch_exists", "refused"), [(True, True), (False, False)])
async def test_force_push_expecting_no_branch_refuses_an_existing_one(
    workspace: Workspace, remote: Path, branch_exists: bool, refused: bool
) -> None:
    theirs = None
    if branch_exists:
        theirs = commit_to_remote(remote, {"theirs.txt": "x\n"}, "Theirs", branch="honk/issue-9")
    worktree = await prepare(workspace, remote, "job-1", "honk/issue-9")
    assert await worktree.remote_tip() == theirs
    (worktree.path / "fix.txt").write_text("fix\n")
    mine = await worktree.commit_all("Fix")

    if refused:
        with pytest.raises(WorkspaceError, match="stale info"):
            await worktree.push(token=None, expect="", force=True)
    else:
        await worktree.push(token=None, expect="", force=True)

    assert remote_sha(remote, "refs/heads/honk/issue-9") == (theirs or mine)


@pytest.mark.parametrize(
    ("expect", "force", "message"),
    [
        (None, True, "force=True needs expect"),
        ("0" * 40, False, "only for force=True"),
        ("main", True, "full commit sha"),
        ("HEAD~1", True, "full commit sha"),
        ("abc1234", True, "full commit sha"),
    ],
)
async def test_push_refuses_to_guess_a_lease(
    workspace: Workspace, remote: Path, expect: str | None, force: bool, message: str
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "x.txt").write_text("x\n")
    await worktree.commit_all("X")
    with pytest.raises(ValueError, match=message):
        await worktree.push(token=None, expect=expect, force=force)
    assert not git("--git-dir", str(remote), "branch", "--list", "honk/x")


async def test_author_email_is_the_recorded_author_whatever_the_mailmap_says(
    workspace: Workspace, remote: Path
) -> None:
    mailmap = {".mailmap": "Honk Bot <honk@example.com> <tester@example.com>\n"}
    theirs = commit_to_remote(remote, mailmap, "Theirs", branch="feature")
    worktree = await prepare(workspace, remote, "job-1", "feature", existing_branch=True)
    (worktree.path / "mine.txt").write_text("mine\n")
    mine = await worktree.commit_all("Mine")
    assert mine is not None

    assert await worktree.author_email(theirs) == "tester@example.com"
    assert await worktree.author_email(mine) == "honk@example.com"


@pytest.mark.parametrize(
    ("sha", "error"),
    [("0" * 40, WorkspaceError), ("HEAD", ValueError), ("--output=x", ValueError)],
)
async def test_author_email_refuses_what_is_not_a_known_commit(
    workspace: Workspace, remote: Path, sha: str, error: type[Exception]
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    with pytest.raises(error):
        await worktree.author_email(sha)


@pytest.mark.parametrize("pool_size", [0, 2])
async def test_remove_deletes_worktree_dir_registration_and_branch(
    tmp_path: Path, remote: Path, pool_size: int
) -> None:
    ws = Workspace(tmp_path / "data", git_name="H", git_email="h@example.com", pool_size=pool_size)
    worktree = await prepare(ws, remote, "job-1", "honk/issue-1")
    (worktree.path / "junk.txt").write_text("junk\n")
    await worktree.commit_all("Junk")
    assert str(worktree.path) in worktree_paths(worktree.cache_dir)

    await worktree.remove()
    await worktree.remove()  # a second call is harmless

    assert not worktree.path.exists()
    assert str(worktree.path) not in worktree_paths(worktree.cache_dir)
    assert "honk/issue-1" not in git("--git-dir", str(worktree.cache_dir), "branch", "--list")
    assert len(worktree_paths(worktree.cache_dir)) == 1 + min(pool_size, 1)  # the cache + parked


@pytest.mark.parametrize("parked", [0, 2])
async def test_a_branch_checked_out_by_a_running_job_is_refused(
    workspace: Workspace, remote: Path, parked: int
) -> None:
    warm = [await prepare(workspace, remote, f"warm-{n}", f"honk/warm-{n}") for n in range(parked)]
    for worktree in warm:  # parked: both jobs below take one over (the `checkout -B` path)
        await worktree.remove()
    running = await prepare(workspace, remote, "job-1", "honk/issue-1")
    with pytest.raises(WorkspaceError, match="already checked out"):
        await prepare(workspace, remote, "job-2", "honk/issue-1")
    assert (await running.git("branch", "--show-current")).strip() == "honk/issue-1"


async def test_retried_job_starts_from_a_clean_worktree(workspace: Workspace, remote: Path) -> None:
    stale = await prepare(workspace, remote, "job-1", "honk/issue-1")
    (stale.path / "half-done.txt").write_text("crashed here\n")
    (stale.path / "locked").mkdir()
    (stale.path / "locked/file").write_text("x\n")
    (stale.path / "locked").chmod(0o500)

    retry = await prepare(workspace, remote, "job-1", "honk/issue-1")

    assert retry.path == stale.path and not (retry.path / "half-done.txt").exists()
    assert not (retry.path / "locked").exists()
    assert worktree_paths(retry.cache_dir).count(str(retry.path)) == 1


async def test_diff_views_cover_committed_uncommitted_and_untracked_changes(
    workspace: Workspace, remote: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    assert not await worktree.has_changes()
    (worktree.path / "src/app.py").write_text("def answer():\n    return 42\n")
    await worktree.commit_all("Committed part")
    (worktree.path / "README.md").unlink()
    (worktree.path / "docs").mkdir()
    (worktree.path / "docs/guide.md").write_text("brand new guide\n")
    (worktree.path / "trace.log").write_text("ignored\n")
    assert await worktree.has_changes()

    assert sorted(await worktree.changed_paths()) == ["README.md", "docs/guide.md", "src/app.py"]
    diff = await worktree.diff()
    assert "+    return 42" in diff and "+brand new guide" in diff and "-# demo" in diff
    assert "trace.log" not in diff
    stat = await worktree.diff_stat()
    assert "3 files changed" in stat and "docs/guide.md" in stat
    assert not (await worktree.git("diff", "--cached", "--name-only")).strip()  # index untouched


async def test_commit_all_returns_none_when_nothing_changed(
    workspace: Workspace, remote: Path
) -> None:
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    assert await worktree.commit_all("Nothing") is None
    (worktree.path / "a.txt").write_text("a\n")
    sha = await worktree.commit_all("Something")
    assert sha is not None and sha == await worktree.head_sha()
    assert await worktree.commit_all("Nothing again") is None
    assert not await worktree.has_changes()


@pytest.mark.parametrize(
    ("url", "base", "message"),
    [
        ("file:///nonexistent/honk/repo.git", "main", "cannot fetch file:///nonexistent"),
        (None, "no-such-branch", "branch 'no-such-branch' not found"),
    ],
)
async def test_bad_url_or_missing_base_branch_fails_clearly(
    workspace: Workspace, remote: Path, url: str | None, base: str, message: str
) -> None:
    with pytest.raises(WorkspaceError, match=message):
        await workspace.prepare(
            url or remote.as_uri(), token=None, base_branch=base, job_id="j", branch="honk/x"
        )


@pytest.mark.parametrize(
    ("job_id", "branch", "message"),
    [
        ("../escape", "honk/x", "job id"),
        ("job", "bad..name", "branch name"),
        ("job", "-x", "branch"),
    ],
)
async def test_unsafe_job_ids_and_branch_names_are_refused(
    workspace: Workspace, remote: Path, job_id: str, branch: str, message: str
) -> None:
    with pytest.raises(WorkspaceError, match=message):
        await prepare(workspace, remote, job_id, branch)


async def test_inherited_git_variables_do_not_redirect_git(
    tmp_path: Path, workspace: Workspace, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = make_remote(tmp_path / "decoy", {"DECOY": "x\n"})
    monkeypatch.setenv("GIT_DIR", str(decoy))
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "decoy-index"))
    worktree = await prepare(workspace, remote, "job-1", "honk/x")
    (worktree.path / "a.txt").write_text("a\n")
    sha = await worktree.commit_all("A")
    monkeypatch.delenv("GIT_DIR")
    assert remote_sha(worktree.cache_dir, "refs/heads/honk/x") == sha
    assert "honk/x" not in git("--git-dir", str(decoy), "branch", "--list")


@pytest.fixture
def user_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "user-repo"
    git("init", "-q", "--initial-branch=main", str(repo))
    (repo / "app.py").write_text("print('hi')\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "User commit", cwd=repo)
    return repo


async def test_prepare_local_leaves_a_branch_with_the_commit_in_the_users_repo(
    workspace: Workspace, user_repo: Path
) -> None:
    git("worktree", "add", "-q", str(user_repo.parent / "users-own"), cwd=user_repo)
    shutil.rmtree(user_repo.parent / "users-own")  # a stale record that is theirs, not ours
    worktree = await workspace.prepare_local(user_repo, branch="honk/local-1", job_id="local-1")
    assert worktree.base_branch == "main" and (worktree.path / "app.py").exists()
    (worktree.path / "app.py").write_text("print('fixed')\n")
    sha = await worktree.commit_all("Honk local fix")
    with pytest.raises(WorkspaceError, match="no origin"):
        await worktree.push(token=None)
    with pytest.raises(WorkspaceError, match="no origin"):
        await worktree.remote_tip()

    await worktree.remove()

    assert not worktree.path.exists()
    assert worktree_paths(user_repo / ".git") == [
        str(user_repo),
        str(user_repo.parent / "users-own"),
    ]
    assert git("rev-parse", "honk/local-1", cwd=user_repo).strip() == sha
    assert (
        git("log", "-1", "--format=%s", "honk/local-1", cwd=user_repo).strip() == "Honk local fix"
    )
    assert git("branch", "--show-current", cwd=user_repo).strip() == "main"
    assert (user_repo / "app.py").read_text() == "print('hi')\n"


@pytest.mark.parametrize("kind", ["plain-dir", "no-commits", "missing"])
async def test_prepare_local_refuses_what_is_not_a_repository_with_commits(
    tmp_path: Path, workspace: Workspace, kind: str
) -> None:
    path = tmp_path / kind
    if kind != "missing":
        path.mkdir()
    if kind == "no-commits":
        git("init", "-q", str(path))
    with pytest.raises(WorkspaceError, match="not a git repository with commits"):
        await workspace.prepare_local(path, branch="honk/x", job_id="local")
