"""The reference fix's files, computed by `git apply` on a scratch copy of the base commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings
from app.core.errors import WorkspaceError
from app.eval.patched import PatchedFile, patched_files
from app.eval.repos import task_tree
from app.eval.suite_run import eval_workspace
from app.eval.task import BuiltinRepo, EvalTask, HiddenTests
from tests.eval.test_swebench import diff_of

BASE = {"a.py": "A = 1\n", "b.py": "B = 1\n", "old/name.py": "N = 1\n", "empty": ""}


async def test_each_changed_file_before_and_after(settings: Settings, tmp_path: Path) -> None:
    changes: dict[str, str | None] = {
        "a.py": "A = 2\n", "b.py": None, "c.py": "C = 1\n", "empty": "filled\n",
        "old/name.py": None, "new/name.py": "N = 1\n",
    }  # fmt: skip
    patch = diff_of(tmp_path / "diff", BASE, changes)
    assert "rename from old/name.py" in patch
    task = EvalTask("t", "T", "B", BuiltinRepo("acme/x", BASE), HiddenTests("true"), patch)
    async with task_tree(eval_workspace(settings), task, None, "job-patched") as where:
        (where.tree.path / "a.py").write_text("the agent's worktree is not read\n")
        found = {file.path: file for file in await patched_files(where.tree, patch)}
        with pytest.raises(WorkspaceError, match="does not apply at the base"):
            await patched_files(where.tree, patch.replace("-A = 1", "-A = 9"))
    assert found == {
        "a.py": PatchedFile("a.py", "A = 1\n", "A = 2\n"),
        "b.py": PatchedFile("b.py", "B = 1\n", None),
        "c.py": PatchedFile("c.py", None, "C = 1\n"),
        "empty": PatchedFile("empty", "", "filled\n"),
        "old/name.py": PatchedFile("old/name.py", "N = 1\n", None),
        "new/name.py": PatchedFile("new/name.py", None, "N = 1\n"),
    }
