"""Process wiring: embedded workers, a database outage, and refusing secrets a sandbox shows."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from app.cli import main
from app.core.commands import Command
from app.core.errors import ConfigError
from app.process import refuse_secrets_the_sandbox_shows, serving_app
from app.store.engine import Store
from app.store.queue import Queue
from tests.fakes.sandbox_probe import unavailable
from tests.web.test_server import make_settings


async def test_embedded_workers_run_queued_jobs(tmp_path: Path) -> None:
    settings = replace(make_settings(tmp_path), workers=1)
    store = await Store.open(settings.database_url)
    merged = Command("pr_closed", "octo/repo", 3, 1, "mona", "d-1", merged=True)
    _, job_id = await Queue(store).enqueue(merged)  # a job that needs no GitHub call
    app = serving_app(settings)

    async with app.router.lifespan_context(app):
        for _ in range(2400):  # up to a minute on a loaded machine
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


KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def shown_dir() -> Iterator[Path]:
    """A directory every sandbox shows (under /usr); CI runs as root, so it may be made there."""
    directory = Path("/usr/local/share") / f"honk-test-{secrets.token_hex(4)}"
    try:
        directory.mkdir(parents=True)
    except PermissionError:
        unavailable("making a directory under /usr needs root")
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def _refusal_env(case: str, shown: Path, tmp_path: Path) -> dict[str, str]:
    (shown / "key.pem").write_text(KEY)
    (shown / ".env").write_text("HONK_WORKERS=1\n")
    return {
        "GITHUB_PRIVATE_KEY_PATH": {"GITHUB_PRIVATE_KEY_PATH": str(shown / "key.pem")},
        "HONK_DATA_DIR": {"HONK_DATA_DIR": str(shown / "data")},
        "HONK_DATABASE_URL": {"HONK_DATABASE_URL": f"sqlite+aiosqlite:///{shown}/honk.db"},
        ".env": {},
    }[case]


@pytest.mark.parametrize(
    "case", ["GITHUB_PRIVATE_KEY_PATH", "HONK_DATA_DIR", "HONK_DATABASE_URL", ".env"]
)
@pytest.mark.parametrize("command", ["worker", "serve"])
def test_start_up_refuses_secrets_the_sandbox_would_show(
    case: str,
    command: str,
    shown_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(shown_dir if case == ".env" else tmp_path)
    monkeypatch.setenv("HONK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HONK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/honk.db")
    for name, value in _refusal_env(case, shown_dir, tmp_path).items():
        monkeypatch.setenv(name, value)
    assert main([command]) == 2
    error = capsys.readouterr().err
    assert case in error and "the sandbox shows" in error, error
    assert not (shown_dir / "data").exists() and not (shown_dir / "honk.db").exists()


def test_secrets_outside_what_the_sandbox_shows_pass(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_text(KEY)
    (tmp_path / ".env").write_text(f"GITHUB_PRIVATE_KEY_PATH={tmp_path}/key.pem\n")
    settings = replace(make_settings(tmp_path), data_dir=tmp_path / "data")
    refuse_secrets_the_sandbox_shows(settings, {}, tmp_path / ".env")  # no error


def test_mode_none_shows_everything_and_checks_nothing(shown_dir: Path, tmp_path: Path) -> None:
    settings = replace(make_settings(tmp_path), data_dir=shown_dir / "data", sandbox="none")
    refuse_secrets_the_sandbox_shows(settings, {}, tmp_path / ".env")  # no error


def test_the_private_key_path_of_the_env_file_is_checked(shown_dir: Path, tmp_path: Path) -> None:
    (shown_dir / "key.pem").write_text(KEY)
    (tmp_path / ".env").write_text(f"GITHUB_PRIVATE_KEY_PATH={shown_dir}/key.pem\n")
    with pytest.raises(ConfigError, match="GITHUB_PRIVATE_KEY_PATH"):
        refuse_secrets_the_sandbox_shows(make_settings(tmp_path), {}, tmp_path / ".env")
