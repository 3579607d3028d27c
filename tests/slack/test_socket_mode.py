"""Socket Mode: the same listeners over the fake's loopback WebSocket, opened by `honk serve`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Secret
from app.core.slack_blocks import ACTION_STOP
from tests.fakes import slack_requests as sr
from tests.fakes.slack_api import APP_TOKEN, FakeSlack
from tests.fakes.slack_requests import BOT_USER_ID
from tests.fakes.slack_socket import EnvelopeType
from tests.slack.conftest import serve, slack_settings

PUSHED: list[tuple[EnvelopeType, dict[str, Any], str]] = [
    ("slash_commands", sr.slash_command_fields("octo/app fix the crash"), "slack_request"),
    (
        "events_api",
        sr.event_callback_payload(sr.app_mention(f"<@{BOT_USER_ID}> octo/app add a test")),
        "slack_request",
    ),
    ("events_api", sr.event_callback_payload(sr.direct_message("jobs")), "slack_request"),
    ("interactive", sr.block_actions_payload(ACTION_STOP, "12"), "slack_action"),
]


@pytest.mark.parametrize(("envelope", "payload", "kind"), PUSHED)
async def test_a_pushed_request_is_queued_and_acked(
    tmp_path: Path, slack: FakeSlack, envelope: EnvelopeType, payload: dict[str, Any], kind: str
) -> None:
    settings = slack_settings(
        tmp_path, slack, slack_app_token=Secret(APP_TOKEN), slack_signing_secret=None
    )
    async for honk in serve(settings):
        ack = await slack.socket.push(envelope, payload)

        assert ack["envelope_id"] == slack.socket.pushed[-1]["envelope_id"]
        assert [job.kind for job in await honk.jobs()] == [kind]
    assert len(slack.calls_to("apps.connections.open")) == 1
    assert slack.calls_to("auth.test") == []


async def test_a_redelivered_event_makes_one_job_and_both_are_acked(
    tmp_path: Path, slack: FakeSlack
) -> None:
    settings = slack_settings(tmp_path, slack, slack_app_token=Secret(APP_TOKEN))
    payload = sr.event_callback_payload(sr.direct_message("fix it"), event_id="Ev0SOCKET")
    async for honk in serve(settings):
        await slack.socket.push("events_api", payload)
        await slack.socket.push("events_api", payload)

        assert [job.delivery_id for job in await honk.jobs()] == ["slack:Ev0SOCKET"]
        assert len(slack.socket.acks) == 2


async def test_http_mode_stays_available_beside_socket_mode(
    tmp_path: Path, slack: FakeSlack
) -> None:
    settings = slack_settings(tmp_path, slack, slack_app_token=Secret(APP_TOKEN))
    async for honk in serve(settings):
        await slack.socket.wait_connected()
        response = await honk.post(sr.slash_command("help"))

        assert response.status_code == 200
        assert len(await honk.jobs()) == 1


async def test_shutdown_closes_the_connection(tmp_path: Path, slack: FakeSlack) -> None:
    settings = slack_settings(tmp_path, slack, slack_app_token=Secret(APP_TOKEN))
    async for _ in serve(settings):
        await slack.socket.wait_connected()
    for _ in range(200):  # the fake sees the close once the client has sent it
        if not slack.socket.connections:
            break
        await asyncio.sleep(0.01)

    assert slack.socket.connections == []


async def test_slack_refusing_the_connection_neither_stops_nor_hangs_serve(
    tmp_path: Path, slack: FakeSlack
) -> None:
    slack.fail_next("apps.connections.open", "internal_error")
    settings = slack_settings(tmp_path, slack, slack_app_token=Secret(APP_TOKEN))
    async for honk in serve(settings):
        for _ in range(1000):  # a guard against a hung test, not a timing
            if slack.calls_to("apps.connections.open"):
                break
            await asyncio.sleep(0.01)

        assert (await honk.client.get("/healthz")).status_code == 200
        assert (await honk.post(sr.slash_command("help"))).status_code == 200
    assert slack.socket.connections == []  # shut down while still retrying
