"""Slack request payloads -> Commands: slash commands, events and button clicks (pure mapping).

Each function takes the decoded body bolt hands a listener and returns the Command to queue, or
None when the request asks nothing of Honk (a channel message without a mention, a bot's own
message, an unknown button). The delivery ids make Slack's retries of one request one job.
"""

from __future__ import annotations

from typing import Any

from app.core.commands import Command, JobKind, SlackOrigin
from app.core.slack_blocks import (
    ACTION_APPROVE,
    ACTION_MERGE,
    ACTION_READY,
    ACTION_RETRY,
    ACTION_STOP,
)

HONK_ACTIONS = frozenset({ACTION_STOP, ACTION_RETRY, ACTION_READY, ACTION_APPROVE, ACTION_MERGE})
Body = dict[str, Any]


def from_slash_command(body: Body) -> Command | None:
    """`/honk TEXT`: a request; its status message starts the thread."""
    user, channel, trigger = (
        _text(body, "user_id"),
        _text(body, "channel_id"),
        body.get("trigger_id"),
    )
    if not user or not channel or not trigger:
        return None
    origin = SlackOrigin(
        team=_text(body, "team_id"),
        channel=channel,
        user=user,
        text=_text(body, "text"),
        is_dm=channel.startswith("D"),
    )
    return _command("slack_request", user, f"slack:command:{trigger}", origin)


def from_mention(body: Body) -> Command | None:
    """An `app_mention` event: a request (or a follow-up in a job's thread)."""
    event = _event(body)
    if not _from_a_person(event, bot_user_id=None):
        return None
    return _message_command(body, event)


def from_direct_message(body: Body, bot_user_id: str | None) -> Command | None:
    """A `message` event: only a person's own message in an IM with Honk is a request."""
    event = _event(body)
    if event.get("channel_type") != "im" or not _from_a_person(event, bot_user_id):
        return None
    return _message_command(body, event)


def from_home_opened(body: Body) -> Command | None:
    """`app_home_opened` on the Home tab: the person's Home is (re)drawn by a job."""
    event = _event(body)
    user, event_id = _text(event, "user"), body.get("event_id")
    if event.get("tab") != "home" or not user or not event_id:
        return None
    origin = SlackOrigin(
        team=_team(body), channel=_text(event, "channel"), user=user, text="", action="home"
    )
    return _command("slack_request", user, f"slack:{event_id}", origin)


def from_block_action(body: Body) -> Command | None:
    """A click on one of Honk's buttons (Stop, Retry, Ready, Approve, Merge); others: None."""
    actions = body.get("actions") or []
    action = actions[0] if actions and isinstance(actions[0], dict) else {}
    action_id, trigger = _text(action, "action_id"), body.get("trigger_id")
    user = _text(_dict(body.get("user")), "id")
    if action_id not in HONK_ACTIONS or not user or not trigger:
        return None
    container, message = _dict(body.get("container")), _dict(body.get("message"))
    channel = _text(_dict(body.get("channel")), "id") or _text(container, "channel_id")
    origin = SlackOrigin(
        team=_text(_dict(body.get("team")), "id") or _text(_dict(body.get("user")), "team_id"),
        channel=channel,
        user=user,
        ts=_text(message, "ts") or _text(container, "message_ts") or None,
        thread_ts=_text(message, "thread_ts") or _text(container, "thread_ts") or None,
        text=_text(action, "value"),
        action=action_id,
        is_dm=channel.startswith("D"),
    )
    return _command("slack_action", user, f"slack:action:{trigger}:{action_id}", origin)


def bot_user_of(body: Body) -> str | None:
    """The bot user id Slack names in the event's `authorizations` (None when absent)."""
    authorizations = body.get("authorizations") or []
    first = authorizations[0] if authorizations and isinstance(authorizations[0], dict) else {}
    return _text(first, "user_id") or None


def _message_command(body: Body, event: Body) -> Command | None:
    user, channel, ts, event_id = (
        _text(event, "user"),
        _text(event, "channel"),
        _text(event, "ts"),
        body.get("event_id"),
    )
    if not user or not channel or not ts or not event_id:
        return None
    origin = SlackOrigin(
        team=_team(body),
        channel=channel,
        user=user,
        ts=ts,
        thread_ts=_text(event, "thread_ts") or None,
        text=_text(event, "text"),
        is_dm=event.get("channel_type") == "im" or channel.startswith("D"),
    )
    return _command("slack_request", user, f"slack:{event_id}", origin)


def _from_a_person(event: Body, bot_user_id: str | None) -> bool:
    """Not an edit, join or other subtype, not a bot's, not Honk's own."""
    if event.get("subtype") or event.get("bot_id") or event.get("bot_profile"):
        return False
    user = _text(event, "user")
    return bool(user) and user != bot_user_id


def _command(kind: JobKind, user: str, delivery_id: str, origin: SlackOrigin) -> Command:
    return Command(
        kind=kind,
        repo="",
        number=None,
        installation_id=None,
        sender=user,
        delivery_id=delivery_id,
        slack=origin,
    )


def _event(body: Body) -> Body:
    return _dict(body.get("event"))


def _team(body: Body) -> str:
    event = _event(body)
    return _text(body, "team_id") or _text(event, "team") or _text(event, "user_team")


def _dict(value: object) -> Body:
    return value if isinstance(value, dict) else {}


def _text(data: Body, key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""
