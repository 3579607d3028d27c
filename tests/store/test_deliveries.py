"""Deliveries keep their body for `honk replay`, and lose it with their record."""

from __future__ import annotations

from app.core.commands import Command
from app.store.deliveries import RawBody
from app.store.queue import Queue
from tests.conftest import ManualClock

BODY = RawBody(b'{"action":"labeled"}', "application/json")


def command(number: int = 1) -> Command:
    return Command("fix_issue", "octo/repo", number, 7, "mona", f"d-{number}")


async def test_a_delivery_keeps_its_body(queue: Queue) -> None:
    await queue.accept_delivery("d-1", "issues", "labeled", command(), BODY)
    saved = await queue.saved_delivery("d-1")
    assert saved is not None
    assert (saved.event, saved.action, saved.raw) == ("issues", "labeled", BODY)


async def test_a_delivery_without_body_and_an_unknown_one(queue: Queue) -> None:
    await queue.accept_delivery("slack-1", "slack", None, None)
    saved = await queue.saved_delivery("slack-1")
    assert saved is not None and saved.raw is None
    assert await queue.saved_delivery("nope") is None


async def test_a_redelivery_keeps_the_first_body(queue: Queue) -> None:
    await queue.accept_delivery("d-1", "issues", "labeled", command(), BODY)
    other = RawBody(b"{}", "application/json")
    assert (await queue.accept_delivery("d-1", "issues", "labeled", command(), other))[0] == (
        "duplicate"
    )
    saved = await queue.saved_delivery("d-1")
    assert saved is not None and saved.raw == BODY


async def test_big_bodies_are_kept_byte_for_byte(queue: Queue) -> None:
    big = RawBody(bytes(range(256)) * 8192, "application/octet-stream")  # 2 MiB, every byte
    await queue.accept_delivery("d-big", "issues", "opened", None, big)
    saved = await queue.saved_delivery("d-big")
    assert saved is not None and saved.raw == big


async def test_the_retention_sweep_forgets_the_body_with_the_record(
    queue: Queue, clock: ManualClock
) -> None:
    await queue.accept_delivery("d-old", "issues", "labeled", command(1), BODY)
    clock.advance(100)
    await queue.accept_delivery("d-new", "issues", "labeled", command(2), BODY)
    assert await queue.forget_deliveries(clock() - 50) == 1
    assert await queue.saved_delivery("d-old") is None
    assert await queue.saved_delivery("d-new") is not None


async def test_replay_ids_count_up_per_original(queue: Queue) -> None:
    assert await queue.replay_id("d_1%") == "replay-d_1%-1"
    await queue.accept_delivery("replay-d_1%-1", "issues", None, None)
    await queue.accept_delivery("replay-dx1%-7", "issues", None, None)  # `_` is no wildcard
    await queue.accept_delivery("replay-d_1%-1-1", "issues", None, None)  # of `d_1%-1`
    await queue.accept_delivery("replay-replay-d_1%-1-1", "issues", None, None)  # a replay's
    assert await queue.replay_id("d_1%") == "replay-d_1%-2"
    assert await queue.replay_id("replay-d_1%-1") == "replay-replay-d_1%-1-2"
