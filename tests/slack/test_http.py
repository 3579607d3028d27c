"""`POST /slack/events` (HTTP mode): real bolt behind Honk's route, signed requests like Slack's."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from app.core.commands import Command, JobKind, SlackOrigin
from app.core.slack_blocks import (
    ACTION_APPROVE,
    ACTION_MERGE,
    ACTION_READY,
    ACTION_RETRY,
    ACTION_STOP,
)
from app.core.slack_events import HONK_ACTIONS
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import (
    BOT_USER_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    SignedRequest,
)
from tests.slack.conftest import Honk, serve, slack_settings

STALE = int(time.time()) - 6 * 60


def _command(kind: JobKind, delivery_id: str, origin: SlackOrigin) -> Command:
    return Command(kind, "", None, None, USER_ID, delivery_id, slack=origin)


def test_every_honk_action_is_known() -> None:
    assert {ACTION_STOP, ACTION_RETRY, ACTION_READY, ACTION_APPROVE, ACTION_MERGE} == HONK_ACTIONS


# -- each request type becomes the right Command --------------------------------------------------

SLASH_CASES = [("octo/app fix the crash", CHANNEL_ID), ("jobs", DM_CHANNEL_ID), ("", CHANNEL_ID)]


@pytest.mark.parametrize(("text", "channel"), SLASH_CASES)
async def test_a_slash_command_is_queued_then_acked(honk: Honk, text: str, channel: str) -> None:
    request = sr.slash_command(text, channel_id=channel)
    trigger = sr_field(request, "trigger_id")

    response = await honk.post(request)

    assert response.status_code == 200
    origin = SlackOrigin(TEAM_ID, channel, USER_ID, text=text, is_dm=channel.startswith("D"))
    assert [job.command for job in await honk.jobs()] == [
        _command("slack_request", f"slack:command:{trigger}", origin)
    ]


MESSAGE_CASES = [
    # (event, the SlackOrigin expected)
    (
        sr.app_mention(f"<@{BOT_USER_ID}> octo/app add dark mode", ts="1765000100.000100"),
        SlackOrigin(TEAM_ID, CHANNEL_ID, USER_ID, "1765000100.000100", None,
                    f"<@{BOT_USER_ID}> octo/app add dark mode"),
    ),
    (
        sr.app_mention(f"<@{BOT_USER_ID}> also the footer", ts="1765000200.000200",
                       thread_ts="1765000100.000100"),
        SlackOrigin(TEAM_ID, CHANNEL_ID, USER_ID, "1765000200.000200", "1765000100.000100",
                    f"<@{BOT_USER_ID}> also the footer"),
    ),
    (
        sr.direct_message("fix the login page", ts="1765000300.000300"),
        SlackOrigin(TEAM_ID, DM_CHANNEL_ID, USER_ID, "1765000300.000300", None,
                    "fix the login page", is_dm=True),
    ),
    (
        sr.direct_message("and the header", ts="1765000400.000400", thread_ts="1765000300.000300"),
        SlackOrigin(TEAM_ID, DM_CHANNEL_ID, USER_ID, "1765000400.000400", "1765000300.000300",
                    "and the header", is_dm=True),
    ),
    (
        sr.app_home_opened(),
        SlackOrigin(TEAM_ID, DM_CHANNEL_ID, USER_ID, text="", action="home"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("event", "origin"), MESSAGE_CASES)
async def test_an_event_is_queued_under_its_event_id(
    honk: Honk, event: dict[str, object], origin: SlackOrigin
) -> None:
    response = await honk.post(sr.event_callback(event, event_id="Ev0MENTION1"))

    assert response.status_code == 200
    assert [job.command for job in await honk.jobs()] == [
        _command("slack_request", "slack:Ev0MENTION1", origin)
    ]


@pytest.mark.parametrize("action_id", sorted(HONK_ACTIONS))
@pytest.mark.parametrize(
    ("channel", "thread_ts"), [(CHANNEL_ID, "1765000001.000009"), (DM_CHANNEL_ID, "")]
)
async def test_a_click_on_a_honk_button_is_queued(
    honk: Honk, action_id: str, channel: str, thread_ts: str
) -> None:
    request = sr.block_actions(
        action_id, "42", channel_id=channel, message_ts="1765000002.000002", thread_ts=thread_ts
    )
    trigger = json.loads(sr_field(request, "payload"))["trigger_id"]

    response = await honk.post(request)

    assert response.status_code == 200
    origin = SlackOrigin(
        TEAM_ID, channel, USER_ID, "1765000002.000002", thread_ts or None, "42",
        action=action_id, is_dm=channel.startswith("D"),
    )  # fmt: skip
    assert [job.command for job in await honk.jobs()] == [
        _command("slack_action", f"slack:action:{trigger}:{action_id}", origin)
    ]
    assert (await honk.jobs())[0].kind == "slack_action"


# -- what is acked and ignored ---------------------------------------------------------------------

IGNORED: dict[str, Callable[[], SignedRequest]] = {  # signed when sent, never stale
    "a channel message without a mention": lambda: sr.event_callback(
        sr.direct_message("lunch?", channel=CHANNEL_ID) | {"channel_type": "channel"}
    ),
    "the bot's own DM": lambda: sr.event_callback(sr.direct_message("done", user=BOT_USER_ID)),
    "another bot's DM": lambda: sr.event_callback(
        sr.direct_message("beep") | {"bot_id": "B0OTHER"}
    ),
    "an edited DM": lambda: sr.event_callback(
        sr.direct_message("x") | {"subtype": "message_changed"}
    ),
    "the Messages tab opened": lambda: sr.event_callback(sr.app_home_opened(tab="messages")),
    "an event Honk does not use": lambda: sr.event_callback(
        {"type": "reaction_added", "user": USER_ID}
    ),
    "an unknown button": lambda: sr.block_actions("someone_elses_button", "1"),
}


@pytest.mark.parametrize("case", IGNORED)
async def test_requests_for_nothing_are_acked_and_queue_nothing(honk: Honk, case: str) -> None:
    response = await honk.post(IGNORED[case]())

    assert response.status_code == 200
    assert await honk.jobs() == []


async def test_a_retried_event_makes_one_job(honk: Honk) -> None:
    event = sr.app_mention(f"<@{BOT_USER_ID}> octo/app fix it")

    first = await honk.post(sr.event_callback(event, event_id="Ev0RETRIED"))
    again = await honk.post(
        sr.event_callback(event, event_id="Ev0RETRIED"), **{"X-Slack-Retry-Num": "1"}
    )

    assert (first.status_code, again.status_code) == (200, 200)
    assert [job.delivery_id for job in await honk.jobs()] == ["slack:Ev0RETRIED"]


async def test_url_verification_is_answered(honk: Honk) -> None:
    response = await honk.post(sr.url_verification("challenge-3eZbrw1aBm2"))

    assert response.status_code == 200
    assert response.json() == {"challenge": "challenge-3eZbrw1aBm2"}


# -- signatures ------------------------------------------------------------------------------------

BODIES: dict[str, Callable[..., SignedRequest]] = {
    "slash command": lambda **kw: sr.slash_command("octo/app fix", **kw),
    "event": lambda **kw: sr.event_callback(sr.app_mention(f"<@{BOT_USER_ID}> hi"), **kw),
    "click": lambda **kw: sr.block_actions(ACTION_STOP, "7", **kw),
}


def _forged(make: Callable[..., SignedRequest], how: str) -> tuple[SignedRequest, dict[str, str]]:
    if how == "stale":
        return make(timestamp=STALE), {}
    request = make()
    if how == "missing":
        return request, {"X-Slack-Signature": "", "X-Slack-Request-Timestamp": ""}
    if how == "other secret":
        other = sr.signed(request.body, request.headers["Content-Type"], secret="not-the-secret")
        return other, {}
    return SignedRequest(request.body + b"&x=1", request.headers), {}  # tampered


@pytest.mark.parametrize("how", ["missing", "other secret", "tampered", "stale"])
@pytest.mark.parametrize("kind", BODIES)
async def test_a_bad_missing_or_stale_signature_is_401(honk: Honk, kind: str, how: str) -> None:
    request, headers = _forged(BODIES[kind], how)

    response = await honk.post(request, **headers)

    assert response.status_code == 401
    assert await honk.jobs() == []


# -- configuration and outages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (["slack_signing_secret"], ["SLACK_SIGNING_SECRET"]),
        (["slack_bot_token"], ["SLACK_BOT_TOKEN"]),
        (["slack_signing_secret", "slack_bot_token"], ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"]),
    ],
)
async def test_unconfigured_slack_is_a_503_naming_the_variable(
    tmp_path: Path, slack: FakeSlack, unset: list[str], named: list[str]
) -> None:
    settings = slack_settings(tmp_path, slack, **dict.fromkeys(unset))
    async for honk in serve(settings):
        response = await honk.post(sr.slash_command("help"))

        assert response.status_code == 503
        assert all(name in response.json()["error"] for name in named)


async def test_database_down_is_a_503_slack_retries_never_a_500(
    tmp_path: Path, slack: FakeSlack
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the database directory should be")
    settings = slack_settings(tmp_path, slack, database_url=f"sqlite+aiosqlite:///{blocked}/x.db")
    async for honk in serve(settings):
        for request in (sr.slash_command("help"), sr.event_callback(sr.direct_message("hi"))):
            response = await honk.post(request)

            assert response.status_code == 503
            assert "not recorded" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [(b"\xff\xfe\x00", "application/json", 400), (b"x" * (1024 * 1024 + 1), sr.FORM, 413)],
)
async def test_malformed_or_huge_bodies_are_refused_not_500(
    honk: Honk, body: bytes, content_type: str, status: int
) -> None:
    response = await honk.post(sr.signed(body, content_type))

    assert response.status_code == status


async def test_no_auth_test_at_start_up_nor_when_events_name_the_bot(
    honk: Honk, slack: FakeSlack
) -> None:
    await honk.post(sr.slash_command("help"))
    await honk.post(sr.event_callback(sr.direct_message("hi")))

    assert slack.calls_to("auth.test") == []
    assert len(await honk.jobs()) == 2


async def test_a_dm_that_does_not_name_the_bot_costs_one_cached_auth_test(
    honk: Honk, slack: FakeSlack
) -> None:
    def unnamed(text: str, user: str = USER_ID) -> SignedRequest:
        body = sr.event_callback_payload(sr.direct_message(text, user=user))
        del body["authorizations"]
        return sr.signed(json.dumps(body).encode(), "application/json")

    await honk.post(unnamed("from a person"))
    await honk.post(unnamed("from the bot itself", user=BOT_USER_ID))

    assert len(slack.calls_to("auth.test")) == 1
    assert [job.command.slack.text for job in await honk.jobs() if job.command.slack] == [
        "from a person"
    ]


def sr_field(request: SignedRequest, name: str) -> str:
    """One field of a form-encoded body, decoded."""
    return parse_qs(request.text)[name][0]
