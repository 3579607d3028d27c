"""What one eval task is: the repository it starts from, the issue, hidden tests, the fix."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

REPO_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class BuiltinRepo:
    """A repository made on the fly: these files, one commit."""

    name: str  # shown to the agent as the repository's name ("owner/name")
    files: Mapping[str, str]


@dataclass(frozen=True)
class LocalRepo:
    """A clone the user has at `--repos DIR/OWNER/NAME`, checked out at `base_commit`."""

    name: str  # "owner/name"
    base_commit: str


@dataclass(frozen=True)
class HiddenTests:
    """The tests that decide whether a task is solved, put in place only after the agent.

    Built-in tasks write `files` over the tree; SWE-bench tasks apply `patch` (the
    instance's `test_patch`) once the files it touches are back at the base commit.
    """

    command: str
    files: Mapping[str, str] = field(default_factory=dict)
    patch: str = ""


@dataclass(frozen=True)
class EvalTask:
    """One task of a suite; `patch` is the reference fix, read only by the oracle model."""

    instance_id: str
    title: str
    body: str
    repo: BuiltinRepo | LocalRepo
    hidden: HiddenTests
    patch: str = ""
    language: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Suite:
    """A named list of tasks (`builtin`, or the JSONL file's path)."""

    name: str
    tasks: tuple[EvalTask, ...]


def safe_relative_path(path: str) -> bool:
    """Whether `path` stays inside a repository: relative, no `..`, not into `.git`."""
    parts = PurePosixPath(path).parts
    return bool(parts) and not path.startswith("/") and ".." not in parts and ".git" not in parts


def title_of(statement: str) -> str:
    """An issue title from a problem statement: its first non-blank line, cut to 200."""
    lines = [line.strip() for line in statement.splitlines() if line.strip()]
    return (lines[0] if lines else "(no title)")[:200]
