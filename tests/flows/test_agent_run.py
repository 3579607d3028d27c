"""app/flows/agent_run.py: the repository's instruction files are read beneath the worktree only."""

from __future__ import annotations

from pathlib import Path

from app.flows.agent_run import MAX_INSTRUCTION_CHARS, read_instructions


def test_instruction_files_are_read_with_a_cap(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / "AGENTS.md").write_text("use tabs\n")
    (tmp_path / ".github" / "copilot-instructions.md").write_text("x" * (MAX_INSTRUCTION_CHARS + 5))
    found = read_instructions(tmp_path)
    assert found["AGENTS.md"] == "use tabs\n"
    assert len(found[".github/copilot-instructions.md"]) == MAX_INSTRUCTION_CHARS
    assert "CLAUDE.md" not in found


def test_a_symlinked_directory_cannot_lead_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "copilot-instructions.md").write_text("CANARY from outside the worktree")
    (outside / "AGENTS.md").write_text("CANARY too")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".github").symlink_to(outside)  # committed in the repository as a symlink
    (tree / "CLAUDE.md").symlink_to(outside / "AGENTS.md")
    assert read_instructions(tree) == {}


def test_a_link_that_stays_inside_is_followed(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "agents.md").write_text("inside")
    (tmp_path / "AGENTS.md").symlink_to("docs/agents.md")
    assert read_instructions(tmp_path) == {"AGENTS.md": "inside"}


def test_a_fifo_or_directory_is_skipped(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "AGENTS.md")
    (tmp_path / "CLAUDE.md").mkdir()
    assert read_instructions(tmp_path) == {}
