"""The shared fake Slack (tests/fakes/slack_*.py), proven with the real slack_sdk and slack_bolt."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import httpx
import pytest
import yaml
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes import slack_requests as slack_req
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack, Reaction

MANIFEST = Path(__file__).resolve().parents[1] / "deploy" / "slack-manifest.yml"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def bot_client(slack: FakeSlack, token: str = BOT_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=slack.url)


# -- Web API through slack_sdk's AsyncWebClient ----------------------------------------------


async def test_a_thread_is_posted_edited_and_read_back(slack: FakeSlack) -> None:
    client = bot_client(slack)
    status = await client.chat_postMessage(channel="C0GENERAL", text="Queued: owner/repo")
    reply = await client.chat_postMessage(
        channel="C0GENERAL", thread_ts=status["ts"], text="Done", blocks=[{"type": "divider"}]
    )
    edited = await client.chat_update(channel="C0GENERAL", ts=status["ts"], text="Running")

    assert status["channel"] == "C0GENERAL" and status["message"]["text"] == "Queued: owner/repo"
    assert reply["message"]["thread_ts"] == status["ts"] != reply["ts"]
    assert edited["ts"] == status["ts"] and edited["text"] == "Running"
    thread = slack.thread("C0GENERAL", status["ts"])
    assert [(m.text, m.edits) for m in thread] == [("Running", 1), ("Done", 0)]
    assert thread[1].blocks == [{"type": "divider"}]


async def test_ephemerals_permalinks_and_reactions(slack: FakeSlack) -> None:
    client = bot_client(slack)
    ephemeral = await client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="Link")
    link = await client.chat_getPermalink(channel="C0GENERAL", message_ts="1765000001.000002")
    await client.reactions_add(channel="C0GENERAL", timestamp="1765000001.000002", name="eyes")

    assert ephemeral["message_ts"]
    assert [e.text for e in slack.ephemerals_for("U0BOB")] == ["Link"]
    assert slack.ephemerals_for("U0ALICE") == []
    assert link["permalink"].endswith("/archives/C0GENERAL/p1765000001000002")
    assert slack.reactions == [Reaction("C0GENERAL", "1765000001.000002", "eyes")]
    with pytest.raises(SlackApiError) as again:
        await client.reactions_add(channel="C0GENERAL", timestamp="1765000001.000002", name="eyes")
    assert again.value.response["error"] == "already_reacted"


async def test_home_users_conversations_and_auth(slack: FakeSlack) -> None:
    client = bot_client(slack)
    slack.add_user("U0ALICE", "alice")
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
    }

    published = await client.views_publish(user_id="U0ALICE", view=home)
    user = await client.users_info(user="U0ALICE")
    dm = await client.conversations_info(channel="D0ALICE")
    auth = await client.auth_test()

    assert published["view"]["type"] == "home" and slack.home_views["U0ALICE"]["blocks"]
    assert user["user"]["name"] == "alice"
    assert dm["channel"]["is_im"] is True
    assert auth["user_id"] == "U0HONKBOT" and auth["team_id"] == "T0HONK"
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.users_info(user="U0NOBODY")


async def test_every_call_is_logged_with_its_token_apart(slack: FakeSlack) -> None:
    await bot_client(slack).chat_postMessage(channel="C0GENERAL", text="hi")

    [call] = slack.calls_to("chat.postMessage")
    assert call.token == BOT_TOKEN
    assert call.args["channel"] == "C0GENERAL" and "token" not in call.args


async def test_fail_next_fails_one_call_of_that_method(slack: FakeSlack) -> None:
    client = bot_client(slack)
    slack.fail_next("chat.postMessage", "ratelimited")

    with pytest.raises(SlackApiError, match="ratelimited"):
        await client.chat_postMessage(channel="C0GENERAL", text="first")
    await client.chat_postMessage(channel="C0GENERAL", text="second")

    assert [m.text for m in slack.messages] == ["second"]


@pytest.mark.parametrize("token", ["xapp-1-wrong-kind", "not-a-token"])
async def test_a_bot_method_needs_a_bot_token(slack: FakeSlack, token: str) -> None:
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await bot_client(slack, token).chat_postMessage(channel="C0GENERAL", text="hi")
    assert slack.messages == []


async def test_connections_open_needs_an_app_token(slack: FakeSlack) -> None:
    client = bot_client(slack)
    with pytest.raises(SlackApiError, match="invalid_auth"):
        await client.apps_connections_open(app_token=BOT_TOKEN)
    opened = await client.apps_connections_open(app_token=APP_TOKEN)
    assert opened["url"] == slack.socket_url


async def test_form_and_json_bodies_and_unknown_methods(slack: FakeSlack) -> None:
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        form = await http.post(f"{slack.url}chat.postMessage", data={"channel": "C1", "text": "f"})
        js = await http.post(f"{slack.url}chat.postMessage", json={"channel": "C2", "text": "j"})
        unknown = await http.post(f"{slack.url}chat.teleport", json={})
        answers = [await form.json(), await js.json(), await unknown.json()]
    async with aiohttp.ClientSession() as http:
        in_body = await http.post(
            f"{slack.url}chat.postMessage", data={"token": BOT_TOKEN, "channel": "C3", "text": "t"}
        )
        no_token = await http.post(f"{slack.url}chat.postMessage", json={"channel": "C4"})
        answers += [await in_body.json(), await no_token.json()]

    assert [a["ok"] for a in answers] == [True, True, False, True, False]
    assert answers[2]["error"] == "unknown_method" and answers[4]["error"] == "not_authed"
    assert [(m.channel, m.text) for m in slack.messages] == [("C1", "f"), ("C2", "j"), ("C3", "t")]


async def test_update_of_an_unknown_message_fails(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError, match="message_not_found"):
        await bot_client(slack).chat_update(channel="C0GENERAL", ts="1.2", text="x")


# -- Socket Mode through slack_sdk's aiohttp SocketModeClient ---------------------------------

Listener = Callable[[AsyncBaseSocketModeClient, SocketModeRequest], Awaitable[None]]


@asynccontextmanager
async def socket_mode(slack: FakeSlack, listener: Listener) -> AsyncIterator[SocketModeClient]:
    """A connected client: apps.connections.open on the fake, then the fake's WebSocket."""
    client = SocketModeClient(app_token=APP_TOKEN, web_client=bot_client(slack))
    client.socket_mode_request_listeners.append(listener)
    await client.connect()  # type: ignore[no-untyped-call]
    try:
        yield client
    finally:
        await client.close()  # type: ignore[no-untyped-call]


