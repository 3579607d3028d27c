"""The agent's text editor: Anthropic's str_replace_based_edit_tool, confined to one root.

The editor runs on the host while the agent's bash may rename anything in the worktree, so every
file operation goes through descriptors opened beneath the root without following a link that
could be swapped (app/agent/beneath.py); symlinks that stay inside the root are still followed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from app.agent import beneath
from app.agent.beneath import Outside, Place
from app.agent.textfile import TextFile, numbered_rows, split_lines
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
        place = self._locate(params.get("path"), writing=command != "view")
        try:
            result: str = getattr(self, f"_{command}")(place, params)
            return result
        except OSError as exc:
            reason = exc.strerror or exc
            raise ToolError(f"Could not {command} {self._shown(place)}: {reason}") from None
        finally:
            place.close()

    def _shown(self, place: Place) -> Path:
        """The path as the agent sees it: under the root as `pwd` shows it."""
        return self._shown_root.joinpath(*place.parts)

    def _locate(self, raw: object, *, writing: bool) -> Place:
        if not isinstance(raw, str) or not raw.strip():
            raise ToolError(f"Parameter `path` is required: a path under {self._shown_root}.")
        try:
            place = beneath.locate(self._root, self._relative(PurePosixPath(raw)), self._shown_root)
        except Outside as exc:
            raise ToolError(
                f"The path {raw} resolves to {exc.where}, outside the repository root "
                f"{self._shown_root}. Only files under the root can be viewed or edited."
            ) from None
        except OSError as exc:
            raise ToolError(f"The path {raw} cannot be resolved: {exc.strerror or exc}") from None
        if writing and ".git" in place.parts:
            place.close()
            raise ToolError(f"The path {raw} is inside git's internals (.git); edit refused.")
        return place

    def _relative(self, given: PurePosixPath) -> PurePosixPath:
        """`given` relative to the root; an absolute path must name the root (either spelling)."""
        if not given.is_absolute():
            return given
        for root in (self._shown_root, self._root):
            if given.is_relative_to(root):
                return given.relative_to(root)
        raise Outside(os.path.normpath(given))

    def _open_regular(self, place: Place) -> tuple[int, os.stat_result]:
        """A read descriptor of the regular file at `place`, and its status."""
        kind = beneath.kind(place)
        if kind is None:
            raise ToolError(f"The path {self._shown(place)} does not exist.")
        if kind == stat.S_IFDIR:
            raise ToolError(
                f"The path {self._shown(place)} is a directory and only the `view` command "
                "can be used on directories."
            )
        if kind == stat.S_IFREG:
            fd = beneath.open_file(place)
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode):
                return fd, info
            os.close(fd)  # swapped since: refused like any other non-regular file
        raise ToolError(f"The path {self._shown(place)} is not a regular file.")

    def _view(self, place: Place, params: Mapping[str, Any]) -> str:
        if beneath.kind(place) == stat.S_IFDIR:
            if params.get("view_range") is not None:
                raise ToolError("The `view_range` parameter is not allowed for a directory.")
            return self._list_directory(place)
        fd, _info = self._open_regular(place)
        start, end = parse_view_range(params.get("view_range"))
        with os.fdopen(fd, "rb") as handle:
            rows, count, cut_at = numbered_rows(
                handle, self._shown(place), (start, end), self._view_chars
            )
        check_range_fits(start, end, count)
        body = "\n".join(rows) if rows else "(the file is empty)"
        output = f"Here's the result of running `cat -n` on {self._shown(place)}:\n{body}\n"
        if cut_at is not None:
            output += (
                f"[Output cut at {self._view_chars} characters, in line {cut_at} of {count}. "
                "Use `view_range` to see the rest.]\n"
            )
        return output

    def _list_directory(self, place: Place) -> str:
        fd = beneath.open_listing(place)
        try:
            entries = sorted(beneath.scan(fd, LISTING_DEPTH), key=lambda entry: entry.parts)
        finally:
            os.close(fd)
        shown = self._shown(place)
        listing = "\n".join([str(shown), *(str(shown / entry) for entry in entries)])
        if len(listing) > self._view_chars:
            listing = listing[: self._view_chars] + "\n[Listing cut; view a subdirectory.]"
        return (
            f"Here's the files and directories up to {LISTING_DEPTH} levels deep in {shown}, "
            f"excluding hidden items:\n{listing}\n"
        )

    def _create(self, place: Place, params: Mapping[str, Any]) -> str:
        text = require_str(params, "file_text", "create")
        data = text.encode("utf-8")
        if len(data) > self._max_file_bytes:
            raise ToolError(f"`file_text` is over the limit of {self._max_file_bytes} bytes.")
        if beneath.kind(place) is not None:
            raise ToolError(
                f"File already exists at: {self._shown(place)}. Cannot overwrite files using "
                "command `create`; use `str_replace` to edit it."
            )
        beneath.create_file(place, data)
        return f"File created successfully at: {self._shown(place)}"

    def _load(self, place: Place) -> tuple[TextFile, int]:
        """The file's text and its permission bits, refusing files too big to edit."""
        fd, info = self._open_regular(place)
        with os.fdopen(fd, "rb") as handle:
            if info.st_size > self._max_file_bytes:
                raise ToolError(
                    f"The file {self._shown(place)} is {info.st_size} bytes, over the editor's "
                    f"limit of {self._max_file_bytes} bytes for edits; use bash (e.g. sed) to "
                    "change it."
                )
            data = handle.read(self._max_file_bytes + 1)
        return TextFile.decode(data, self._shown(place)), stat.S_IMODE(info.st_mode)

    def _str_replace(self, place: Place, params: Mapping[str, Any]) -> str:
        old = require_str(params, "old_str", "str_replace")
        new = params.get("new_str")
        if new is not None and not isinstance(new, str):
            raise ToolError("Parameter `new_str` must be a string (leave it out to delete).")
        if not old:
            raise ToolError("Parameter `old_str` must not be empty; `insert` adds new lines.")
        file, mode = self._load(place)
        old, new = file.adopt(old), file.adopt(new or "")
        found = occurrences(file.text, old, MAX_REPORTED_MATCHES + 1)
        if len(found) != 1:
            raise ToolError(self._no_single_match(place, file.text, old, found))
        text = file.text[: found[0]] + new + file.text[found[0] + len(old) :]
        beneath.replace_file(place, file.encode(text), mode)
        first = text.count("\n", 0, found[0])
        last = text.count("\n", 0, found[0] + max(len(new) - 1, 0))
        start = max(0, first - SNIPPET_LINES)
        lines = split_lines(text)[0][start : last + SNIPPET_LINES + 1]
        return self._edited(place, lines, start + 1)

    def _no_single_match(self, place: Place, text: str, old: str, found: list[int]) -> str:
        shown = self._shown(place)
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

    def _insert(self, place: Place, params: Mapping[str, Any]) -> str:
        at = params.get("insert_line")
        if not isinstance(at, int) or isinstance(at, bool):
            raise ToolError("Parameter `insert_line` (an integer) is required for command: insert")
        piece = params.get("insert_text", params.get("new_str"))
        if not isinstance(piece, str):
            raise ToolError(
                "Parameter `insert_text` (a string) is required for command: insert "
                "(`new_str` is accepted too)."
            )
        file, mode = self._load(place)
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
        beneath.replace_file(place, file.encode("\n".join(result) + final), mode)
        start = max(0, at - SNIPPET_LINES)
        return self._edited(place, result[start : at + len(added) + SNIPPET_LINES], start + 1)

    def _edited(self, place: Place, lines: list[str], first: int) -> str:
        shown = self._shown(place)
        return (
            f"The file {shown} has been edited. Here's the result of running `cat -n` on a "
            f"snippet of {shown}:\n{numbered(lines, first)}\n{REVIEW_NOTE}"
        )
