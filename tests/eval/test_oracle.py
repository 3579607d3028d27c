"""The oracle model: editor calls that reproduce the reference fix, then it ends its turns."""

from __future__ import annotations

from typing import Any

from app.eval.oracle import OracleModel
from app.eval.patched import PatchedFile

EDIT = "str_replace_based_edit_tool"
FILES = [
    PatchedFile(
        "calc.py", "def add(a, b):\n    return a - b\n", "def add(a, b):\n    return a + b\n"
    ),
    PatchedFile("new.py", None, "X = 1\n"),
    PatchedFile("gone.py", "old\n", None),
    PatchedFile("empty.txt", "", "now text\n"),
    PatchedFile("it's.py", "a\n", None),
]


def tool_calls(content: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(b["name"], b["input"]) for b in content if b["type"] == "tool_use"]


async def test_the_first_turn_edits_through_the_editor_then_every_turn_ends() -> None:
    oracle = OracleModel(FILES)
    first = await oracle.complete(system="s", messages=[], tools=[])
    assert first.stop_reason == "tool_use" and first.cost_usd == 0.0
    assert tool_calls(first.content) == [
        ("str_replace_based_edit_tool", {"command": "view", "path": "calc.py"}),
        ("str_replace_based_edit_tool", {
            "command": "str_replace", "path": "calc.py",
            "old_str": FILES[0].before, "new_str": FILES[0].after,
        }),
        (EDIT, {"command": "create", "path": "new.py", "file_text": "X = 1\n"}),
        ("bash", {"command": "rm -f -- gone.py"}),
        ("bash", {"command": "rm -f -- empty.txt"}),
        ("str_replace_based_edit_tool", {
            "command": "create", "path": "empty.txt", "file_text": "now text\n",
        }),
        ("bash", {"command": "rm -f -- 'it'\"'\"'s.py'"}),
    ]  # fmt: skip
    ids = [b["id"] for b in first.content if b["type"] == "tool_use"]
    assert len(set(ids)) == len(ids)
    for _ in range(3):  # the review and failing tests handed back: it just ends its turn
        later = await oracle.complete(system="s", messages=[], tools=[])
        assert later.stop_reason == "end_turn"
        assert later.content[0]["text"].startswith("Apply the reference fix")
        assert later.usage.total_tokens == 0


async def test_a_fix_that_changes_nothing_just_ends() -> None:
    turn = await OracleModel([]).complete(system="s", messages=[], tools=[])
    assert turn.stop_reason == "end_turn"
