"""Agent test fixtures: a repository root under tmp_path, an editor on it, file helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.agent.editor import Editor
from app.core.errors import ToolError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    return repo


@pytest.fixture
def editor(root: Path) -> Editor:
    return Editor(root)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def refused(editor: Editor, params: dict[str, Any]) -> str:
    with pytest.raises(ToolError) as caught:
        editor.run(params)
    return str(caught.value)
