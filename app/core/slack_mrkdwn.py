"""Slack mrkdwn and Block Kit pieces: others' text made harmless, links, buttons, limits.

Every piece of text Honk did not write itself (a task, notes, a check name, the model's words)
goes through `safe`: secrets are redacted with the guards' patterns, then `&`, `<` and `>` are
escaped as Slack asks, so `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^S1>`, `<@U1>` and
`<#C1>` cannot be formed and notify nobody; a bare `@channel`/`@here`/`@everyone` gets a word
joiner after the `@` so no client setting turns it into one.

Phone-sized: Honk's own lines stay within `PHONE_LINE` visible characters (a link counts as its
label) when the names in them are of usual length (a repository of up to 40 characters); names
and titles from elsewhere are cut with `short`. Block Kit is plain dicts within Slack's limits:
`SECTION_LIMIT` characters per section text, `BUTTON_TEXT_LIMIT` per button label,
`BUTTON_VALUE_LIMIT` per button value, `MAX_BLOCKS` blocks per message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.model_text import cap, redact_secrets

PHONE_LINE = 72
SECTION_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MAX_BLOCKS = 50  # Slack allows 50 in a message (100 in a modal); Honk never needs more
FALLBACK_LIMIT = 4000  # the `text` of a message: what a notification shows
WORD_JOINER = "\u2060"
Block = dict[str, Any]
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>|\"]+")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_LINK = re.compile(r"<(?:https?://|@|#|!)[^<>|]*(?:\|([^<>]*))?>")


@dataclass(frozen=True)
class SlackMessage:
    """A message as `chat.postMessage`/`chat.update` take it: fallback `text` and `blocks`."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def safe(text: str) -> str:
    """Text Honk did not write, for mrkdwn: secrets redacted, nothing in it can notify anyone."""
    escaped = redact_secrets(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), escaped)


def short(text: str, limit: int = 60) -> str:
    """`text` on one line, cut to `limit` characters with `…`; made `safe`.

    Secrets are redacted before the cut, so a cut cannot leave a secret's head unrecognised.
    """
    flat = " ".join(redact_secrets(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return safe(flat)


def link(url: str | None, label: str) -> str:
    """`<url|label>` when `url` is a plain http(s) URL; otherwise the label alone (made safe).

    `&` in the URL is written `&amp;`, as Slack writes it in the links it sends.
    """
    text = safe(label).replace("|", "¦")
    if url is None or not _URL.fullmatch(url):
        return text
    return f"<{url.replace('&', '&amp;')}|{text}>"


def mention(user_id: str | None) -> str:
    """`<@U…>` for a real Slack user id; "" for anything else, so nothing can be injected."""
    return f"<@{user_id}>" if user_id and _USER_ID.fullmatch(user_id) else ""


def visible(mrkdwn: str) -> str:
    """What a reader sees of Honk's mrkdwn: links as their labels, entities decoded."""
    shown = _LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(0)[1:-1], mrkdwn)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def section(text: str) -> Block:
    """A mrkdwn section, its text within Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": cap(text, SECTION_LIMIT)}}


def context(text: str) -> Block:
    """A small grey line under a section."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cap(text, SECTION_LIMIT)}]}


def button(
    label: str,
    action_id: str,
    value: str,
    style: Literal["primary", "danger"] | None = None,
    confirm: str | None = None,
) -> Block:
    """A button element; `confirm` asks before acting."""
    if len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"a button value holds at most {BUTTON_VALUE_LIMIT} characters")
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": cap(label, BUTTON_TEXT_LIMIT)},
        "action_id": action_id,
        "value": value,
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = {
            "title": {"type": "plain_text", "text": cap(label, 100)},
            "text": {"type": "mrkdwn", "text": cap(confirm, 300)},
            "confirm": {"type": "plain_text", "text": cap(label, 30)},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    return element


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """A row of buttons."""
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def message(lines: list[str], *extra: Block) -> SlackMessage:
    """A message of one section holding `lines` (empty ones dropped), then `extra` blocks.

    The fallback `text` is the same mrkdwn (still escaped), so it cannot notify either.
    """
    text = "\n".join(line for line in lines if line)
    blocks = [section(text), *extra][:MAX_BLOCKS]
    return SlackMessage(cap(text, FALLBACK_LIMIT), blocks)
