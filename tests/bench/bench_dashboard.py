"""Dashboard benchmark: 100k jobs on SQLite and a 500-turn transcript; p50/p95 per request.

Requests go through the ASGI app in process (httpx's ASGI transport), with the dashboard token
(every repository). Targets (issue #10): jobs list p95 ≤ 100 ms, run page p95 ≤ 300 ms.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette

from app.core.commands import Command
from app.store.engine import Store
from app.store.job_search import JobSearch
from app.store.jobs import new_job_row
from app.store.queue import Queue
from app.store.tables import jobs
from app.web.dashboard import Dashboard
from app.web.signin import SignIn
from tests.web.dashboard_world import DASHBOARD_TOKEN, make_settings

JOBS = 100_000
TURNS = 500
ROUNDS = 60
STATES = ("succeeded", "failed", "cancelled", "succeeded", "running")


def rows(now: float) -> list[dict[str, object]]:
    made = []
    for n in range(JOBS):
        command = Command("fix_issue", f"org/repo{n % 200}", n, 1, f"user{n % 50}", f"d{n}")
        row = new_job_row(command, now - (JOBS - n) * 20, 3)
        made.append({**row, "state": STATES[n % 5], "cost_usd": 0.1, "dedupe_key": None})
    return made


def transcript(path: Path) -> None:
    usage = {"input_tokens": 900, "output_tokens": 200, "cache_read_input_tokens": 9000}
    with path.open("w") as file:
        for turn in range(1, TURNS + 1):
            text = {"type": "text", "text": f"Turn {turn}: looking at the failing test."}
            model = {"seq": 2 * turn, "type": "model", "turn": turn, "content": [text],
                     "usage": usage, "cost_usd": 0.01}  # fmt: skip
            tool = {"seq": 2 * turn + 1, "type": "tool", "turn": turn, "name": "bash",
                    "input": {"command": "pytest -q"}, "output": "x" * 2000}  # fmt: skip
            file.write(json.dumps(model) + "\n" + json.dumps(tool) + "\n")


async def timed(client: httpx.AsyncClient, url: str) -> tuple[float, float]:
    took = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await client.get(url)
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(took), statistics.quantiles(took, n=20)[18]


async def run(tmp: Path) -> None:
    settings = make_settings(tmp)
    store = await Store.open(f"sqlite+aiosqlite:///{tmp}/bench.db")
    async with store.transaction(write=True) as conn:
        await conn.execute(jobs.insert(), rows(time.time()))
    queue = Queue(store)
    settings.transcripts_dir.mkdir(parents=True)
    transcript(settings.transcripts_dir / f"job-{JOBS}.jsonl")

    async def get_store() -> Store:
        return store

    async def get_queue() -> Queue:
        return queue

    signin = SignIn(settings, get_store)
    dashboard = Dashboard(settings, signin, get_queue, lambda request: True)
    app = Starlette(routes=dashboard.routes())
    headers = {"authorization": f"Bearer {DASHBOARD_TOKEN}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://b", headers=headers
    ) as client:
        print(f"{'request':44} {'p50 ms':>8} {'p95 ms':>8}")
        for url in (
            "/api/jobs", "/", "/?before=1000", "/?repo=org/repo7", "/?state=failed",
            "/?person=user3", f"/runs/{JOBS}", f"/api/jobs/{JOBS}",
        ):  # fmt: skip
            p50, p95 = await timed(client, url)
            print(f"{url:44} {p50:8.1f} {p95:8.1f}")
    started = time.perf_counter()
    await JobSearch(store).aggregates(None)
    print(f"{'aggregates, uncached (every 30 s)':44} {(time.perf_counter() - started) * 1000:8.1f}")
    await store.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
