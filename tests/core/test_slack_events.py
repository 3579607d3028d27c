"""Slack payloads -> Commands: what is a request, what is not, and the delivery ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.core.commands import Command
from app.core.slack_blocks import ACTION_MERGE
from app.core.slack_events import (
    bot_user_of,
    from_block_action,
    from_direct_message,
    from_home_opened,
    from_mention,
    from_slash_command,
)
from tests.fakes import slack_requests as sr
from tests.fakes.slack_requests import BOT_USER_ID, TEAM_ID

Body = dict[str, Any]


def _without(body: Body, *path: str) -> Body:
    """A copy of `body` with the key at `path` removed."""
    copy: Body = {**body}
    inner = copy
    for key in path[:-1]:
        inner[key] = {**inner[key]}
        inner = inner[key]
    del inner[path[-1]]
    return copy


MENTION = sr.event_callback_payload(sr.app_mention(f"<@{BOT_USER_ID}> hi"), event_id="Ev1")
DM = sr.event_callback_payload(sr.direct_message("hi"), event_id="Ev2")
CLICK = sr.block_actions_payload(ACTION_MERGE, "octo/app#3@abc")

NOTHING: list[tuple[str, Callable[[Body], Command | None], Body]] = [
    ("slash without user", from_slash_command, _without(sr.slash_command_fields("x"), "user_id")),
    ("slash without trigger", from_slash_command,
     _without(sr.slash_command_fields("x"), "trigger_id")),
    ("mention without event id", from_mention, _without(MENTION, "event_id")),
    ("mention without ts", from_mention, _without(MENTION, "event", "ts")),
    ("mention by a bot", from_mention, MENTION | {"event": MENTION["event"] | {"bot_id": "B1"}}),
    ("mention edited", from_mention,
     MENTION | {"event": MENTION["event"] | {"subtype": "message_changed"}}),
    ("home without event id", from_home_opened,
     _without(sr.event_callback_payload(sr.app_home_opened()), "event_id")),
    ("click without actions", from_block_action, CLICK | {"actions": []}),
    ("click without user", from_block_action, _without(CLICK, "user")),
    ("click with a malformed action", from_block_action, CLICK | {"actions": ["x"]}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "to_command", "body"), NOTHING, ids=[c[0] for c in NOTHING])
def test_incomplete_or_foreign_payloads_ask_nothing(
    case: str, to_command: Callable[[Body], Command | None], body: Body
) -> None:
    assert to_command(body) is None


@pytest.mark.parametrize(("bot", "queued"), [(None, True), ("U0OTHER", True), (sr.USER_ID, False)])
def test_a_dm_from_the_bot_user_itself_is_not_a_request(bot: str | None, queued: bool) -> None:
    assert (from_direct_message(DM, bot) is not None) == queued


def test_the_team_falls_back_to_the_event_team() -> None:
    command = from_mention(_without(MENTION, "team_id"))

    assert command is not None and command.slack is not None
    assert command.slack.team == TEAM_ID


def test_a_click_falls_back_to_its_container() -> None:
    command = from_block_action(_without(_without(CLICK, "channel"), "message"))

    assert command is not None and command.slack is not None
    assert (command.slack.channel, command.slack.ts) == (sr.CHANNEL_ID, "1765000001.000001")
    assert command.slack.text == "octo/app#3@abc"


@pytest.mark.parametrize(
    ("body", "bot"),
    [(MENTION, BOT_USER_ID), (_without(MENTION, "authorizations"), None),
     (MENTION | {"authorizations": []}, None)],
)  # fmt: skip
def test_the_bot_user_is_read_from_the_authorizations(body: Body, bot: str | None) -> None:
    assert bot_user_of(body) == bot
