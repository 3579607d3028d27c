"""Pre-push guards: what a change must never carry (workflow edits, secrets, sheer size).

`check_change` reads the change's paths, its unified diff (`git diff` output with the default
`a/` `b/` prefixes; quoted paths are understood), and what git counted before any content was
read (`FileChange`: binary or not, the new blob's bytes), and returns every violation:

- `workflow_change`: a path under `.github/workflows/` or `.github/actions/`, or any
  `action.yml`/`action.yaml` (local actions run inside workflows with their permissions and
  secrets, so they count as workflow code), unless the repository allows it. Paths come from
  `changed_paths` and from the diff itself (both sides of a rename), compared case-insensitively.
- a secret in an ADDED line, or anywhere in a binary file the change adds or modifies (its
  content is given, decoded, in `binaries`): `private_key` (any `-----BEGIN ... PRIVATE
  KEY-----` header, PGP's `PRIVATE KEY BLOCK` too), `github_token` (`ghp_` `gho_` `ghu_` `ghs_`
  `ghr_` + 36 or more characters, `github_pat_`), `anthropic_key` (`sk-ant-`),
  `aws_access_key_id` (`AKIA`/`ASIA` + 16), `aws_secret_access_key` (40 characters after a
  `aws_secret_access_key`-like label), `slack_token` (`xoxb-` `xoxa-` `xoxp-` `xoxr-` `xoxs-`,
  and the app-level `xapp-`).
  Hunk line counts are followed, so an added line that itself starts with `++` is still read as
  added, and the new-file line number is exact.
- `too_many_files`, `diff_too_large` (the text diff's bytes plus every binary file's bytes) and
  `binary_too_large` (one binary file over `MAX_BINARY_BYTES`, never read).

A violation never holds the secret: only its rule, its non-secret prefix and where it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

LineKind = Literal["header", "added", "removed", "context", "note"]
_HUNK_LINE_KINDS: dict[str, LineKind] = {
    "+": "added",
    "-": "removed",
    " ": "context",
    "": "context",
    "\\": "note",
}

WORKFLOW_DIRS = (".github/workflows/", ".github/actions/")
ACTION_FILES = frozenset({"action.yml", "action.yaml"})
MAX_BINARY_BYTES = 1024 * 1024  # a binary file over this is refused unread
HUNK_HEADER = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
SECRET_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("private_key", "private key", re.compile(
        r"(?P<prefix>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)")),
    ("github_token", "GitHub token", re.compile(
        r"(?<![A-Za-z0-9_])(?P<prefix>gh[pousr]_)[A-Za-z0-9]{36,}(?![A-Za-z0-9_])")),
    ("github_token", "GitHub token", re.compile(
        r"(?<![A-Za-z0-9_])(?P<prefix>github_pat_)[A-Za-z0-9_]{22,}")),
    ("anthropic_key", "Anthropic API key", re.compile(
        r"(?<![A-Za-z0-9_-])(?P<prefix>sk-ant-)[A-Za-z0-9_-]{20,}")),
    ("aws_access_key_id", "AWS access key id", re.compile(
        r"(?<![A-Za-z0-9])(?P<prefix>AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")),
    ("aws_secret_access_key", "AWS secret access key", re.compile(
        r"(?i)(?P<prefix>(?:aws_?)?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")),
    ("slack_token", "Slack token", re.compile(
        r"(?<![A-Za-z0-9])(?P<prefix>xox[baprs]-|xapp-)[A-Za-z0-9-]{10,}")),
)  # fmt: skip


@dataclass(frozen=True)
class Violation:
    """One reason not to push: the rule, the path ("" for the whole change), a safe detail."""

    rule: str
    path: str
    detail: str
    line: int | None = None


@dataclass(frozen=True)
class FileChange:
    """One changed file as git counts it before its content is read."""

    path: str
    binary: bool
    new_bytes: int  # the new blob's size; 0 when the file was deleted
    sha: str = ""  # the new blob; "" when the file was deleted


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff: its kind, the new-side path of its file, its new-file line number."""

    kind: LineKind
    path: str
    number: int
    text: str


def check_change(
    changed_paths: Sequence[str],
    diff: str,
    *,
    allow_workflow_changes: bool,
    max_changed_files: int,
    max_diff_bytes: int,
    files: Sequence[FileChange] = (),
    binaries: Mapping[str, str] | None = None,
    diff_bytes: int | None = None,
) -> list[Violation]:
    """Every reason not to push this change; [] when it may be pushed.

    `diff_bytes` is the text diff's full size when `diff` holds only its head (a bounded read).
    """
    sections = diff_paths(diff)
    violations = [] if allow_workflow_changes else workflow_violations([*changed_paths, *sections])
    violations += secret_violations(diff)
    violations += binary_violations(files, binaries or {})
    count = max(
        len(set(changed_paths)), diff.count("\ndiff --git ") + diff.startswith("diff --git ")
    )
    if count > max_changed_files:
        noun = "file" if count == 1 else "files"
        detail = f"the change touches {count} {noun}; the limit is {max_changed_files}"
        violations.append(Violation("too_many_files", "", detail))
    text_bytes = len(diff.encode("utf-8", "surrogateescape")) if diff_bytes is None else diff_bytes
    size = text_bytes + sum(f.new_bytes for f in files if f.binary)
    if size > max_diff_bytes:
        detail = f"the diff is {size:,} bytes; the limit is {max_diff_bytes:,}"
        violations.append(Violation("diff_too_large", "", detail))
    return violations


