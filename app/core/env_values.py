"""Reading one setting's text: each parser returns the value or raises ValueError saying why."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, cast

SandboxMode = Literal["auto", "bwrap", "bwrap-full", "none"]


def non_empty(raw: str) -> str:
    return raw


def positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(f"must be a positive integer, got {raw!r}")
    return value


def non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"must be 0 or more, got {raw!r}")
    return value


def integer(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"must be an integer, got {raw!r}") from None


def positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"must be a number, got {raw!r}") from None
    if not value > 0:
        raise ValueError(f"must be greater than 0, got {raw!r}")
    return value


def port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError(f"must be a port from 1 to 65535, got {raw!r}")
    return value


def url(raw: str) -> str:
    if not re.match(r"^https?://[^\s/]+", raw):
        raise ValueError(f"must be an http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def api_version(raw: str) -> str:
    """A calendar version of GitHub's REST API, e.g. 2022-11-28."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise ValueError(f"must be an API version like 2022-11-28, got {raw!r}")
    return raw


def email(raw: str) -> str:
    if not re.fullmatch(r"[^\s@<>]+@[^\s@<>]+", raw):
        raise ValueError(f"must be an email address, got {raw!r}")
    return raw


def database_url(raw: str) -> str:
    if not raw.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    return raw


def sandbox_mode(raw: str) -> SandboxMode:
    if raw in ("auto", "bwrap", "bwrap-full", "none"):
        return cast(SandboxMode, raw)
    raise ValueError(f"must be auto, bwrap, bwrap-full or none, got {raw!r}")


def branch_prefix(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", raw) or ".." in raw:
        raise ValueError(f"must be a valid git branch prefix, got {raw!r}")
    return raw


def log_level(raw: str) -> str:
    level = raw.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(f"must be DEBUG, INFO, WARNING or ERROR, got {raw!r}")
    return level


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a `.env` file: KEY=VALUE lines, `#` comments, optional quotes (multi-line in "")."""
    try:
        text = path.read_text()
    except OSError:
        return {}
    values: dict[str, str] = {}
    pattern = re.compile(
        r'^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^\n#]*)',
        re.MULTILINE,
    )
    for match in pattern.finditer(text):
        key, value = match.group(1), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def logins(raw: str) -> tuple[str, ...]:
    """Comma-separated GitHub logins, lower-cased (GitHub logins are case-insensitive)."""
    found = tuple(part.strip().lstrip("@").lower() for part in raw.split(",") if part.strip())
    bad = [login for login in found if not re.fullmatch(r"[a-z0-9](?:-?[a-z0-9]){0,38}", login)]
    if bad:
        raise ValueError(f"not GitHub logins: {', '.join(bad)}")
    return found
