"""The bolt app: Slack's requests (HTTP or Socket Mode) turned into queued Commands, then acked.

Built with `authorize=` (the bot token from settings) so nothing calls `auth.test` at import or
start-up; the bot's own user id comes from each event's `authorizations`, or from one cached
`auth.test` the first time a message needs it and the event did not say.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from app.core.commands import Command
from app.core.slack_events import (
    Body,
    bot_user_of,
    from_block_action,
    from_direct_message,
    from_home_opened,
    from_mention,
    from_slash_command,
)
from app.slack.intake import SlackIntake

log = logging.getLogger("honk.slack")
BOT_USER_KEY = "honk_bot_user_id"
ANY = re.compile(r".*")
Listener = Callable[..., Awaitable[BoltResponse | None]]


class BotIdentity:
    """The bot's user id: as the event names it, else one `auth.test`, cached, on first need."""

    def __init__(self) -> None:
        self.user_id: str | None = None

    async def resolve(self, hint: str | None, client: AsyncWebClient) -> str | None:
        if hint:
            self.user_id = self.user_id or hint
            return hint
        if self.user_id is None:
            try:
                answer = await client.auth_test()
            except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
                log.warning("auth.test failed", extra={"error": type(exc).__name__})
                return None
            self.user_id = str(answer.get("user_id") or "") or None
        return self.user_id


def build_bolt_app(
    *, bot_token: str, api_url: str, signing_secret: str | None, intake: SlackIntake
) -> AsyncApp:
    """The bolt app; it verifies signatures when `signing_secret` is given (HTTP mode)."""
    identity = BotIdentity()
    app = AsyncApp(
        name="honk",
        logger=log,
        client=AsyncWebClient(base_url=api_url),
        signing_secret=signing_secret or "",
        request_verification_enabled=signing_secret is not None,
        process_before_response=True,  # listeners record the request, then ack: one response
        before_authorize=_remember_bot_user,
        authorize=_authorizer(bot_token, identity),
    )
    _register(app, intake, identity)
    return app


def _register(app: AsyncApp, intake: SlackIntake, identity: BotIdentity) -> None:
    app.command(ANY)(_taking(intake, "command", from_slash_command))
    app.event("app_mention")(_taking(intake, "app_mention", from_mention))
    app.event("app_home_opened")(_taking(intake, "app_home_opened", from_home_opened))
    app.event("message")(_direct_messages(intake, identity))
    app.action(ANY)(_taking(intake, "block_actions", from_block_action))
    app.event(ANY)(_ack_only)  # any other event Slack sends: acknowledged, nothing queued


def _taking(intake: SlackIntake, request_type: str, to_command: Callable[[Body], Command | None]
) -> Listener:  # fmt: skip
    async def listener(ack: AsyncAck, body: Body) -> BoltResponse | None:
        return await _record_then_ack(intake, request_type, to_command(body), ack)

    listener.__name__ = f"take_{request_type}"
    return listener


def _direct_messages(intake: SlackIntake, identity: BotIdentity) -> Listener:
    async def take_message(
        ack: AsyncAck, body: Body, context: AsyncBoltContext, client: AsyncWebClient
    ) -> BoltResponse | None:
        event = body.get("event") or {}
        if event.get("channel_type") != "im":  # channel messages reach Honk as app_mention
            await ack()
            return None
        bot = await identity.resolve(context.bot_user_id, client)
        return await _record_then_ack(intake, "message", from_direct_message(body, bot), ack)

    return take_message


async def _record_then_ack(
    intake: SlackIntake, request_type: str, command: Command | None, ack: AsyncAck
) -> BoltResponse | None:
    if command is not None and (refused := await intake.take(command, request_type)):
        return refused
    await ack()
    return None


async def _ack_only(ack: AsyncAck) -> None:
    await ack()


async def _remember_bot_user(
    body: Body, context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
) -> Any:
    if bot := bot_user_of(body):
        context[BOT_USER_KEY] = bot
    return await next()


def _authorizer(bot_token: str, identity: BotIdentity) -> Callable[..., Awaitable[AuthorizeResult]]:
    async def authorize(
        enterprise_id: str | None, team_id: str | None, context: AsyncBoltContext
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=bot_token,
            bot_user_id=context.get(BOT_USER_KEY) or identity.user_id,
        )

    return authorize
