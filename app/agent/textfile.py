"""Text files for the agent's editor: binary refusal, strict UTF-8, line endings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.core.errors import ToolError

BINARY_PROBE_BYTES = 8192
TEXT_ONLY = "the editor only handles UTF-8 text files."


@dataclass(frozen=True)
class TextFile:
    """A file's UTF-8 text (CRLF shown as `\\n` when used throughout) and its line break."""

    text: str
    newline: str

    @classmethod
    def decode(cls, data: bytes, shown: Path) -> TextFile:
        refuse_binary(data[:BINARY_PROBE_BYTES], shown)
        text = decode_utf8(data, shown)
        crlf = text.count("\r\n")
        if crlf and crlf == text.count("\n"):
            return cls(text.replace("\r\n", "\n"), "\r\n")
        return cls(text, "\n")

    def adopt(self, piece: str) -> str:
        """Bring text written by the model to this file's in-memory line breaks."""
        return piece.replace("\r\n", "\n") if self.newline == "\r\n" else piece

    def encode(self, text: str) -> bytes:
        """The bytes to write for `text`, with this file's line breaks restored."""
        return (text.replace("\n", "\r\n") if self.newline == "\r\n" else text).encode("utf-8")


def refuse_binary(head: bytes, shown: Path) -> None:
    """Raise if the file's first bytes contain a NUL byte."""
    if b"\0" in head:
        raise ToolError(f"The file {shown} looks binary (it has NUL bytes); {TEXT_ONLY}")


def decode_utf8(data: bytes, shown: Path, line: int | None = None) -> str:
    """Decode strict UTF-8, or raise a ToolError that says where it failed."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f"line {line}" if line is not None else f"byte {exc.start}"
        raise ToolError(f"The file {shown} is not valid UTF-8 ({where}); {TEXT_ONLY}") from None


def read_lines(handle: BinaryIO, shown: Path) -> Iterator[str]:
    """The open file's lines without their line breaks, refusing binary or non-UTF-8 content."""
    refuse_binary(handle.read(BINARY_PROBE_BYTES), shown)
    handle.seek(0)
    for number, raw in enumerate(handle, start=1):
        line = decode_utf8(raw, shown, number)
        yield line.removesuffix("\n").removesuffix("\r")


def numbered_rows(
    handle: BinaryIO, shown: Path, lines: tuple[int, int], budget: int
) -> tuple[list[str], int, int | None]:
    """`cat -n` rows for lines start..end (-1: to the end) within `budget` characters.

    Also the file's line count, and the line where the budget ran out (None if it did not).
    """
    (start, end), rows, count, cut_at = lines, [], 0, None
    for count, line in enumerate(read_lines(handle, shown), start=1):
        if count < start or (end != -1 and count > end) or cut_at is not None:
            continue
        row = f"{count:6}\t{line}"
        if len(row) > budget:
            rows.extend([row[:budget]] if budget > 0 else [])
            cut_at = count
            continue
        rows.append(row)
        budget -= len(row) + 1
    return rows, count, cut_at


def split_lines(text: str) -> tuple[list[str], bool]:
    """The lines of `text` (a final `\\n` ends the last line) and whether that `\\n` is there."""
    if not text:
        return [], False
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
        return lines, True
    return lines, False
