"""Process wiring: `honk serve` runs its embedded workers, and waits out a database outage."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import httpx

from app.core.commands import Command
from app.process import serving_app
from app.store.engine import Store
from app.store.queue import Queue
from tests.web.test_server import make_settings


async def test_embedded_workers_run_queued_jobs(tmp_path: Path) -> None:
    settings = replace(make_settings(tmp_path), workers=1)
    store = await Store.open(settings.database_url)
    merged = Command("pr_closed", "octo/repo", 3, 1, "mona", "d-1", merged=True)
    _, job_id = await Queue(store).enqueue(merged)  # a job that needs no GitHub call
    app = serving_app(settings)

    async with app.router.lifespan_context(app):
        for _ in range(400):
            job = await Queue(store).get(job_id)
            if job is not None and job.state not in ("queued", "running"):
                break
            await asyncio.sleep(0.025)

    assert job is not None and (job.state, job.result) == (
        "succeeded",
        {"merged": 3, "known": False},
    )
    await store.close()


async def test_serve_starts_and_stops_while_the_database_is_down(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the database directory should be")
    url = f"sqlite+aiosqlite:///{blocked}/x.db"
    app = serving_app(replace(make_settings(tmp_path), workers=2, database_url=url))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503
