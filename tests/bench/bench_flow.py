"""Flow benchmark: delivery → acknowledgement, and delivery → PR opened, over 20 issues.

The end-to-end world of the flow tests (fake GitHub on loopback, a real git remote over smart
HTTP, real bubblewrap, SQLite), with a zero-latency scripted model whose agent makes one edit,
and a warm repository cache (one issue is handled first and not counted). The repository's own
test command is not configured, so its run time is excluded. The worker claims each job right
after its delivery, as the embedded worker does when the server wakes it.

Acknowledgement = both the 👀 reaction and the first progress comment reached GitHub.
Baseline in the same run: one round trip to the fake GitHub (GET /repos/...), the floor any
acknowledgement pays per API call; delivery → PR is also given in those round trips (target:
p95 ≤ 15). The model is scripted and answers at once: no model time is in any figure, so none
is subtracted. GitHub requests per job: the first (cold) job's and the later (warm) ones'.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest_httpx2._plugin  # noqa: F401  (registers respx's httpcore2 mocker)
import respx

from tests.fakes.github.api import RecordedRequest
from tests.flows.world import World, open_world, payload, script_edit

ISSUES = 20
TRIPS = 5  # round trips measured before each warm job


class TimedRequests(list[RecordedRequest]):
    """The fake's request log, with the moment each request arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, request: RecordedRequest) -> None:
        self.times.append(time.perf_counter())
        super().append(request)


def script(world: World, number: int) -> None:
    edit = {"command": "create", "path": f"notes/{number}.md", "file_text": "fixed\n"}
    script_edit(world, edit, f"Fix issue {number}\n\nAdded a note.")


def first_time(log: TimedRequests, start: int, method: str, suffix: str) -> float:
    for request, at in zip(log[start:], log.times[start:], strict=True):
        if request.method == method and request.path.endswith(suffix):
            return at
    raise AssertionError(f"no {method} …{suffix} after the delivery")


@dataclass(frozen=True)
class IssueRun:
    """One issue → PR job: delivery → acknowledged, delivery → PR opened, GitHub requests."""

    ack: float
    pr: float
    requests: int


async def one_issue(world: World, log: TimedRequests) -> IssueRun:
    number = world.repo.add_issue(f"Issue {time.perf_counter_ns()}", "")
    script(world, number)
    body: dict[str, Any] = payload(
        "issues/labeled.honk.json", issue__number=number, sender__login="mona"
    )
    start = len(log)
    sent = time.perf_counter()
    await world.deliver("issues", body)
    job = await world.worker.run_once()
    assert job is not None
    done = await world.queue.get(job.id)
    assert done is not None and done.state == "succeeded", done.error if done else None
    reacted = first_time(log, start, "POST", f"/issues/{number}/reactions")
    commented = first_time(log, start, "POST", f"/issues/{number}/comments")
    opened = first_time(log, start, "POST", "/pulls")
    return IssueRun(max(reacted, commented) - sent, opened - sent, len(log) - start)


async def round_trip(world: World) -> float:
    client = await world.worker.services.github.repo(77, "octo/widgets")
    started = time.perf_counter()
    await client.repository()
    return time.perf_counter() - started


async def measure(tmp: Path) -> tuple[list[IssueRun], list[float]]:
    """The cold first job, then ISSUES warm ones, each after TRIPS round trips (the baseline is
    taken beside the jobs, under the same conditions, not after them)."""
    with respx.mock(using="httpcore2", assert_all_called=False) as router:
        async with open_world(tmp, router) as world:
            world.repo.set_permission("mona", "write")
            world.repo.set_file(".github/honk.yml", "draft: true\n")
            log = TimedRequests()
            world.fake.requests = log
            runs, trips = [await one_issue(world, log)], []
            for _ in range(ISSUES):
                trips += [await round_trip(world) for _ in range(TRIPS)]
                runs.append(await one_issue(world, log))
    return runs, trips


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runs, trips = asyncio.run(measure(Path(tmp)))
    cold, warm = runs[0], runs[1:]  # the first warms the repository cache, tokens, identity
    acks, prs = [run.ack for run in warm], [run.pr for run in warm]
    trip = statistics.median(trips)
    print(f"flow: {ISSUES} issues, warm cache, instant model (no model time), no repository tests")
    print(f"{'measure':<34}{'p50 ms':>10}{'p95 ms':>10}")
    for name, values in (
        ("baseline: one GitHub round trip", trips),
        ("delivery -> acknowledged", acks),
        ("delivery -> PR opened", prs),
    ):
        print(f"{name:<34}{statistics.median(values) * 1000:>10.1f}{p95(values) * 1000:>10.1f}")
    in_trips = [pr / trip for pr in prs]
    print(
        f"delivery -> PR in round trips: p50 {statistics.median(in_trips):.1f}, "
        f"p95 {p95(in_trips):.1f} (target p95 <= 15)"
    )
    requests = sorted({run.requests for run in warm})
    print(f"GitHub requests per issue -> PR job: cold {cold.requests}, warm {requests}")
    print(
        f"targets: acknowledgement p95 <= 1000 ms ({p95(acks) * 1000:.0f}); "
        f"delivery -> PR p95 <= 3000 ms ({p95(prs) * 1000:.0f})"
    )


if __name__ == "__main__":
    main()
