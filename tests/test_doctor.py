"""`honk doctor` against the fake GitHub, FakeSlack and the scripted Messages API: lines, exits."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import respx

from app.cli import main
from app.core.config import Secret, Settings
from app.flows.doctor import Check, exit_status, run_checks
from app.flows.doctor_remote import CHECKS
from app.store.engine import Store
from tests.fakes.anthropic_api import BASE_URL, ScriptedMessagesAPI, text_block
from tests.fakes.github.api import FakeGitHub, generate_app_key, serve_fake_github
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.test_cli import CLEAN_PREFIXES, honk

pytestmark = pytest.mark.httpx2(assert_all_called=False)  # some tests never reach the model
APP_ID = 4242
MODEL = "claude-sonnet-4-6"


@dataclass
class Setup:
    """Everything configured, each part answered by its fake."""

    settings: Settings
    github: FakeGitHub
    slack: FakeSlack
    model: ScriptedMessagesAPI


@pytest.fixture
async def setup(tmp_path: Path, httpx2_mock: respx.Router) -> AsyncIterator[Setup]:
    key = generate_app_key()
    github = FakeGitHub(public_key_pem=key.public_pem, app_id=APP_ID)
    github.add_repo("octo/widgets", installation_id=77)
    url = f"sqlite+aiosqlite:///{tmp_path}/honk.db"
    await (await Store.open(url)).close()  # migrated
    async with serve_fake_github(github) as api_url, FakeSlack() as slack:
        settings = Settings(
            github_app_id=APP_ID,
            github_private_key=Secret(key.private_pem),
            github_api_url=api_url,
            github_client_id="Iv1.client",
            github_client_secret=Secret("client-secret"),
            anthropic_api_key=Secret("sk-ant-test"),
            anthropic_base_url=BASE_URL,
            model=MODEL,
            database_url=url,
            data_dir=tmp_path / "data",
            sandbox="none",  # always available: the probe itself is the sandbox's tests' part
            slack_bot_token=Secret(BOT_TOKEN),
            slack_app_token=Secret(APP_TOKEN),
            slack_api_url=slack.url,
        )
        model = ScriptedMessagesAPI(httpx2_mock)
        model.reply([text_block("p")], "max_tokens")
        yield Setup(settings, github, slack, model)


def lines(checks: list[Check]) -> dict[str, tuple[str, str]]:
    return {check.name: (check.status, check.detail) for check in checks}


async def test_everything_configured_and_working_exits_0(setup: Setup) -> None:
    checks = await run_checks(setup.settings, CHECKS)
    found = lines(checks)
    assert [c.name for c in checks] == [
        "settings", "database", "git", "sandbox", "github app", "github sign-in", "slack", "model",
    ]  # fmt: skip
    assert {name: status for name, (status, _) in found.items()} == dict.fromkeys(found, "ok")
    assert found["github app"][1] == "honk[bot], 1 installation"
    assert found["database"][1] == "sqlite, migrations at 0008"
    assert found["slack"][1] == "honk in Honk Fake"
    assert [(r["model"], r["max_tokens"]) for r in setup.model.requests] == [(MODEL, 1)]
    assert exit_status(checks) == 0
    assert checks[1].line == "database: ok (sqlite, migrations at 0008)"


def wrong_key(s: Setup) -> None:
    s.settings = replace(s.settings, github_private_key=Secret(generate_app_key().private_pem))


def no_installations(s: Setup) -> None:
    s.github.installations.clear()
    s.github.repos.clear()


def slack_refuses(s: Setup) -> None:
    s.slack.fail_next("auth.test", "invalid_auth")


def model_refuses(s: Setup) -> None:
    s.model._queue.clear()
    s.model.error(401, "authentication_error", "invalid x-api-key")


def half_oauth(s: Setup) -> None:
    s.settings = replace(s.settings, github_client_secret=None)


def slack_without_events(s: Setup) -> None:
    s.settings = replace(s.settings, slack_app_token=None)


def unmigrated(s: Setup) -> None:
    s.settings = replace(s.settings, database_url=s.settings.database_url + ".empty")


def unreachable_database(s: Setup) -> None:
    url = "postgresql+asyncpg://honk:secret@127.0.0.1:1/honk"
    s.settings = replace(s.settings, database_url=url)


BROKEN: dict[str, tuple[Callable[[Setup], None], str, str]] = {
    "JWT refused": (wrong_key, "github app", "GITHUB_PRIVATE_KEY"),
    "no installation": (no_installations, "github app", "install the App"),
    "Slack token refused": (slack_refuses, "slack", "invalid_auth"),
    "model key refused": (model_refuses, "model", "authentication_error"),
    "half an OAuth client": (half_oauth, "github sign-in", "set GITHUB_CLIENT_SECRET"),
    "Slack with no event route": (slack_without_events, "slack", "SLACK_APP_TOKEN"),
    "database not migrated": (unmigrated, "database", "honk serve"),
    "database unreachable": (unreachable_database, "database", "HONK_DATABASE_URL"),
}


@pytest.mark.parametrize("case", BROKEN)
async def test_a_broken_part_fails_its_line_only_and_exits_1(setup: Setup, case: str) -> None:
    breaks, name, fix = BROKEN[case]
    breaks(setup)
    checks = await run_checks(setup.settings, CHECKS)
    failed = {check.name: check.detail for check in checks if check.status != "ok"}
    assert list(failed) == [name]
    assert fix in failed[name]
    assert "secret" not in failed[name]  # the database password is never shown
    assert exit_status(checks) == 1


async def test_unconfigured_optional_parts_do_not_fail(setup: Setup) -> None:
    settings = replace(
        setup.settings,
        slack_bot_token=None,
        slack_app_token=None,
        github_client_id=None,
        github_client_secret=None,
    )
    checks = await run_checks(settings, CHECKS)
    found = lines(checks)
    assert found["slack"][0] == found["github sign-in"][0] == "not configured"
    assert "SLACK_BOT_TOKEN" in found["slack"][1]
    assert exit_status(checks) == 0
    assert setup.slack.calls == []


async def test_missing_required_parts_say_which_variable(setup: Setup) -> None:
    settings = replace(setup.settings, github_app_id=None, anthropic_api_key=None)
    settings = replace(settings, anthropic_base_url=None)
    found = lines(await run_checks(settings, CHECKS))
    assert found["github app"] == ("failed", "set GITHUB_APP_ID and GITHUB_PRIVATE_KEY")
    assert found["model"] == ("failed", "set ANTHROPIC_API_KEY")


def env_of(settings: Settings, api_url: str) -> dict[str, str]:
    assert settings.github_private_key and settings.slack_bot_token and settings.slack_app_token
    return {
        "GITHUB_APP_ID": str(settings.github_app_id),
        "GITHUB_PRIVATE_KEY": settings.github_private_key.reveal(),
        "GITHUB_API_URL": api_url,
        "ANTHROPIC_API_KEY": "sk-ant-test",
        "ANTHROPIC_BASE_URL": BASE_URL,
        "HONK_MODEL": MODEL,
        "HONK_DATABASE_URL": settings.database_url,
        "HONK_DATA_DIR": str(settings.data_dir),
        "HONK_SANDBOX": "none",
        "SLACK_BOT_TOKEN": settings.slack_bot_token.reveal(),
        "SLACK_APP_TOKEN": settings.slack_app_token.reveal(),
        "SLACK_API_URL": settings.slack_api_url,
    }


@pytest.mark.parametrize(("break_slack", "status"), [(False, 0), (True, 1)])
async def test_the_command_exits_0_or_1(
    setup: Setup,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    break_slack: bool,
    status: int,
) -> None:
    for name in [n for n in os.environ if n.startswith(CLEAN_PREFIXES)]:
        monkeypatch.delenv(name)
    for name, value in env_of(setup.settings, setup.settings.github_api_url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env
    if break_slack:
        slack_refuses(setup)
    assert await asyncio.to_thread(main, ["doctor"]) == status
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(CHECKS)
    assert ("slack: FAILED: " in "\n".join(out)) is break_slack
    assert "sk-ant-test" not in "\n".join(out)


def test_bad_settings_exit_2(tmp_path: Path) -> None:
    result = honk(tmp_path, "doctor", HONK_PORT="http")
    assert result.returncode == 2
    assert "HONK_PORT" in result.stderr and "Traceback" not in result.stderr
