"""Honk's Markdown pieces: the hidden marker, escaping others' text, phone-sized figures.

A marker is the first line of every comment and PR body Honk writes:
`<!-- honk:KIND key=value ... -->` (values percent-encoded). `find_marker` only reads a marker at
the very start of a body, and user-supplied text (titles, notes, model output) has its HTML
comment delimiters escaped by `defuse`, so such text can neither forge a marker nor hide what
follows it. A marker says what a comment is, not who wrote it: callers also check the author.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_MARKER = re.compile(r"\A\s*<!-- honk:([a-z][a-z0-9_-]*)((?: [a-z][a-z0-9_-]*=\S*)*) -->")
_ATTR = re.compile(r" ([a-z][a-z0-9_-]*)=(\S*)")


def marker(kind: str, **attrs: str | int | None) -> str:
    """`<!-- honk:KIND key=value ... -->`; None values are left out, values percent-encoded."""
    names = [kind, *attrs]
    if not all(_NAME.fullmatch(name) for name in names):
        raise ValueError(f"marker kind and keys must match {_NAME.pattern}: {names}")
    pairs = "".join(
        f" {key}={quote(str(value), safe='')}" for key, value in attrs.items() if value is not None
    )
    return f"<!-- honk:{kind}{pairs} -->"


def find_marker(body: str | None) -> dict[str, str] | None:
    """The marker leading `body` as `{"kind": KIND, key: value, ...}`, or None when none leads."""
    match = _MARKER.match(body or "")
    if match is None:
        return None
    found = {"kind": match.group(1)}
    found.update((key, unquote(value)) for key, value in _ATTR.findall(match.group(2)))
    return found


def defuse(text: str) -> str:
    """User or model text with HTML comment delimiters escaped: it renders the same."""
    return text.replace("<!--", "&lt;!--").replace("-->", "--&gt;")


def code(text: str) -> str:
    """`text` as inline code on one line (backticks in it become quotes)."""
    return "`" + defuse(" ".join(text.replace("`", "'").split())) + "`"


def block_quote(text: str) -> str:
    """Others' text as a Markdown block quote that shows it as written: HTML and marker
    delimiters escaped, and no `@name` in it mentions anyone."""
    shown = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    shown = re.sub(r"@(?=[A-Za-z0-9])", "@\u2060", shown)
    lines = shown.replace("\r\n", "\n").strip().split("\n")
    return "\n".join(f"> {line}".rstrip() for line in lines)


def login(login: str) -> str:
    """A GitHub login, or "" when `login` is not one (so it cannot inject Markdown)."""
    return login if re.fullmatch(r"[A-Za-z0-9-]{1,39}(\[bot\])?", login) else ""


def money(usd: float) -> str:
    return f"${usd:.2f}"


def duration(seconds: float) -> str:
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def count(tokens: int) -> str:
    if tokens >= 1_000_000:
        return f"{tokens / 1_000_000:.1f}M"
    return f"{tokens / 1000:.1f}k" if tokens >= 1000 else str(tokens)