def workflow_violations(paths: Sequence[str]) -> list[Violation]:
    """One violation per distinct path under a workflow directory."""
    hits = sorted({p for p in paths if _under_workflow_dir(p)})
    detail = (
        "changes to workflow files are not allowed (allow_workflow_changes in .github/honk.yml)"
    )
    return [Violation("workflow_change", path, detail) for path in hits]


def _under_workflow_dir(path: str) -> bool:
    """A workflow directory itself or anything in it, or an action file (any letter case)."""
    lowered = path.lower().strip("/")
    return (lowered + "/").startswith(WORKFLOW_DIRS) or lowered.rsplit("/", 1)[-1] in ACTION_FILES


def binary_violations(files: Sequence[FileChange], binaries: Mapping[str, str]) -> list[Violation]:
    """Binary files over `MAX_BINARY_BYTES`, and secrets anywhere in the binaries given."""
    found = []
    for change in (f for f in files if f.binary and f.new_bytes > MAX_BINARY_BYTES):
        detail = f"a binary file of {change.new_bytes:,} bytes; the limit is {MAX_BINARY_BYTES:,}"
        found.append(Violation("binary_too_large", change.path, detail))
    for path, text in binaries.items():
        for rule, what, match in find_secrets(text):
            detail = f"{what} in a binary file: {match['prefix']}…(redacted)"
            found.append(Violation(rule, path, detail))
    return found


def find_secrets(text: str) -> Iterator[tuple[str, str, re.Match[str]]]:
    """(rule, what it is, the match) for every secret in `text`."""
    for rule, what, pattern in SECRET_PATTERNS:
        for match in pattern.finditer(text):
            yield rule, what, match


def secret_violations(diff: str) -> list[Violation]:
    """One violation per secret found in an added line, with a redacted form of it."""
    found = []
    for added in (line for line in diff_lines(diff) if line.kind == "added"):
        for rule, what, match in find_secrets(added.text):
            detail = f"{what} added at line {added.number}: {match['prefix']}…(redacted)"
            found.append(Violation(rule, added.path, detail, added.number))
    return found


def diff_lines(diff: str) -> Iterator[DiffLine]:
    """Classify a unified diff's lines, following hunk counts so content is never a header."""
    path, number, old_left, new_left = "", 0, 0, 0
    for line in diff.split("\n"):
        kind = _HUNK_LINE_KINDS.get(line[:1]) if old_left > 0 or new_left > 0 else None
        if kind is not None:
            yield DiffLine(kind, path, number if kind != "removed" else 0, line[1:])
            number += kind in ("added", "context")
            new_left -= kind in ("added", "context")
            old_left -= kind in ("removed", "context")
            continue
        old_left = new_left = 0
        if header := HUNK_HEADER.match(line):
            old_left, number, new_left = int(header[1] or 1), int(header[2]), int(header[3] or 1)
            continue
        if line.startswith("+++ "):
            path = _strip_prefix(_unquote(line[4:].rstrip("\t")), "b/")
        yield DiffLine("header", path, 0, line)


def diff_paths(diff: str) -> list[str]:
    """Every path a diff names on either side: file headers, renames and copies."""
    paths = []
    for line in (d.text for d in diff_lines(diff) if d.kind == "header"):
        for marker, prefix in (("--- ", "a/"), ("+++ ", "b/")):
            if line.startswith(marker) and line != marker + "/dev/null":
                paths.append(_strip_prefix(_unquote(line[4:].rstrip("\t")), prefix))
        for marker in ("rename from ", "rename to ", "copy from ", "copy to "):
            if line.startswith(marker):
                paths.append(_unquote(line[len(marker) :]))
        if line.startswith("diff --git "):
            paths += _git_header_paths(line[len("diff --git ") :])
    return paths


def _git_header_paths(rest: str) -> list[str]:
    """Both paths of `diff --git a/X b/Y` when they can be told apart (quoted, or X == Y)."""
    if rest.startswith('"'):
        parts = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', rest)
        return [
            _strip_prefix(_unquote(p), side) for p, side in zip(parts, ("a/", "b/"), strict=False)
        ]
    half = (len(rest) - 5) // 2
    name = rest[2 : 2 + half]
    return [name] if rest == f"a/{name} b/{name}" else []


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _unquote(text: str) -> str:
    """A path as git prints it: C-quoted with octal bytes when it has unusual characters."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    escapes = {"n": b"\n", "t": b"\t", '"': b'"', "\\": b"\\", "a": b"\a", "b": b"\b"}
    escapes |= {"f": b"\f", "r": b"\r", "v": b"\v"}
    out, body, index = bytearray(), text[1:-1], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and re.match(r"[0-7]{3}", body[index + 1 : index + 4]):
            out.append(int(body[index + 1 : index + 4], 8))
            index += 4
        elif char == "\\" and index + 1 < len(body):
            out += escapes.get(body[index + 1], body[index + 1].encode())
            index += 2
        else:
            out += char.encode()
            index += 1
    return out.decode("utf-8", "replace")


def describe(violations: Sequence[Violation]) -> str:
    """A short Markdown explanation for the comment Honk posts instead of pushing."""
    if not violations:
        return "Honk found nothing that blocks the push."
    lines = ["Honk did not push: the change breaks these rules.", ""]
    for violation in violations:
        where = f" in `{_markdown_safe(violation.path)}`" if violation.path else ""
        lines.append(f"- **{violation.rule}**{where}: {_markdown_safe(violation.detail)}")
    return "\n".join(lines)


def _markdown_safe(text: str) -> str:
    return text.replace("`", "'").replace("<", "&lt;").replace("\n", " ")
