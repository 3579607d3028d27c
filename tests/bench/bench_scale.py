"""Queue throughput on PostgreSQL: jobs per second with 1, 2 and 4 worker processes.

What it measures: the queue's own cost per job, not Honk's work. Each job is a `help` job
whose flow is `cheap_job`: the worker claims it (one transaction, FOR UPDATE SKIP LOCKED),
the flow sends one heartbeat (one transaction), the worker completes it (one transaction);
no model (an instant one costs nothing here), no repository, no tests, no GitHub. Each worker
process runs one Worker with the LISTEN/NOTIFY listener. The jobs are queued in one
transaction once every worker is idle; the clock runs from that commit to the last job's
`finished_at`. PostgreSQL, the workers and this process share the machine's cores; each
commit waits for the WAL flush (synchronous_commit on), so the curve is the database's round
trips and commits, and it bends where the processes outnumber the cores.
"""

from __future__ import annotations

import asyncio
import os
import time

from sqlalchemy import func, select

from app.store.engine import Store
from app.store.jobs import upsert_job
from app.store.notify import notify_new_job
from app.store.tables import jobs
from tests.bench.pg_workers import bench_schema, command, postgres_url, worker_processes

JOBS = 1000
PROCESSES = (1, 2, 4)


async def _all_finished(store: Store) -> float:
    """When the last job finished, once every job has."""
    done = select(func.count(), func.max(jobs.c.finished_at)).where(jobs.c.state == "succeeded")
    while True:
        async with store.transaction() as conn:
            count, last = (await conn.execute(done)).one()
        if count == JOBS:
            return float(last)
        await asyncio.sleep(0.05)


async def _jobs_per_second(processes: int) -> tuple[float, float]:
    async with bench_schema() as schema:
        store = await Store.open(postgres_url(), schema=schema)
        try:
            with worker_processes(schema, processes, notify=True, poll=1.0):
                async with store.transaction(write=True) as conn:
                    now = time.time()
                    for number in range(1, JOBS + 1):
                        await upsert_job(conn, command(number), now, 3)
                    await notify_new_job(conn)
                committed = time.time()
                seconds = await asyncio.wait_for(_all_finished(store), timeout=600) - committed
        finally:
            await store.close()
    return seconds, JOBS / seconds


def main() -> None:
    print(f"{JOBS} cheap jobs (claim + heartbeat + complete), PostgreSQL, {os.cpu_count()} cores")
    print("| worker processes | seconds | jobs/s | vs 1 process |")
    print("|---|---|---|---|")
    base = 0.0
    for processes in PROCESSES:
        seconds, rate = asyncio.run(_jobs_per_second(processes))
        base = base or rate
        print(f"| {processes} | {seconds:.2f} | {rate:.0f} | x{rate / base:.2f} |", flush=True)


if __name__ == "__main__":
    main()
