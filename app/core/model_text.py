"""The model's text on its way to GitHub: secrets redacted, code fenced, within GitHub's limit.

The PR body and review replies are written by the model, which read tool output that may hold
anything: a secret there is redacted (`ghp_…(redacted)`, the same patterns as the push guards)
rather than posted, a code block's fence is longer than any backtick run inside it so the text
cannot close it, and a body never exceeds the 65,536 characters GitHub accepts.
"""

from __future__ import annotations

import re

from app.core.guards import find_secrets
from app.core.markdown import defuse

GITHUB_BODY_LIMIT = 65536  # characters in an issue, PR or comment body
CUT_NOTE = "\n\n…(cut to fit GitHub's limit)"
_BACKTICKS = re.compile(r"`+")


def redact_secrets(text: str) -> str:
    """`text` with every secret the guards know replaced by its prefix and `…(redacted)`."""
    spans = sorted((m.start(), m.end(), m["prefix"]) for _, _, m in find_secrets(text))
    out, at = [], 0
    for start, end, prefix in spans:
        if start < at:  # overlaps a secret already redacted
            continue
        out += [text[at:start], f"{prefix}…(redacted)"]
        at = end
    return "".join([*out, text[at:]])


def fence(text: str, info: str = "") -> str:
    """`text` as a fenced code block that nothing inside it can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    bar = "`" * max(3, longest + 1)
    return f"{bar}{info}\n{text}\n{bar}"


def outbound(text: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """Model (or tool) text for a GitHub body: secrets redacted, markers defused, capped."""
    return cap(defuse(redact_secrets(text)), limit)


def cap(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, saying so when it was cut."""
    if len(text) <= limit:
        return text
    if limit < len(CUT_NOTE):
        return text[: max(0, limit)]
    return text[: limit - len(CUT_NOTE)] + CUT_NOTE


def cut_note(cut: int) -> str:
    """The note that replaces the middle of a long output."""
    return f"\n\n[... {cut} characters cut from the middle of this output ...]\n\n"


def truncate_middle(text: str, limit: int) -> tuple[str, bool]:
    """Keep the head and the tail of `text` within `limit` characters, noting what was cut;
    and whether anything was."""
    if len(text) <= limit:
        return text, False
    keep = max(limit // 2, 1)
    return text[:keep] + cut_note(len(text) - 2 * keep) + text[-keep:], True


def head_tail(text: str, limit: int) -> str:
    """`text` within `limit` characters: its head and its tail, saying how much was cut."""
    return truncate_middle(text, limit)[0]
