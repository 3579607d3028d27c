"""The `honk` command: help, configuration errors, `serve` without credentials, `jobs`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app.cli import format_jobs, main
from app.core.commands import Command
from app.store.engine import Store
from app.store.queue import Queue

CLEAN_PREFIXES = ("GITHUB_", "HONK_", "ANTHROPIC_", "SLACK_")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN_PREFIXES)}
    return {**env, "HONK_DATA_DIR": str(tmp_path / "data"), **extra}


def honk(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=tmp_path,
        env=clean_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "worker", "jobs"):
        assert command in out


def test_configuration_error_names_the_variable(tmp_path: Path) -> None:
    result = honk(tmp_path, "jobs", HONK_PORT="http")
    assert result.returncode == 2
    assert "HONK_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
        return response.status, response.read().decode()


def wait_for(url: str, process: subprocess.Popen[str]) -> tuple[int, str]:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, process.communicate()[1]
        try:
            return get(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_without_credentials_starts_and_says_what_to_configure(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        cwd=tmp_path,
        env=clean_env(tmp_path, HONK_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz", process) == (200, '{"status":"ok"}')
        status, page = get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "GITHUB_APP_ID" not in page  # the page tells only an operator what is missing
        assert (tmp_path / ".honk" / "honk.db").exists()  # the embedded SQLite default
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert "GITHUB_APP_ID" in stderr and "GITHUB_WEBHOOK_SECRET" in stderr  # the log says it
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why it ended.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete." in stderr
    for line in stderr.splitlines():
        json.loads(line)  # every log line is JSON


def test_jobs_lists_recent_jobs_as_json(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/honk.db"

    async def seed() -> None:
        store = await Store.open(url)
        command = Command("fix_issue", "octo/repo", 5, 1, "mona", "d-1")
        await Queue(store).enqueue(command)
        await store.close()

    asyncio.run(seed())
    result = honk(tmp_path, "jobs", "--json", HONK_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["kind"], r["repo"], r["number"], r["state"], r["attempts"]) for r in rows] == [
        ("fix_issue", "octo/repo", 5, "queued", 0)
    ]


def test_jobs_table() -> None:
    rows: list[dict[str, object]] = [
        {
            "id": 3,
            "kind": "fix_issue",
            "repo": "octo/repo",
            "number": 5,
            "state": "failed",
            "attempts": 1,
            "cost_usd": 0.125,
        },
    ]
    lines = format_jobs(rows).splitlines()
    assert lines[0].split() == ["ID", "KIND", "REPO", "NUMBER", "STATE", "ATTEMPTS", "COST"]
    assert lines[1].split() == ["3", "fix_issue", "octo/repo", "5", "failed", "1", "$0.12"]
    assert format_jobs([]) == "no jobs yet"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["run", "--repo", "nowhere", "fix it"], {}, "ANTHROPIC_API_KEY"),
        (["run", "--repo", "nowhere", "--max-usd", "0", "fix it"], {}, "--max-usd"),
        (
            ["run", "--repo", "nowhere", "fix it"],
            {"ANTHROPIC_API_KEY": "k", "HONK_SANDBOX": "none"},
            "nowhere",
        ),
    ],
)
def test_run_refuses_clearly(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = honk(tmp_path, *args, **env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_run_help_names_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for option in ("--repo", "--model", "--max-usd", "task"):
        assert option in out
