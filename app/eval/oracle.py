"""The oracle model (`--model oracle`): applies the task's reference fix through the tools.

It validates a suite without the Messages API: its first turn edits the tree into the fixed
state through the same editor the real model uses (`view` then a `str_replace` of the whole
old text; `create` for a new file, since `create` never overwrites; `bash rm` for a deleted
one), and every later turn (the review of its diff, failing tests handed back) just ends
its turn with the summary. It costs nothing and reports no tokens.
"""

from __future__ import annotations

import itertools
import shlex
from collections.abc import Sequence
from typing import Any

from app.agent.editor import TOOL_NAME as EDITOR
from app.agent.model import ModelTurn, Usage
from app.agent.tools import BASH_TOOL
from app.eval.patched import PatchedFile, patched_files
from app.workspace.worktree import Worktree

ORACLE = "oracle"
Block = dict[str, Any]


class OracleModel:
    """A ModelLike whose answers apply `files` (from the reference fix), then end the turn."""

    def __init__(self, files: Sequence[PatchedFile]) -> None:
        self.files = list(files)
        self._ids = itertools.count(1)
        self._edited = False

    @classmethod
    async def prepare(cls, tree: Worktree, patch: str) -> OracleModel:
        """The oracle for `patch` on `tree` (at its base commit)."""
        return cls(await patched_files(tree, patch))

    async def complete(
        self, *, system: str, messages: list[Block], tools: list[Block]
    ) -> ModelTurn:
        if not self._edited:
            self._edited = True
            calls = [call for file in self.files for call in self._edit(file)]
            if calls:
                intro = {"type": "text", "text": "Applying the reference fix."}
                return ModelTurn([intro, *calls], "tool_use", Usage(), 0.0, None)
        return ModelTurn([{"type": "text", "text": self.summary()}], "end_turn", Usage(), 0.0, None)

    def summary(self) -> str:
        """The oracle's summary: what the reference fix changed."""
        names = ", ".join(f"`{file.path}`" for file in self.files) or "nothing"
        return f"Apply the reference fix\n\nThe task's reference fix changes {names}."

    def _edit(self, file: PatchedFile) -> list[Block]:
        if file.after is None:
            return [self._bash(f"rm -f -- {shlex.quote(file.path)}")]
        if file.before is None:
            return [self._editor(command="create", path=file.path, file_text=file.after)]
        if not file.before:  # an empty file: nothing for `str_replace` to match
            return [
                self._bash(f"rm -f -- {shlex.quote(file.path)}"),
                self._editor(command="create", path=file.path, file_text=file.after),
            ]
        return [
            self._editor(command="view", path=file.path),
            self._editor(
                command="str_replace", path=file.path, old_str=file.before, new_str=file.after
            ),
        ]

    def _bash(self, command: str) -> Block:
        return self._call(BASH_TOOL, {"command": command})

    def _editor(self, **params: str) -> Block:
        return self._call(EDITOR, dict(params))

    def _call(self, name: str, tool_input: Block) -> Block:
        return {
            "type": "tool_use",
            "id": f"toolu_oracle_{next(self._ids)}",
            "name": name,
            "input": tool_input,
        }
