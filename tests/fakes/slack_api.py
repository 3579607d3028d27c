"""A fake Slack Web API served on loopback (aiohttp), stateful, recording every call.

respx cannot intercept aiohttp, which slack-bolt's async mode and slack_sdk's AsyncWebClient use,
so the fake is a real HTTP server on 127.0.0.1: point `base_url=` (Honk: `SLACK_API_URL`) at
`fake.url`. `apps.connections.open` hands out `ws://127.0.0.1:PORT/socket`, the fake's Socket
Mode endpoint (tests/fakes/slack_socket.py).

    async with FakeSlack() as slack:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.url)
        ...
        slack.thread("C0GENERAL", ts)  # the messages of a thread, parent first
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

from tests.fakes.slack_requests import APP_ID, BOT_USER_ID, TEAM_ID
from tests.fakes.slack_socket import SocketModeHub

BOT_TOKEN = "xoxb-1-fake-bot-token"
APP_TOKEN = "xapp-1-fake-app-token"
BOT_ID = "B0HONKBOT"
WORKSPACE_URL = "https://honk-fake.slack.test/"

Json = dict[str, Any]
Handler = Callable[["FakeSlack", Json], Json]


@dataclass(frozen=True)
class SlackCall:
    """One Web API call as the fake received it (token separate from the arguments)."""

    method: str
    token: str
    args: Json


@dataclass
class PostedMessage:
    channel: str
    ts: str
    text: str
    thread_ts: str | None = None
    blocks: list[Any] | None = None
    edits: int = 0

    def as_slack(self) -> Json:
        message: Json = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": self.text,
            "ts": self.ts,
        }
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.blocks is not None:
            message["blocks"] = self.blocks
        return message


@dataclass(frozen=True)
class Ephemeral:
    channel: str
    user: str
    text: str
    thread_ts: str | None
    blocks: list[Any] | None


@dataclass(frozen=True)
class Reaction:
    channel: str
    timestamp: str
    name: str


@dataclass
class FakeSlack:
    """The fake workspace: its messages, ephemerals, reactions, Home views and the call log."""

    calls: list[SlackCall] = field(default_factory=list)
    messages: list[PostedMessage] = field(default_factory=list)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    reactions: list[Reaction] = field(default_factory=list)
    home_views: dict[str, Json] = field(default_factory=dict)
    users: dict[str, Json] = field(default_factory=dict)
    socket: SocketModeHub = field(default_factory=SocketModeHub)
    _failures: dict[str, list[str]] = field(default_factory=dict)
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _port: int = 0

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._serve_method)
        app.router.add_get("/socket", self.socket.serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The Web API base, trailing slash included (slack_sdk joins method names onto it)."""
        return f"http://127.0.0.1:{self._port}/api/"

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/socket"

    # -- helpers for tests ---------------------------------------------------------------------

    def fail_next(self, method: str, error: str) -> None:
        """The next call of `method` answers `{"ok": false, "error": error}` (queued per method)."""
        self._failures.setdefault(method, []).append(error)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[PostedMessage]:
        """The bot's messages of a thread: its parent (when the bot posted it), then the replies."""
        return [
            m
            for m in self.messages
            if m.channel == channel and (m.ts == thread_ts or m.thread_ts == thread_ts)
        ]

    def message(self, channel: str, ts: str) -> PostedMessage | None:
        return next((m for m in self.messages if m.channel == channel and m.ts == ts), None)

    def ephemerals_for(self, user: str) -> list[Ephemeral]:
        return [e for e in self.ephemerals if e.user == user]

    def add_user(self, user_id: str, name: str, *, is_bot: bool = False) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": is_bot,
            "tz": "Europe/Paris",
            "profile": {"display_name": name, "real_name": name},
        }

    def next_ts(self) -> str:
        tick = next(self._clock)
        return f"{1_765_000_000 + tick}.{tick:06d}"

    # -- serving -------------------------------------------------------------------------------

    async def _serve_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = _bearer(request) or str(args.pop("token", ""))
        args.pop("token", None)
        self.calls.append(SlackCall(method, token, args))
        return web.json_response(self._answer(method, token, args))

    def _answer(self, method: str, token: str, args: Json) -> Json:
        handler = METHODS.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        wanted = "xapp-" if method == "apps.connections.open" else "xoxb-"
        if not token.startswith(wanted):
            return {"ok": False, "error": "not_authed" if not token else "invalid_auth"}
        queued = self._failures.get(method)
        if queued:
            return {"ok": False, "error": queued.pop(0)}
        return handler(self, args)


async def _read_args(request: web.Request) -> Json:
    """Slack accepts query strings, form bodies and JSON bodies: merged, body last."""
    args: Json = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            args.update(body if isinstance(body, dict) else {})
        else:
            args.update({k: str(v) for k, v in (await request.post()).items()})
    return args


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _json_arg(value: Any) -> Any:
    """Blocks and views arrive as JSON strings in form bodies and as objects in JSON bodies."""
    return json.loads(value) if isinstance(value, str) else value


