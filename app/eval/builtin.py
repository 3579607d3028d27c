"""The built-in suite: one TOML file per task in `app/eval/builtin/`, shipped with Honk.

Each file holds the task's `id`, `language`, `kind`, `repo` (the name the agent sees),
`title` and `body` (the issue), `patch` (the reference fix, a unified diff), `[files]` (the
repository, `.github/honk.yml` with its visible `test:` command included) and `[hidden]`
(`command` and `[hidden.files]`, written over the tree after the agent).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from app.core.errors import ConfigError
from app.eval.task import REPO_NAME, BuiltinRepo, EvalTask, HiddenTests, Suite, safe_relative_path

BUILTIN_DIR = "builtin"
TEXT_KEYS = ("id", "language", "kind", "repo", "title", "body", "patch")


def builtin_suite() -> Suite:
    """Every built-in task, ordered by id."""
    folder = resources.files(__package__ or "app.eval").joinpath(BUILTIN_DIR)
    files = sorted(
        (item for item in folder.iterdir() if item.name.endswith(".toml")), key=lambda f: f.name
    )
    tasks = tuple(_load(item) for item in files)
    if not tasks:
        raise ConfigError(f"no built-in eval tasks found in {folder}")
    return Suite("builtin", tasks)


def _load(item: Traversable) -> EvalTask:
    try:
        return parse_builtin(tomllib.loads(item.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(f"built-in eval task {item.name}: {exc}") from None


def parse_builtin(data: Mapping[str, Any]) -> EvalTask:
    """A task from a parsed TOML document; ValueError naming what is wrong."""
    text = {key: _text(data, key) for key in TEXT_KEYS}
    hidden = data.get("hidden")
    if not isinstance(hidden, dict):
        raise ValueError("`[hidden]` is missing")
    if not REPO_NAME.fullmatch(text["repo"]):
        raise ValueError("`repo` must look like owner/name")
    return EvalTask(
        instance_id=text["id"],
        title=text["title"],
        body=text["body"],
        repo=BuiltinRepo(text["repo"], _files(data.get("files"), "files")),
        hidden=HiddenTests(_text(hidden, "command"), _files(hidden.get("files"), "hidden.files")),
        patch=text["patch"],
        language=text["language"],
        kind=text["kind"],
    )


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{key}` must be non-empty text")
    return value


def _files(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"`[{where}]` must map paths to file contents")
    for path, content in value.items():
        if not safe_relative_path(path) or not isinstance(content, str):
            raise ValueError(f"`[{where}]`: {path!r} must be a relative path to text")
    return dict(value)
