"""The built-in suite ships as data files: at least 12 tasks, three languages, every kind."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.eval.builtin import builtin_suite, parse_builtin
from app.eval.task import BuiltinRepo

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_suite_has_enough_tasks_languages_and_kinds() -> None:
    tasks = builtin_suite().tasks
    assert len(tasks) >= 12
    assert set(Counter(task.language for task in tasks)) == {"python", "javascript", "c"}
    assert {"bug", "feature", "refactor", "misleading"} <= {task.kind for task in tasks}
    assert len({task.instance_id for task in tasks}) == len(tasks)


@pytest.mark.parametrize("task", builtin_suite().tasks, ids=lambda task: task.instance_id)
def test_each_task_is_complete(task: Any) -> None:
    assert isinstance(task.repo, BuiltinRepo)
    assert re.search(r"^test: \S", task.repo.files[".github/honk.yml"], re.MULTILINE)
    assert task.patch.startswith("diff --git a/")
    assert task.hidden.files and task.hidden.command
    assert not set(task.hidden.files) & set(task.repo.files)  # never in the agent's tree
    assert task.instance_id not in task.repo.name and "misleading" not in task.body.lower()


def test_the_readme_lists_every_builtin_task() -> None:
    text = README.read_text()
    for task in builtin_suite().tasks:
        assert f"| `{task.instance_id}` | {task.language} | {task.kind} |" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "`title` must be non-empty text"),
        ({"repo": "nope"}, "`repo` must look like owner/name"),
        ({"hidden": None}, r"`\[hidden\]` is missing"),
        ({"files": {"../x": "y"}}, "must be a relative path"),
        ({"files": {".git/config": "y"}}, "must be a relative path"),
    ],
)
def test_a_malformed_task_file_is_refused(change: dict[str, Any], message: str) -> None:
    good: dict[str, Any] = {
        "id": "t", "language": "python", "kind": "bug", "repo": "acme/x", "title": "T",
        "body": "B", "patch": "diff --git a/x b/x\n", "files": {"x": "1\n"},
        "hidden": {"command": "true", "files": {"h": "2\n"}},
    }  # fmt: skip
    assert parse_builtin(good).instance_id == "t"
    with pytest.raises(ValueError, match=message):
        parse_builtin({**good, **change})
