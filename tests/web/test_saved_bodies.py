"""The webhook route keeps each delivery's body for `honk replay`, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from app.core.config import Secret, Settings
from app.store.engine import Store
from app.store.queue import Queue
from app.web.server import create_app
from tests.fakes.deliveries import delivery_headers, load_fixture

SECRET = "replay-secret"
LABELED = "issues/labeled.honk.json"


@pytest.fixture
async def client(tmp_path: Path, store: Store) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(github_webhook_secret=Secret(SECRET), data_dir=tmp_path)
    transport = httpx.ASGITransport(app=create_app(settings, store=store))
    async with httpx.AsyncClient(transport=transport, base_url="http://honk.test") as client:
        yield client


async def deliver(
    client: httpx.AsyncClient, body: bytes, delivery_id: str, content_type: str
) -> httpx.Response:
    headers = delivery_headers("issues", body, SECRET, delivery_id)
    headers["Content-Type"] = content_type
    return await client.post("/webhooks/github", content=body, headers=headers)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", load_fixture(LABELED)),
        (
            "application/x-www-form-urlencoded",
            urlencode({"payload": load_fixture(LABELED).decode()}).encode(),
        ),
    ],
)
async def test_the_body_is_kept_as_received(
    client: httpx.AsyncClient, store: Store, content_type: str, body: bytes
) -> None:
    response = await deliver(client, body, "d-1", content_type)
    assert response.status_code == 202
    saved = await Queue(store).saved_delivery("d-1")
    assert saved is not None and saved.raw is not None
    assert (saved.raw.body, saved.raw.content_type) == (body, content_type)
    assert (saved.event, saved.action) == ("issues", "labeled")


async def test_a_delivery_with_nothing_to_do_is_kept_too(
    client: httpx.AsyncClient, store: Store
) -> None:
    body = load_fixture("issues/opened.json")
    assert (await deliver(client, body, "d-2", "application/json")).status_code == 200
    saved = await Queue(store).saved_delivery("d-2")
    assert saved is not None and saved.raw is not None and saved.raw.body == body
