"""The agent's text editor: Anthropic's str_replace_based_edit_tool, confined to one root."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from app.agent.textfile import TextFile, read_lines, split_lines, write_atomically
from app.core.errors import ToolError

TOOL_NAME = "str_replace_based_edit_tool"
COMMANDS = ("view", "create", "str_replace", "insert")
SNIPPET_LINES = 4
LISTING_DEPTH = 2
MAX_REPORTED_MATCHES = 20
REVIEW_NOTE = (
    "Review the changes and make sure they are as expected (correct indentation, "
    "no duplicate lines, etc). Edit the file again if necessary."
)


def numbered(lines: list[str], first: int) -> str:
    """`cat -n` style: the line number right-aligned in 6 columns, a tab, the line."""
    return "\n".join(f"{number:6}\t{line}" for number, line in enumerate(lines, start=first))


def occurrences(text: str, part: str, limit: int) -> list[int]:
    """Start offsets of `part` in `text` (overlapping ones too), at most `limit` of them."""
    found: list[int] = []
    at = text.find(part)
    while at != -1 and len(found) < limit:
        found.append(at)
        at = text.find(part, at + 1)
    return found


def require_str(params: Mapping[str, Any], name: str, command: str) -> str:
    value = params.get(name)
    if not isinstance(value, str):
        raise ToolError(f"Parameter `{name}` (a string) is required for command: {command}")
    return value


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_view_range(value: object) -> tuple[int, int]:
    """(start, end) from `view_range`; (1, -1) when absent; end -1 means to the end."""
    if value is None:
        return 1, -1
    if not (isinstance(value, list | tuple) and len(value) == 2 and all(map(is_int, value))):
        raise ToolError("Invalid `view_range`. It should be a list of two integers.")
    start: int = value[0]
    end: int = value[1]
    if start < 1 or (end != -1 and end < start):
        raise ToolError(
            f"Invalid `view_range`: [{start}, {end}]. Lines are numbered from 1, and its second "
            f"element should be at least its first `{start}`, or -1 for the end of the file."
        )
    return start, end


def check_range_fits(start: int, end: int, count: int) -> None:
    """Raise unless lines start..end exist in a file of `count` lines."""
    if start > max(count, 1) or end > count:
        raise ToolError(
            f"Invalid `view_range`: [{start}, {end}]. The file has {count} lines: the range "
            f"should lie within [1, {count}] (second element -1 for the end of the file)."
        )


class Editor:
    """View, create and edit UTF-8 text files under `root`, refusing paths that leave it."""

    def __init__(
        self, root: Path, *, max_file_bytes: int = 10 * 1024 * 1024, view_chars: int = 30_000
    ) -> None:
        self._shown_root = Path(os.path.abspath(root))
        self._root = root.resolve(strict=True)
        self._max_file_bytes = max_file_bytes
        self._view_chars = view_chars

    def run(self, params: Mapping[str, Any]) -> str:
        """Carry out one tool call and return the observation; ToolError for a bad request."""
        command = params.get("command")
        if command not in COMMANDS:
            raise ToolError(
                f"Unrecognized command {command!r}. The allowed commands for the "
                f"{TOOL_NAME} tool are: {', '.join(COMMANDS)}"
            )
        path = self._resolve(params.get("path"), writing=command != "view")
        try:
            result: str = getattr(self, f"_{command}")(path, params)
            return result
        except OSError as exc:
            reason = exc.strerror or exc
            raise ToolError(f"Could not {command} {self._shown(path)}: {reason}") from None

    def _shown(self, path: Path) -> Path:
        """The path as the agent sees it: under the root as `pwd` shows it."""
        return self._shown_root / path.relative_to(self._root)

    def _resolve(self, raw: object, *, writing: bool) -> Path:
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError(f"Parameter `path` is required: a path under {self._shown_root}.")
        given = Path(raw)
        try:
            resolved = (given if given.is_absolute() else self._shown_root / given).resolve()
        except (OSError, RuntimeError) as exc:
            raise ToolError(f"The path {raw} cannot be resolved: {exc}") from None
        if not resolved.is_relative_to(self._root):
            raise ToolError(
                f"The path {raw} resolves to {resolved}, outside the repository root "
                f"{self._shown_root}. Only files under the root can be viewed or edited."
            )
        if writing and ".git" in resolved.relative_to(self._root).parts:
            raise ToolError(f"The path {raw} is inside git's internals (.git); edit refused.")
        return resolved

    def _stat_file(self, path: Path) -> os.stat_result:
        try:
            info = path.stat()
        except FileNotFoundError:
            raise ToolError(f"The path {self._shown(path)} does not exist.") from None
        if stat.S_ISDIR(info.st_mode):
            raise ToolError(
                f"The path {self._shown(path)} is a directory and only the `view` command "
                "can be used on directories."
            )
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(f"The path {self._shown(path)} is not a regular file.")
        return info

    def _view(self, path: Path, params: Mapping[str, Any]) -> str:
        if path.is_dir():
            if params.get("view_range") is not None:
                raise ToolError("The `view_range` parameter is not allowed for a directory.")
            return self._list_directory(path)
        self._stat_file(path)
        start, end = parse_view_range(params.get("view_range"))
        rows, count, cut_at = self._numbered_rows(path, start, end)
        check_range_fits(start, end, count)
        body = "\n".join(rows) if rows else "(the file is empty)"
        output = f"Here's the result of running `cat -n` on {self._shown(path)}:\n{body}\n"
        if cut_at is not None:
            output += (
                f"[Output cut at {self._view_chars} characters, in line {cut_at} of {count}. "
                "Use `view_range` to see the rest.]\n"
            )
        return output

    def _numbered_rows(self, path: Path, start: int, end: int) -> tuple[list[str], int, int | None]:
        """Numbered rows for lines start..end within the budget, the line count, the cut line."""
        rows: list[str] = []
        budget, count, cut_at = self._view_chars, 0, None
        for count, line in enumerate(read_lines(path, self._shown(path)), start=1):
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

    def _list_directory(self, path: Path) -> str:
        entries = sorted(self._walk(path, LISTING_DEPTH), key=lambda entry: entry.parts)
        shown = self._shown(path)
        listing = "\n".join([str(shown), *(str(shown / entry) for entry in entries)])
        if len(listing) > self._view_chars:
            listing = listing[: self._view_chars] + "\n[Listing cut; view a subdirectory.]"
        return (
            f"Here's the files and directories up to {LISTING_DEPTH} levels deep in {shown}, "
            f"excluding hidden items:\n{listing}\n"
        )

    def _walk(self, directory: Path, depth: int) -> Iterator[Path]:
        """Non-hidden entries relative to `directory`; symlinks are listed, never followed."""
        try:
            with os.scandir(directory) as scan:
                children = [entry for entry in scan if not entry.name.startswith(".")]
        except OSError:
            return
        for entry in children:
            yield Path(entry.name)
            if depth > 1 and entry.is_dir(follow_symlinks=False):
                yield from (entry.name / sub for sub in self._walk(Path(entry.path), depth - 1))

    def _create(self, path: Path, params: Mapping[str, Any]) -> str:
        text = require_str(params, "file_text", "create")
        data = text.encode("utf-8")
        if len(data) > self._max_file_bytes:
            raise ToolError(f"`file_text` is over the limit of {self._max_file_bytes} bytes.")
        if path.exists():
            raise ToolError(
                f"File already exists at: {self._shown(path)}. Cannot overwrite files using "
                "command `create`; use `str_replace` to edit it."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as handle:
            handle.write(data)
        return f"File created successfully at: {self._shown(path)}"

    def _load(self, path: Path) -> tuple[TextFile, int]:
        """The file's text and its permission bits, refusing files too big to edit."""
        info = self._stat_file(path)
        if info.st_size > self._max_file_bytes:
            raise ToolError(
                f"The file {self._shown(path)} is {info.st_size} bytes, over the editor's limit of "
                f"{self._max_file_bytes} bytes for edits; use bash (e.g. sed) to change it."
            )
        return TextFile.decode(path.read_bytes(), self._shown(path)), stat.S_IMODE(info.st_mode)

    def _str_replace(self, path: Path, params: Mapping[str, Any]) -> str:
        old = require_str(params, "old_str", "str_replace")
        new = params.get("new_str")
        if new is not None and not isinstance(new, str):
            raise ToolError("Parameter `new_str` must be a string (leave it out to delete).")
        if not old:
            raise ToolError("Parameter `old_str` must not be empty; `insert` adds new lines.")
        file, mode = self._load(path)
        old, new = file.adopt(old), file.adopt(new or "")
        found = occurrences(file.text, old, MAX_REPORTED_MATCHES + 1)
        if len(found) != 1:
            raise ToolError(self._no_single_match(path, file.text, old, found))
        text = file.text[: found[0]] + new + file.text[found[0] + len(old) :]
        write_atomically(path, file.encode(text), mode)
        first = text.count("\n", 0, found[0])
        last = text.count("\n", 0, found[0] + max(len(new) - 1, 0))
        start = max(0, first - SNIPPET_LINES)
        lines = split_lines(text)[0][start : last + SNIPPET_LINES + 1]
        return self._edited(path, lines, start + 1)

    def _no_single_match(self, path: Path, text: str, old: str, found: list[int]) -> str:
        shown = self._shown(path)
        if found:
            lines = list(dict.fromkeys(text.count("\n", 0, at) + 1 for at in found))
            many = f"more than {MAX_REPORTED_MATCHES}" if len(found) > MAX_REPORTED_MATCHES else ""
            return (
                f"No replacement was performed. Multiple occurrences ({many or len(found)}) of "
                f"old_str in {shown}, in lines {lines}. Include more surrounding lines in "
                "old_str so that it matches exactly once."
            )
        message = (
            f"No replacement was performed: old_str did not appear verbatim in {shown}. "
            "It must match exactly, including whitespace, indentation (tabs or spaces) and "
            "line breaks; view the file and copy the text."
        )
        if " ".join(old.split()) in " ".join(text.split()):
            message += " A passage matching it apart from whitespace exists in the file."
        return message

    def _insert(self, path: Path, params: Mapping[str, Any]) -> str:
        at = params.get("insert_line")
        if not isinstance(at, int) or isinstance(at, bool):
            raise ToolError("Parameter `insert_line` (an integer) is required for command: insert")
        piece = params.get("insert_text", params.get("new_str"))
        if not isinstance(piece, str):
            raise ToolError(
                "Parameter `insert_text` (a string) is required for command: insert "
                "(`new_str` is accepted too)."
            )
        file, mode = self._load(path)
        lines, ends_with_newline = split_lines(file.text)
        if not 0 <= at <= len(lines):
            raise ToolError(
                f"Invalid `insert_line` parameter: {at}. It should be within the range of lines "
                f"of the file: [0, {len(lines)}] (0 inserts at the top)."
            )
        added, piece_ends_with_newline = split_lines(file.adopt(piece))
        added = added or [""]
        result = lines[:at] + added + lines[at:]
        final = "\n" if ends_with_newline or (not lines and piece_ends_with_newline) else ""
        write_atomically(path, file.encode("\n".join(result) + final), mode)
        start = max(0, at - SNIPPET_LINES)
        return self._edited(path, result[start : at + len(added) + SNIPPET_LINES], start + 1)

    def _edited(self, path: Path, lines: list[str], first: int) -> str:
        shown = self._shown(path)
        return (
            f"The file {shown} has been edited. Here's the result of running `cat -n` on a "
            f"snippet of {shown}:\n{numbered(lines, first)}\n{REVIEW_NOTE}"
        )
