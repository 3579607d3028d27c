"""SWE-bench's instance format, one JSON object per line, read into a suite.

Each line: `instance_id`, `repo` ("owner/name"), `base_commit`, `problem_statement`,
`test_patch`, `FAIL_TO_PASS` and `PASS_TO_PASS` (each a JSON list of test ids, or a string
holding one, as in the public dataset), and `patch` (the reference fix, used only by the
oracle model). Honk's extension: `test_cmd`, the hidden test command, when the default
`python3 -m pytest -q -rA <FAIL_TO_PASS + PASS_TO_PASS>` does not suit the repository.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.core.errors import ConfigError
from app.eval.task import REPO_NAME, EvalTask, HiddenTests, LocalRepo, Suite, title_of

REQUIRED = ("instance_id", "repo", "base_commit", "problem_statement", "test_patch")
TEST_LISTS = ("FAIL_TO_PASS", "PASS_TO_PASS")
COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")
DEFAULT_TEST_COMMAND = "python3 -m pytest -q -rA"


def load_swebench(path: Path) -> Suite:
    """The tasks of a JSONL file; ConfigError naming the file (and line) when unusable."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the suite {path}: {_why(exc)}") from None
    tasks: list[EvalTask] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            task = parse_instance(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        except ValueError as exc:
            raise ConfigError(f"{path}:{number}: {exc}") from None
        if task.instance_id in seen:
            raise ConfigError(f"{path}:{number}: instance_id {task.instance_id!r} is repeated")
        seen.add(task.instance_id)
        tasks.append(task)
    if not tasks:
        raise ConfigError(f"the suite {path} holds no task")
    return Suite(str(path), tuple(tasks))


def parse_instance(data: object) -> EvalTask:
    """One instance; ValueError saying which field is missing or malformed."""
    if not isinstance(data, dict):
        raise ValueError("each line must be a JSON object")
    text = {key: _text(data, key) for key in REQUIRED}
    if not REPO_NAME.fullmatch(text["repo"]) or ".." in text["repo"]:
        raise ValueError(f"`repo` must look like owner/name, not {text['repo']!r}")
    if not COMMIT.fullmatch(text["base_commit"]):
        raise ValueError("`base_commit` must be a commit id (hexadecimal)")
    ids = [test for key in TEST_LISTS for test in listed_tests(data.get(key), key)]
    command = data.get("test_cmd")
    if command is not None and (not isinstance(command, str) or not command.strip()):
        raise ValueError("`test_cmd` must be non-empty text when given")
    if command is None and not ids:
        raise ValueError("no hidden tests: FAIL_TO_PASS and PASS_TO_PASS are empty")
    patch = data.get("patch", "")
    if not isinstance(patch, str):
        raise ValueError("`patch` must be text")
    return EvalTask(
        instance_id=text["instance_id"],
        title=title_of(text["problem_statement"]),
        body=text["problem_statement"],
        repo=LocalRepo(text["repo"], text["base_commit"]),
        hidden=HiddenTests(command or default_command(ids), patch=text["test_patch"]),
        patch=patch,
    )


def listed_tests(value: object, key: str) -> list[str]:
    """A list of test ids: a JSON list, or a string holding one (the public dataset's form)."""
    if value is None:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            raise ValueError(f"`{key}` is a string but not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"`{key}` must be a list of test ids")
    return list(value)


def default_command(ids: list[str]) -> str:
    """pytest on the instance's tests, quoted for bash."""
    return " ".join([DEFAULT_TEST_COMMAND, *(shlex.quote(test) for test in ids)])


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{key}` is missing or not text")
    return value


def _why(exc: OSError | UnicodeDecodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return exc.strerror or str(exc)
