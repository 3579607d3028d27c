"""The paths a unified diff in git's format touches, read from its headers.

`git apply --numstat` names only the new side of a rename, so the headers are read here:
`diff --git a/X b/X`, `--- a/X`, `+++ b/Y`, `rename from/to`, `copy from/to`, with git's
C-style quoting of unusual names undone. Hunk bodies are skipped by their line counts, so a
removed line that happens to read `--- a/...` is not taken for a header.
"""

from __future__ import annotations

import re

HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
NAMED = ("rename from ", "rename to ", "copy from ", "copy to ")
ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def touched_paths(patch: str) -> list[str]:
    """Every path `patch` reads or writes (both sides of a rename), in order, once each."""
    found: list[str] = []
    old_left = new_left = 0
    for line in patch.splitlines():
        if old_left > 0 or new_left > 0:
            tag = line[:1]
            old_left -= tag in (" ", "", "-")
            new_left -= tag in (" ", "", "+")
            continue
        hunk = HUNK.match(line)
        if hunk:
            old_left, new_left = (int(count or 1) for count in hunk.groups())
            continue
        found.extend(_header_paths(line))
    return list(dict.fromkeys(found))


def _header_paths(line: str) -> list[str]:
    for prefix in NAMED:
        if line.startswith(prefix):
            return [unquote(line[len(prefix) :])]
    if line.startswith(("--- ", "+++ ")):
        name = unquote(line[4:].rstrip("\t"))
        return [name[2:]] if name.startswith(("a/", "b/")) else []
    if line.startswith("diff --git "):
        return _git_header(line[len("diff --git ") :])
    return []


def _git_header(rest: str) -> list[str]:
    """`a/X b/X` (same name on both sides: it cannot be split otherwise), quoted or not."""
    if rest.startswith('"'):
        first, _, second = rest.partition('" ')
        names = [unquote(first + '"'), unquote(second)]
        return [name[2:] for name in names if name.startswith(("a/", "b/"))]
    size = (len(rest) - 5) // 2
    name = rest[2 : 2 + size]
    return [name] if rest == f"a/{name} b/{name}" else []


def unquote(name: str) -> str:
    """A path as git writes it: `"..."` with C escapes (octal bytes of UTF-8), or plain."""
    if not (len(name) >= 2 and name.startswith('"') and name.endswith('"')):
        return name
    body, data, at = name[1:-1], bytearray(), 0
    while at < len(body):
        char = body[at]
        if char == "\\" and body[at + 1 : at + 4].isdigit():
            data.append(int(body[at + 1 : at + 4], 8))
            at += 4
        elif char == "\\" and body[at + 1 : at + 2] in ESCAPES:
            data.append(ESCAPES[body[at + 1]])
            at += 2
        else:
            data.extend(char.encode("utf-8"))
            at += 1
    return data.decode("utf-8", "replace")
