"""The fake Slack's Socket Mode endpoint: a loopback WebSocket that talks like Slack's.

On connect it sends `hello`; a test then pushes envelopes (`events_api`, `slash_commands`,
`interactive`) and awaits the client's ack `{"envelope_id", "payload"?}`. Served by FakeSlack
(tests/fakes/slack_api.py) at the URL its `apps.connections.open` returns.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import WSMsgType, web

from tests.fakes.slack_requests import APP_ID

ACK_WAIT_SECONDS = 10.0  # a guard against a hung test, never an assertion on speed

EnvelopeType = Literal["events_api", "slash_commands", "interactive"]


@dataclass
class SocketModeHub:
    """Connections, envelopes pushed, acks received."""

    connections: list[web.WebSocketResponse] = field(default_factory=list)
    pushed: list[dict[str, Any]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    received: list[Any] = field(default_factory=list)
    _waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _connected: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # answers the client's pings (autoping)
        await ws.prepare(request)
        self.connections.append(ws)
        await ws.send_json(_hello())
        self._connected.set()
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                self._receive(json.loads(frame.data))
        if ws in self.connections:
            self.connections.remove(ws)
        if not self.connections:
            self._connected.clear()
        return ws

    async def wait_connected(self) -> None:
        await asyncio.wait_for(self._connected.wait(), ACK_WAIT_SECONDS)

    async def push(
        self,
        envelope_type: EnvelopeType,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
    ) -> dict[str, Any]:
        """Sends one envelope to the newest connection and returns the client's ack."""
        await self.wait_connected()
        envelope = envelope_for(envelope_type, payload, accepts_response_payload)
        ack: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[envelope["envelope_id"]] = ack
        self.pushed.append(envelope)
        await self.connections[-1].send_json(envelope)
        return await asyncio.wait_for(ack, ACK_WAIT_SECONDS)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's `disconnect` message, then the close: the client is expected to reconnect."""
        closing, self.connections = self.connections, []
        self._connected.clear()
        for ws in closing:
            await ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {}})
            await ws.close()

    async def close(self) -> None:
        for ws in list(self.connections):
            await ws.close()
        for waiting in self._waiting.values():
            waiting.cancel()

    def _receive(self, message: Any) -> None:
        self.received.append(message)
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        waiting = self._waiting.pop(str(envelope_id), None)
        if waiting is None:
            return
        self.acks.append(message)
        if not waiting.done():
            waiting.set_result(message)


def envelope_for(
    envelope_type: EnvelopeType,
    payload: dict[str, Any],
    accepts_response_payload: bool | None = None,
) -> dict[str, Any]:
    """An envelope as Slack sends it; slash commands and interactions accept a response payload."""
    accepts = (
        envelope_type != "events_api"
        if accepts_response_payload is None
        else accepts_response_payload
    )
    envelope: dict[str, Any] = {
        "envelope_id": str(uuid.uuid4()),
        "type": envelope_type,
        "payload": payload,
        "accepts_response_payload": accepts,
    }
    if envelope_type == "events_api":
        envelope |= {"retry_attempt": 0, "retry_reason": ""}
    return envelope


def _hello() -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    }
