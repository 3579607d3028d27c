"""Honk's Slack Web API client: a thin wrapper over slack_sdk's AsyncWebClient.

Every call goes to `SLACK_API_URL` with the bot token; Slack's refusals become SlackError with
Slack's error code. Nothing here posts text Honk did not build: callers pass messages made in
app/core/slack_blocks.py and slack_texts.py (others' text already made safe).
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from app.core.config import Settings
from app.core.errors import ConfigError, SlackError
from app.core.slack_mrkdwn import Block, SlackMessage


class SlackClient:
    """The Web API methods Honk uses, with the bot token."""

    def __init__(self, token: str, base_url: str, *, timeout: int = 10) -> None:
        self._web = AsyncWebClient(token=token, base_url=base_url, timeout=timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> SlackClient:
        """ConfigError when SLACK_BOT_TOKEN is not set."""
        if settings.slack_bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN is not set: Honk cannot post to Slack")
        return cls(settings.slack_bot_token.reveal(), settings.slack_api_url)

    def __repr__(self) -> str:
        return "SlackClient(token=***)"

    async def auth_test(self) -> str:
        """`auth.test` (for `honk doctor` only): the bot user and its workspace, in words."""
        answer = await self._call("auth.test")
        return f"{answer.get('user', '?')} in {answer.get('team', '?')}"

    async def post(self, channel: str, message: SlackMessage, thread_ts: str | None = None) -> str:
        """Post a message (in a thread when `thread_ts`); its ts."""
        answer = await self._call(
            "chat.postMessage",
            channel=channel,
            text=message.text,
            blocks=message.blocks or None,
            thread_ts=thread_ts,
            unfurl_links=False,
        )
        return str(answer["ts"])

    async def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        """Edit a message Honk posted, in place (blocks replaced; none clears them)."""
        await self._call(
            "chat.update", channel=channel, ts=ts, text=message.text, blocks=message.blocks
        )

    async def ephemeral(
        self, channel: str, user: str, message: SlackMessage, thread_ts: str | None = None
    ) -> None:
        """A message only `user` sees."""
        await self._call(
            "chat.postEphemeral",
            channel=channel,
            user=user,
            text=message.text,
            blocks=message.blocks or None,
            thread_ts=thread_ts,
        )

    async def react(self, channel: str, ts: str, name: str = "eyes") -> None:
        """Add a reaction; one already there is fine."""
        try:
            await self._call("reactions.add", channel=channel, timestamp=ts, name=name)
        except SlackError as exc:
            if exc.error != "already_reacted":
                raise

    async def permalink(self, channel: str, ts: str) -> str:
        """The message's permalink."""
        answer = await self._call("chat.getPermalink", channel=channel, message_ts=ts)
        return str(answer["permalink"])

    async def open_dm(self, user: str) -> str:
        """The channel id of the direct messages between Honk and `user`."""
        answer = await self._call("conversations.open", users=user)
        return str(answer["channel"]["id"])

    async def publish_home(self, user: str, blocks: list[Block]) -> None:
        """Publish `user`'s App Home tab."""
        await self._call("views.publish", user_id=user, view={"type": "home", "blocks": blocks})

    async def _call(self, method: str, **args: Any) -> dict[str, Any]:
        params = {k: v for k, v in args.items() if v is not None}
        try:
            response = await self._web.api_call(method, json=params)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) or None
            raise SlackError(f"Slack refused {method}: {error}", error) from exc
        except (SlackClientError, OSError, TimeoutError) as exc:
            raise SlackError(f"Slack {method} failed: {type(exc).__name__}: {exc}") from exc
        return dict(response.data) if isinstance(response.data, dict) else {}
