"""`GET /metrics`: the exposition parsed back, deliveries counted, queue gauges from the
database, and HONK_METRICS_TOKEN required as a Bearer token when it is set."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.core.commands import Command
from app.core.config import Secret, Settings
from app.store.engine import Store
from app.store.queue import Queue
from app.web.server import create_app
from tests.fakes.deliveries import delivery_headers
from tests.metrics.scrape import Scrape

SECRET = "metrics-webhook-secret"
TOKEN = "metrics-scrape-token"


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path}/honk.db")
    yield store
    await store.close()


def settings(tmp_path: Path, token: str | None = None) -> Settings:
    return Settings(
        github_webhook_secret=Secret(SECRET),
        metrics_token=Secret(token) if token else None,
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/honk.db",
    )


async def client_for(app_settings: Settings, store: Store) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(app_settings, store=store))
    return httpx.AsyncClient(transport=transport, base_url="http://honk.test")


async def scrape(client: httpx.AsyncClient, **headers: str) -> Scrape:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return Scrape.parse(response.text)


async def test_open_without_a_token_and_counts_deliveries(
    tmp_path: Path, sqlite_store: Store
) -> None:
    async with await client_for(settings(tmp_path), sqlite_store) as client:
        before = await scrape(client)
        body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
        pong = await client.post(
            "/webhooks/github", content=body, headers=delivery_headers("ping", body, SECRET)
        )
        bad = await client.post(
            "/webhooks/github", content=body, headers=delivery_headers("ping", body, "wrong")
        )
        after = await scrape(client)
    assert (pong.status_code, bad.status_code) == (200, 401)
    assert after.moved(before, "honk_deliveries_total", event="ping", outcome="pong") == 1
    assert after.moved(before, "honk_deliveries_total", event="unknown", outcome="rejected") == 1
    assert after.value("honk_database_up") == 1


@pytest.mark.parametrize(
    ("authorization", "status"),
    [(None, 401), ("Bearer wrong-token", 401), (f"Basic {TOKEN}", 401), ("Bearer ", 401),
     (f"Bearer {TOKEN}", 200), (f"bearer {TOKEN}", 200)],
)  # fmt: skip
async def test_the_token_is_required_when_set(
    tmp_path: Path, sqlite_store: Store, authorization: str | None, status: int
) -> None:
    headers = {"authorization": authorization} if authorization else {}
    async with await client_for(settings(tmp_path, TOKEN), sqlite_store) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    assert ("honk_queue_jobs" in response.text) == (status == 200)
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in response.text


async def test_queue_gauges_come_from_the_database(tmp_path: Path, sqlite_store: Store) -> None:
    # Another process's queue: its own clock, 120 s ago, and its own connection.
    other = Queue(sqlite_store, clock=lambda: time.time() - 120)
    for number in (1, 2, 3):
        command = Command(
            kind="fix_issue", repo="octo/repo", number=number, installation_id=1,
            sender="mona", delivery_id=f"d-{number}",
        )  # fmt: skip
        await other.enqueue(command)
    assert await other.claim("elsewhere") is not None
    async with await client_for(settings(tmp_path), sqlite_store) as client:
        scraped = await scrape(client)
    assert scraped.value("honk_queue_jobs", state="queued") == 2
    assert scraped.value("honk_queue_jobs", state="running") == 1
    assert 119 <= scraped.value("honk_queue_oldest_age_seconds") <= 130


async def test_counters_are_served_while_the_database_is_away(tmp_path: Path) -> None:
    gone = settings(tmp_path)
    gone = Settings(**{**vars(gone), "database_url": f"sqlite+aiosqlite:///{tmp_path}/no/x.db"})
    transport = httpx.ASGITransport(app=create_app(gone))
    (tmp_path / "no").write_text("a file where the directory should be")
    async with httpx.AsyncClient(transport=transport, base_url="http://honk.test") as client:
        scraped = await scrape(client)
    assert scraped.value("honk_database_up") == 0
    assert not any(name.startswith("honk_queue") for name, _ in scraped.samples)