async def test_socket_mode_connects_through_connections_open_and_acks(slack: FakeSlack) -> None:
    seen: list[SocketModeRequest] = []

    async def on_request(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        seen.append(request)
        answer = SocketModeResponse(request.envelope_id, payload={"text": "Queued"})
        await client.send_socket_mode_response(answer)

    async with socket_mode(slack, on_request):
        fields = slack_req.slash_command_fields("owner/repo fix the build")
        ack = await slack.socket.push("slash_commands", fields)

    [opened] = slack.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN
    assert [r.type for r in seen] == ["slash_commands"]
    assert seen[0].payload["text"] == "owner/repo fix the build"
    assert ack == {
        "envelope_id": slack.socket.pushed[0]["envelope_id"],
        "payload": {"text": "Queued"},
    }
    assert slack.socket.pushed[0]["accepts_response_payload"] is True


async def test_socket_mode_delivers_events_with_their_envelope(slack: FakeSlack) -> None:
    seen: list[dict[str, Any]] = []

    async def on_request(client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        seen.append(request.payload)
        await client.send_socket_mode_response(SocketModeResponse(request.envelope_id))

    async with socket_mode(slack, on_request):
        event = slack_req.app_mention("<@U0HONKBOT> help")
        ack = await slack.socket.push("events_api", slack_req.event_callback_payload(event))

    assert seen[0]["event"]["type"] == "app_mention" and seen[0]["type"] == "event_callback"
    assert ack["envelope_id"] == slack.socket.pushed[0]["envelope_id"] and "payload" not in ack


# -- signatures -------------------------------------------------------------------------------


def test_a_signed_request_is_accepted_by_slack_sdk() -> None:
    request = slack_req.slash_command("help")
    verifier = SignatureVerifier(slack_req.SIGNING_SECRET)
    assert verifier.is_valid_request(request.body, request.headers)


def test_a_tampered_body_or_another_secret_is_refused() -> None:
    request = slack_req.event_callback(slack_req.app_mention("<@U0HONKBOT> help"))
    tampered = request.body.replace(b"help", b"jobs")
    assert not SignatureVerifier(slack_req.SIGNING_SECRET).is_valid_request(
        tampered, request.headers
    )
    assert not SignatureVerifier("another-secret").is_valid_request(request.body, request.headers)


def test_a_stale_timestamp_is_refused() -> None:
    request = slack_req.block_actions("stop", "42", timestamp=int(time.time()) - 6 * 60)
    verifier = SignatureVerifier(slack_req.SIGNING_SECRET)
    assert not verifier.is_valid_request(request.body, request.headers)


def test_the_builders_shape_bodies_like_slack() -> None:
    command = parse_qs(slack_req.slash_command("jobs").text)
    action = json.loads(
        parse_qs(slack_req.block_actions("merge", "7", message_ts="9.1").text)["payload"][0]
    )
    event = json.loads(
        slack_req.event_callback(slack_req.direct_message("hi"), event_id="Ev1").body
    )
    challenge = json.loads(slack_req.url_verification("c-123").body)

    assert command["command"] == ["/honk"] and command["text"] == ["jobs"]
    assert (
        action["actions"][0]["action_id"] == "merge" and action["container"]["message_ts"] == "9.1"
    )
    assert event["event_id"] == "Ev1" and event["event"]["channel_type"] == "im"
    assert challenge == {
        "token": challenge["token"],
        "challenge": "c-123",
        "type": "url_verification",
    }


# -- the pieces fit: bolt AsyncApp (authorize=, no auth.test) behind starlette ----------------


def honk_bolt_app(slack: FakeSlack) -> AsyncApp:
    async def authorize(**_: Any) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=None,
            team_id=slack_req.TEAM_ID,
            bot_token=BOT_TOKEN,
            bot_user_id=slack_req.BOT_USER_ID,
            bot_id="B0HONKBOT",
        )

    bolt = AsyncApp(
        signing_secret=slack_req.SIGNING_SECRET,
        authorize=authorize,
        client=AsyncWebClient(base_url=slack.url),
        process_before_response=True,
    )

    @bolt.command("/honk")
    async def honk(ack: Any, command: dict[str, Any], say: Any) -> None:
        await ack(f"Got: {command['text']}")
        await say(f"Working on {command['text']}")

    return bolt


def bolt_on_starlette(slack: FakeSlack) -> Starlette:
    handler = AsyncSlackRequestHandler(honk_bolt_app(slack))

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


async def post(app: Starlette, request: slack_req.SignedRequest) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://honk.test") as http:
        return await http.post("/slack/events", content=request.body, headers=request.headers)


async def test_bolt_behind_starlette_answers_a_signed_slash_command(slack: FakeSlack) -> None:
    answer = await post(bolt_on_starlette(slack), slack_req.slash_command("owner/repo fix it"))

    assert answer.status_code == 200 and "Got: owner/repo fix it" in answer.text
    assert [m.text for m in slack.messages] == ["Working on owner/repo fix it"]
    assert slack.calls_to("auth.test") == []


async def test_bolt_refuses_a_stale_or_unsigned_request(slack: FakeSlack) -> None:
    app = bolt_on_starlette(slack)
    stale = slack_req.slash_command("help", timestamp=int(time.time()) - 6 * 60)
    unsigned = slack_req.SignedRequest(stale.body, {"Content-Type": slack_req.FORM})

    assert (await post(app, stale)).status_code == 401
    assert (await post(app, unsigned)).status_code == 401
    assert slack.calls == []


async def test_bolt_answers_the_url_verification_challenge(slack: FakeSlack) -> None:
    answer = await post(bolt_on_starlette(slack), slack_req.url_verification("c-42"))
    assert answer.status_code == 200 and answer.json() == {"challenge": "c-42"}


async def test_the_same_bolt_app_answers_through_socket_mode(slack: FakeSlack) -> None:
    handler = AsyncSocketModeHandler(honk_bolt_app(slack), APP_TOKEN)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        fields = slack_req.slash_command_fields("owner/repo fix it")
        ack = await slack.socket.push("slash_commands", fields)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]

    assert ack["payload"] == {"text": "Got: owner/repo fix it"}
    assert [m.text for m in slack.messages] == ["Working on owner/repo fix it"]
    assert [c.method for c in slack.calls] == ["apps.connections.open", "chat.postMessage"]


# -- the manifest ------------------------------------------------------------------------------


def test_the_manifest_routes_everything_to_slack_events() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    features, settings = manifest["features"], manifest["settings"]
    [command] = features["slash_commands"]
    events = settings["event_subscriptions"]
    urls = [command["url"], events["request_url"], settings["interactivity"]["request_url"]]

    assert command["command"] == "/honk"
    assert set(events["bot_events"]) == {"app_mention", "message.im", "app_home_opened"}
    assert all(url.endswith("/slack/events") for url in urls)
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert features["app_home"]["home_tab_enabled"] is True
    assert {"commands", "chat:write", "app_mentions:read", "im:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
