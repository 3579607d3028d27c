"""`honk replay`: by delivery id or from a file, through the real command; clear errors exit 2."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.cli import main
from app.store.deliveries import RawBody
from app.store.engine import Store
from app.store.queue import Queue
from tests.fakes.deliveries import load_fixture, load_payload
from tests.test_cli import honk

LABELED = "issues/labeled.honk.json"


def database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/honk.db"


def seed(url: str) -> None:
    async def run() -> None:
        store = await Store.open(url)
        raw = RawBody(load_fixture(LABELED), "application/json")
        await Queue(store).accept_delivery("d-1", "issues", "labeled", None, raw)
        await store.close()

    asyncio.run(run())


def test_replay_by_id_queues_a_job(tmp_path: Path) -> None:
    url = database(tmp_path)
    seed(url)
    result = honk(tmp_path, "replay", "d-1", HONK_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "replay-d-1-1 (issues): queued as job 1"
    listed = honk(tmp_path, "jobs", "--json", HONK_DATABASE_URL=url)
    assert [json.loads(line)["kind"] for line in listed.stdout.splitlines()] == ["fix_issue"]


@pytest.mark.parametrize("wrapped", [True, False])
def test_replay_from_a_file(tmp_path: Path, wrapped: bool) -> None:
    path = tmp_path / "delivery.json"
    if wrapped:
        wrapper = {"event": "issues", "delivery_id": "abc", "payload": load_payload(LABELED)}
        path.write_text(json.dumps(wrapper))
        args = ["replay", str(path)]
    else:
        path.write_bytes(load_fixture(LABELED))
        args = ["replay", str(path), "--event", "issues"]
    result = honk(tmp_path, *args, HONK_DATABASE_URL=database(tmp_path))
    assert result.returncode == 0, result.stderr
    origin = "abc" if wrapped else "file"
    assert result.stdout.strip() == f"replay-{origin}-1 (issues): queued as job 1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["replay", "no-such-delivery"], "no delivery 'no-such-delivery' is recorded"),
        (["replay", "missing.json", "--event", "issues"], "cannot read missing.json"),
    ],
)
def test_unknown_ids_and_unreadable_files_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = honk(tmp_path, *args, HONK_DATABASE_URL=database(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_replay_help_documents_the_file_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["replay", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in ('"event": NAME', '"payload": {...}', "--event NAME", "replay-<original>-<n>"):
        assert text in out
