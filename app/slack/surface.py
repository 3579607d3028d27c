"""Slack's two ways in: `POST /slack/events` (HTTP mode) and Socket Mode, over one bolt app."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from app.core.config import Settings
from app.slack.intake import SlackIntake
from app.slack.listeners import build_bolt_app

log = logging.getLogger("honk.slack")
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few KiB
MAX_SKEW_SECONDS = 5 * 60


class SlackSurface:
    """The bolt app for this process's settings (None while SLACK_BOT_TOKEN is unset)."""

    def __init__(self, settings: Settings, intake: SlackIntake) -> None:
        self.settings = settings
        token, secret = settings.slack_bot_token, settings.slack_signing_secret
        self.app: AsyncApp | None = None
        if token is not None:
            self.app = build_bolt_app(
                bot_token=token.reveal(),
                api_url=settings.slack_api_url,
                signing_secret=None if secret is None else secret.reveal(),
                intake=intake,
            )

    def missing_for_http(self) -> list[str]:
        """The variables HTTP mode still needs."""
        wanted = {
            "SLACK_SIGNING_SECRET": self.settings.slack_signing_secret,
            "SLACK_BOT_TOKEN": self.settings.slack_bot_token,
        }
        return [name for name, value in wanted.items() if value is None]

    def routes(self) -> list[BaseRoute]:
        return [Route("/slack/events", self.events, methods=["POST"])]

    async def events(self, request: Request) -> Response:
        """Events, slash commands and interactivity: verified and answered by bolt."""
        if missing := self.missing_for_http():
            error = f"{' and '.join(missing)} not set: Honk cannot take Slack requests"
            return JSONResponse({"error": error}, status_code=503)
        assert self.app is not None
        body = b""
        try:
            body = await _read_body(request)
            bolt_request = to_async_bolt_request(request, body)
        except ClientDisconnect:
            return JSONResponse({"error": "client disconnected"}, status_code=400)
        except _TooLarge:
            return JSONResponse({"error": "body over 1 MiB"}, status_code=413)
        except ValueError:  # not UTF-8, or a body bolt cannot parse: unsigned is still a 401
            return self._unparsable(request, body)
        answer = to_starlette_response(await self.app.async_dispatch(bolt_request))
        if answer.status_code == 500:  # never a 500: a 503 Slack retries
            return JSONResponse({"error": "request not handled, retry"}, status_code=503)
        return answer

    def _unparsable(self, request: Request, body: bytes) -> Response:
        secret = self.settings.slack_signing_secret
        assert secret is not None
        if not signed_by_slack(secret.reveal(), body, request.headers):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        return JSONResponse({"error": "malformed body"}, status_code=400)

    async def socket_mode(self, stop: asyncio.Event) -> None:
        """Socket Mode until `stop`, when SLACK_APP_TOKEN (and the bot token) are set."""
        app_token = self.settings.slack_app_token
        if app_token is None:
            return
        if self.app is None:
            log.warning("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: no Socket Mode")
            return
        web = AsyncWebClient(base_url=self.settings.slack_api_url)
        handler = AsyncSocketModeHandler(self.app, app_token.reveal(), logger=log, web_client=web)
        # slack_sdk keeps retrying `apps.connections.open` (offline, Slack down) and reconnects
        # on its own once connected; Honk serves meanwhile and closes it all on shutdown.
        connecting = asyncio.create_task(handler.connect_async())  # type: ignore[no-untyped-call]
        try:
            await stop.wait()
        finally:
            with contextlib.suppress(Exception):
                await handler.close_async()  # type: ignore[no-untyped-call]
            connecting.cancel()
            with contextlib.suppress(BaseException):
                await connecting


def signed_by_slack(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's v0 signature over the raw bytes, its timestamp within 5 minutes."""
    stamp = headers.get("x-slack-request-timestamp", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_SKEW_SECONDS:
        return False
    base = b"v0:" + stamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers.get("x-slack-signature", ""))


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)
