"""Putting hidden tests in place: beneath the worktree only, and a failure fails the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.agent.beneath import Outside
from app.core.config import Settings
from app.core.errors import ToolError
from app.eval.hidden import remove_beneath, run_hidden, write_beneath
from app.eval.repos import task_tree
from app.eval.suite_run import eval_workspace
from app.eval.task import BuiltinRepo, EvalTask, HiddenTests
from app.sandbox.sandbox import Sandbox


def test_files_are_written_created_and_replaced_beneath_the_root(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("weakened\n")
    write_beneath(root, "tests/test_a.py", b"real\n")
    write_beneath(root, "deep/new/test_b.py", b"new\n")
    assert (root / "tests" / "test_a.py").read_text() == "real\n"
    assert (root / "deep" / "new" / "test_b.py").read_text() == "new\n"
    remove_beneath(root, "deep/new/test_b.py")
    remove_beneath(root, "never/there.py")
    assert not (root / "deep" / "new" / "test_b.py").exists()


def test_a_link_the_agent_left_never_leads_outside(tmp_path: Path) -> None:
    root, outside = tmp_path / "tree", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    os.symlink(outside, root / "tests")
    with pytest.raises(Outside):
        write_beneath(root, "tests/test_a.py", b"x")
    assert list(outside.iterdir()) == []
    (root / "dir.py").mkdir()
    with pytest.raises(ToolError, match="not a regular file"):
        write_beneath(root, "dir.py", b"x")


async def test_a_failure_to_put_the_tests_in_place_fails_the_run(
    settings: Settings, tmp_path: Path
) -> None:
    hidden = HiddenTests("echo never run", patch="not a diff\n")
    task = EvalTask("t", "T", "B", BuiltinRepo("acme/x", {"a.py": "1\n"}), hidden)
    async with task_tree(eval_workspace(settings), task, None, "job-hidden") as where:
        done = await run_hidden(Sandbox("none"), where.tree, hidden, env={}, binds=[], seconds=5)
    assert not done.tests.passed
    assert done.tests.output == (
        "the hidden tests could not be put in place: the test patch names no file"
    )