# -- the methods --------------------------------------------------------------------------------


def _post_message(slack: FakeSlack, args: Json) -> Json:
    channel = str(args.get("channel", ""))
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    if not args.get("text") and not args.get("blocks"):
        return {"ok": False, "error": "no_text"}
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    message = PostedMessage(
        channel, slack.next_ts(), str(args.get("text", "")), thread_ts, _blocks(args)
    )
    slack.messages.append(message)
    return {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_slack()}


def _update(slack: FakeSlack, args: Json) -> Json:
    message = slack.message(str(args.get("channel", "")), str(args.get("ts", "")))
    if message is None:
        return {"ok": False, "error": "message_not_found"}
    if "text" in args:
        message.text = str(args["text"])
    if "blocks" in args:
        message.blocks = _blocks(args)
    message.edits += 1
    return {
        "ok": True,
        "channel": message.channel,
        "ts": message.ts,
        "text": message.text,
        "message": message.as_slack(),
    }


def _post_ephemeral(slack: FakeSlack, args: Json) -> Json:
    channel, user = str(args.get("channel", "")), str(args.get("user", ""))
    if not channel or not user:
        return {"ok": False, "error": "channel_not_found" if not channel else "user_not_found"}
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    ephemeral = Ephemeral(channel, user, str(args.get("text", "")), thread_ts, _blocks(args))
    slack.ephemerals.append(ephemeral)
    return {"ok": True, "message_ts": slack.next_ts()}


def _get_permalink(slack: FakeSlack, args: Json) -> Json:
    channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
    if not channel or not ts:
        return {"ok": False, "error": "message_not_found"}
    link = f"{WORKSPACE_URL}archives/{channel}/p{ts.replace('.', '')}"
    return {"ok": True, "channel": channel, "permalink": link}


def _add_reaction(slack: FakeSlack, args: Json) -> Json:
    reaction = Reaction(
        str(args.get("channel", "")), str(args.get("timestamp", "")), str(args.get("name", ""))
    )
    if not reaction.channel or not reaction.timestamp:
        return {"ok": False, "error": "message_not_found"}
    if not reaction.name:
        return {"ok": False, "error": "invalid_name"}
    if reaction in slack.reactions:
        return {"ok": False, "error": "already_reacted"}
    slack.reactions.append(reaction)
    return {"ok": True}


def _publish_view(slack: FakeSlack, args: Json) -> Json:
    user = str(args.get("user_id", ""))
    view = _json_arg(args.get("view"))
    if not user or not isinstance(view, dict) or view.get("type") != "home":
        return {"ok": False, "error": "invalid_arguments"}
    published = {**view, "id": f"V0{user}", "team_id": TEAM_ID, "app_id": APP_ID}
    slack.home_views[user] = published
    return {"ok": True, "view": published}


def _conversation_info(slack: FakeSlack, args: Json) -> Json:
    channel = str(args.get("channel", ""))
    if not channel:
        return {"ok": False, "error": "channel_not_found"}
    is_im = channel.startswith("D")
    info: Json = {"id": channel, "is_im": is_im, "is_channel": not is_im, "is_private": is_im}
    if not is_im:
        info["name"] = channel.lower()
    return {"ok": True, "channel": info}


def _user_info(slack: FakeSlack, args: Json) -> Json:
    user = slack.users.get(str(args.get("user", "")))
    return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}


def _auth_test(slack: FakeSlack, args: Json) -> Json:
    return {
        "ok": True,
        "url": WORKSPACE_URL,
        "team": "Honk Fake",
        "user": "honk",
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def _open_dm(slack: FakeSlack, args: Json) -> Json:
    users = str(args.get("users", ""))
    if not users or "," in users:
        return {"ok": False, "error": "users_not_found" if not users else "not_implemented"}
    return {"ok": True, "channel": {"id": "D" + users.lstrip("UW"), "is_im": True}}


def _open_connection(slack: FakeSlack, args: Json) -> Json:
    return {"ok": True, "url": slack.socket_url}


def _blocks(args: Json) -> list[Any] | None:
    blocks = _json_arg(args.get("blocks"))
    return blocks if isinstance(blocks, list) else None


METHODS: dict[str, Handler] = {
    "chat.postMessage": _post_message,
    "chat.update": _update,
    "chat.postEphemeral": _post_ephemeral,
    "chat.getPermalink": _get_permalink,
    "reactions.add": _add_reaction,
    "views.publish": _publish_view,
    "conversations.info": _conversation_info,
    "users.info": _user_info,
    "auth.test": _auth_test,
    "conversations.open": _open_dm,
    "apps.connections.open": _open_connection,
}
