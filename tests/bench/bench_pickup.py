"""Pick-up latency on PostgreSQL: a job enqueued -> claimed by an idle worker in another process.

One worker process (one Worker, polling every 1 s, Honk's default) waits idle; this process
enqueues one `help` job at a time through `Queue.enqueue` (a separate engine, as the web
process would) and waits for it to finish before the next, after a random pause, so the
worker is idle at every enqueue and the enqueue falls at a random phase of its poll.
Latency = the job's `started_at` (the claim) minus its `created_at` (the enqueue), both from
this host's clock. With LISTEN/NOTIFY the worker is woken by the notification; without it, it
finds the job at its next poll. Target: p95 <= 100 ms with NOTIFY.
"""

from __future__ import annotations

import asyncio
import random
import statistics

from app.store.engine import Store
from app.store.queue import Queue
from tests.bench.pg_workers import bench_schema, command, postgres_url, worker_processes

JOBS = 60
POLL_SECONDS = 1.0
TARGET_P95_MS = 100.0


async def _wait_finished(queue: Queue, job_id: int) -> float:
    for _ in range(2000):
        job = await queue.get(job_id)
        if job is not None and job.finished_at is not None and job.started_at is not None:
            return (job.started_at - job.created_at) * 1000
        await asyncio.sleep(0.005)
    raise RuntimeError(f"job {job_id} was never run")


async def _latencies(notify: bool) -> list[float]:
    async with bench_schema() as schema:
        store = await Store.open(postgres_url(), schema=schema)  # migrates before the workers
        queue = Queue(store)
        try:
            with worker_processes(schema, 1, notify=notify, poll=POLL_SECONDS):
                await asyncio.sleep(0.5)
                found = []
                for number in range(1, JOBS + 1):
                    await asyncio.sleep(random.uniform(0.02, POLL_SECONDS))  # any phase of a poll
                    _, job_id = await queue.enqueue(command(number))
                    found.append(await _wait_finished(queue, job_id))
                return found
        finally:
            await store.close()


def _row(name: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"| {name} | {len(values)} | {q[49]:.1f} | {q[94]:.1f} | {max(values):.1f} |"


def main() -> None:
    notified = asyncio.run(_latencies(notify=True))
    polled = asyncio.run(_latencies(notify=False))
    print(f"enqueue -> claim by an idle worker process, PostgreSQL, poll every {POLL_SECONDS} s")
    print("| wake-up | jobs | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    print(_row("LISTEN/NOTIFY", notified))
    print(_row("polling only", polled))
    p95 = statistics.quantiles(notified, n=100)[94]
    verdict = "met" if p95 <= TARGET_P95_MS else "MISSED"
    print(f"target p95 <= {TARGET_P95_MS:.0f} ms with NOTIFY: {verdict} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()
