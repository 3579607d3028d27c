"""Honk's real app (`serving_app`) with its Slack surface, the fake Slack API, the jobs table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.config import Secret, Settings
from app.process import serving_app
from app.store.engine import Store
from app.store.jobs import Job
from app.store.queue import Queue
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_requests import SIGNING_SECRET, SignedRequest

URL = "/slack/events"


def slack_settings(tmp_path: Path, slack: FakeSlack, **changes: Any) -> Settings:
    """Web only (no workers), HTTP mode configured, the Web API at the fake."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/honk.db",
        workers=0,
        slack_bot_token=Secret(BOT_TOKEN),
        slack_signing_secret=Secret(SIGNING_SECRET),
        slack_api_url=slack.url,
    )
    return replace(settings, **changes)


@dataclass
class Honk:
    """The served app and a way to read what it queued."""

    client: httpx.AsyncClient
    settings: Settings

    async def post(self, request: SignedRequest, **headers: str) -> httpx.Response:
        sent = {k: v for k, v in (request.headers | headers).items() if v}
        return await self.client.post(URL, content=request.body, headers=sent)

    async def jobs(self) -> list[Job]:
        store = await Store.open(self.settings.database_url)
        try:
            return list(reversed(await Queue(store).recent()))
        finally:
            await store.close()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def serve(settings: Settings) -> AsyncIterator[Honk]:
    app = serving_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://honk.test") as client:
            yield Honk(client, settings)


@pytest.fixture
async def honk(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[Honk]:
    async for served in serve(slack_settings(tmp_path, slack)):
        yield served
