"""Text files: line endings, UTF-8, final newlines, file modes and binary refusal."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from app.agent.editor import Editor
from app.agent.textfile import TextFile, read_lines, split_lines
from app.core.errors import ToolError
from tests.agent.conftest import refused, write

# --- line endings, unicode, final newline, file mode (through the editor) ------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"command": "str_replace", "old_str": "one\ntwo", "new_str": "uno\ndos\ntres"},
            b"uno\r\ndos\r\ntres\r\nthree\r\n",
        ),
        (
            {"command": "str_replace", "old_str": "one\r\ntwo", "new_str": "uno\r\ndos"},
            b"uno\r\ndos\r\nthree\r\n",
        ),
        ({"command": "str_replace", "old_str": "two\n"}, b"one\r\nthree\r\n"),
        (
            {"command": "insert", "insert_line": 1, "insert_text": "x\ny"},
            b"one\r\nx\r\ny\r\ntwo\r\nthree\r\n",
        ),
        (
            {"command": "insert", "insert_line": 3, "insert_text": "end\n"},
            b"one\r\ntwo\r\nthree\r\nend\r\n",
        ),
    ],
)
def test_crlf_files_stay_crlf(
    editor: Editor, root: Path, params: dict[str, Any], expected: bytes
) -> None:
    target = write(root / "win.txt", b"one\r\ntwo\r\nthree\r\n")
    editor.run({**params, "path": "win.txt"})
    assert target.read_bytes() == expected


def test_view_of_crlf_file_shows_lines_without_carriage_returns(editor: Editor, root: Path) -> None:
    write(root / "win.txt", b"one\r\ntwo\r\n")
    output = editor.run({"command": "view", "path": "win.txt"})
    assert "     1\tone\n     2\ttwo\n" in output
    assert "\r" not in output


def test_unicode_around_the_edit_survives_byte_for_byte(editor: Editor, root: Path) -> None:
    before = "héllo wörld 日本語\nπ = 3.14 🎉\nend ✓ ß\n"
    target = write(root / "u.txt", before.encode())
    output = editor.run(
        {"command": "str_replace", "path": "u.txt", "old_str": "π = 3.14", "new_str": "τ ≈ 6.28"}
    )
    assert target.read_bytes() == "héllo wörld 日本語\nτ ≈ 6.28 🎉\nend ✓ ß\n".encode()
    assert "     2\tτ ≈ 6.28 🎉" in output


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"command": "str_replace", "old_str": "b", "new_str": "B"}, "a\nB"),
        ({"command": "insert", "insert_line": 2, "insert_text": "c"}, "a\nb\nc"),
        ({"command": "insert", "insert_line": 0, "insert_text": "z"}, "z\na\nb"),
        ({"command": "insert", "insert_line": 1, "insert_text": "m\n"}, "a\nm\nb"),
    ],
)
def test_no_trailing_newline_stays_without(
    editor: Editor, root: Path, params: dict[str, Any], expected: str
) -> None:
    target = write(root / "n.txt", b"a\nb")
    editor.run({**params, "path": "n.txt"})
    assert target.read_text() == expected


def test_edit_keeps_the_file_mode(editor: Editor, root: Path) -> None:
    target = write(root / "run.sh", b"#!/bin/sh\necho hi\n")
    target.chmod(0o754)
    editor.run({"command": "str_replace", "path": "run.sh", "old_str": "hi", "new_str": "ho"})
    assert stat.S_IMODE(target.stat().st_mode) == 0o754
    assert target.read_text() == "#!/bin/sh\necho ho\n"
    assert sorted(p.name for p in root.iterdir()) == ["run.sh"]


# --- binary files --------------------------------------------------------------------------

BINARIES = {
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "binary"),
    "nul": (b"text before\x00text after\n", "binary"),
    "png-signature-only": (b"\x89PNG\r\n\x1a\n", "not valid UTF-8"),
    "latin-1": (b"caf\xe9 au lait\n", "not valid UTF-8"),
}


@pytest.mark.parametrize("kind", sorted(BINARIES))
@pytest.mark.parametrize(
    "params",
    [
        {"command": "view"},
        {"command": "view", "view_range": [1, 1]},
        {"command": "str_replace", "old_str": "text", "new_str": "t"},
        {"command": "insert", "insert_line": 0, "insert_text": "x"},
    ],
)
def test_binary_files_are_refused(
    editor: Editor, root: Path, kind: str, params: dict[str, Any]
) -> None:
    data, reason = BINARIES[kind]
    target = write(root / "blob.bin", data)
    assert reason in refused(editor, {**params, "path": "blob.bin"})
    assert target.read_bytes() == data


# --- the functions themselves --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text", "newline"),
    [
        (b"a\r\nb\r\n", "a\nb\n", "\r\n"),
        (b"a\r\nb\n", "a\r\nb\n", "\n"),
        (b"a\nb", "a\nb", "\n"),
        (b"", "", "\n"),
    ],
)
def test_decode_uses_crlf_only_when_every_line_break_is_crlf(
    data: bytes, text: str, newline: str
) -> None:
    file = TextFile.decode(data, Path("f.txt"))
    assert (file.text, file.newline) == (text, newline)
    assert file.encode(file.text) == data


@pytest.mark.parametrize(
    ("text", "lines", "final_newline"),
    [
        ("", [], False),
        ("a", ["a"], False),
        ("a\n", ["a"], True),
        ("a\n\nb\n", ["a", "", "b"], True),
    ],
)
def test_split_lines_reports_the_final_newline(
    text: str, lines: list[str], final_newline: bool
) -> None:
    assert split_lines(text) == (lines, final_newline)


def test_read_lines_strips_line_breaks_and_names_the_bad_line(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", b"one\r\ntwo\nthree")
    with good.open("rb") as handle:
        assert list(read_lines(handle, Path("shown.txt"))) == ["one", "two", "three"]
    bad = write(tmp_path / "bad.txt", b"ok\ncaf\xe9\n")
    with bad.open("rb") as handle, pytest.raises(ToolError, match=r"\(line 2\)"):
        list(read_lines(handle, Path("shown.txt")))
