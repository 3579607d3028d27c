"""`honk replay`: a saved delivery or a file goes through the parse, triggers and queue."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest

from app.core.errors import FlowError, PayloadError
from app.core.triggers import TriggerContext
from app.flows.replay import Replay, describe, file_replay, inject, saved_replay
from app.store.deliveries import RawBody
from app.store.queue import Queue
from tests.fakes.deliveries import load_fixture, load_payload

LABELED = "issues/labeled.honk.json"
TRIGGERS = TriggerContext()
JSON = "application/json"


async def test_a_saved_delivery_is_queued_again_under_a_new_id(queue: Queue) -> None:
    raw = RawBody(load_fixture(LABELED), JSON)
    await queue.accept_delivery("d-1", "issues", "labeled", None, raw)
    replayed = await inject(queue, await saved_replay(queue, "d-1"), TRIGGERS)
    assert (replayed.delivery_id, replayed.outcome) == ("replay-d-1-1", "queued")
    job = await queue.get(replayed.job_id or 0)
    assert job is not None and (job.kind, job.delivery_id) == ("fix_issue", "replay-d-1-1")
    again = await inject(queue, await saved_replay(queue, "d-1"), TRIGGERS)
    assert (again.delivery_id, again.outcome, again.job_id) == (
        "replay-d-1-2",
        "coalesced",
        replayed.job_id,
    )
    replay_of_replay = await saved_replay(queue, "replay-d-1-1")
    assert replay_of_replay.raw == raw


async def test_a_form_encoded_delivery_replays(queue: Queue) -> None:
    body = urlencode({"payload": load_fixture(LABELED).decode()}).encode()
    raw = RawBody(body, "application/x-www-form-urlencoded")
    await queue.accept_delivery("d-form", "issues", "labeled", None, raw)
    replayed = await inject(queue, await saved_replay(queue, "d-form"), TRIGGERS)
    assert replayed.outcome == "queued"


async def test_an_event_with_nothing_to_do_is_recorded_and_says_so(queue: Queue) -> None:
    replay = Replay("issues", "file", RawBody(load_fixture("issues/opened.json"), JSON))
    replayed = await inject(queue, replay, TRIGGERS)
    assert (replayed.outcome, replayed.job_id) == ("ignored", None)
    assert "nothing queued" in describe(replayed)
    assert await queue.saved_delivery("replay-file-1") is not None


@pytest.mark.parametrize(
    ("delivery_id", "message"),
    [("unknown", "no delivery 'unknown' is recorded"), ("slack-1", "without its body")],
)
async def test_unreplayable_ids_are_refused(queue: Queue, delivery_id: str, message: str) -> None:
    await queue.accept_delivery("slack-1", "slack", None, None)
    with pytest.raises(FlowError, match=message):
        await saved_replay(queue, delivery_id)


def test_a_wrapped_file(tmp_path: Path) -> None:
    payload = load_payload(LABELED)
    path = tmp_path / "delivery.json"
    path.write_text(json.dumps({"event": "issues", "delivery_id": "abc", "payload": payload}))
    replay = file_replay(path)
    assert (replay.event, replay.original_id) == ("issues", "abc")
    assert json.loads(replay.raw.body) == payload


def test_a_raw_payload_file_with_its_event(tmp_path: Path) -> None:
    path = tmp_path / "payload.json"
    path.write_bytes(load_fixture(LABELED))
    replay = file_replay(path, "issues")
    assert (replay.event, replay.original_id, replay.raw.body) == (
        "issues",
        "file",
        load_fixture(LABELED),
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "is not JSON"),
        ("[1]", "expected a JSON object"),
        ('{"payload": {}}', "--event NAME"),
    ],
)
def test_bad_files_are_refused(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "delivery.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(FlowError, match=message):
        file_replay(path)


async def test_a_raw_file_that_is_no_payload_is_refused_like_a_delivery(queue: Queue) -> None:
    replay = Replay("issues", "file", RawBody(b"[1, 2]", JSON))
    with pytest.raises(PayloadError):
        await inject(queue, replay, TRIGGERS)
    assert await queue.recent(10) == []
