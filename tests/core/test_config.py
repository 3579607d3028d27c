"""Settings: defaults, parsing, `.env`, errors naming the variable, secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import DEFAULT_DATABASE_URL, Secret, Settings
from app.core.env_values import read_env_file
from app.core.errors import ConfigError

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n"


def settings(**env: str) -> Settings:
    return Settings.from_env(env, env_file=None)


def test_defaults_need_nothing() -> None:
    s = settings()
    assert s.database_url == DEFAULT_DATABASE_URL
    assert (s.host, s.port, s.workers, s.sandbox) == ("127.0.0.1", 3000, 2, "auto")
    assert s.data_dir == Path(".honk")
    assert s.github_api_url == "https://api.github.com"
    assert (s.github_api_version, s.bot_email) == ("2026-03-10", None)


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("GITHUB_APP_ID", "12345", "github_app_id", 12345),
        (
            "GITHUB_API_URL",
            "https://ghe.example.com/api/v3/",
            "github_api_url",
            "https://ghe.example.com/api/v3",
        ),
        ("HONK_PORT", "8080", "port", 8080),
        ("HONK_WORKERS", "0", "workers", 0),
        ("HONK_SANDBOX", "none", "sandbox", "none"),
        ("HONK_SANDBOX", "bwrap-full", "sandbox", "bwrap-full"),
        ("HONK_MAX_USD", "0.5", "max_usd", 0.5),
        (
            "HONK_DATABASE_URL",
            "postgresql+asyncpg://u@h/db",
            "database_url",
            "postgresql+asyncpg://u@h/db",
        ),
        ("HONK_DATA_DIR", "/var/lib/honk", "data_dir", Path("/var/lib/honk")),
        ("HONK_LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("HONK_BRANCH_PREFIX", "bots/honk-", "branch_prefix", "bots/honk-"),
        ("GITHUB_API_VERSION", "2022-11-28", "github_api_version", "2022-11-28"),
        (
            "HONK_BOT_EMAIL",
            "9+honk[bot]@users.noreply.ghe.test",
            "bot_email",
            "9+honk[bot]@users.noreply.ghe.test",
        ),
    ],
)
def test_values_are_parsed(name: str, value: str, attribute: str, expected: object) -> None:
    assert getattr(settings(**{name: value}), attribute) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GITHUB_APP_ID", "abc"),
        ("GITHUB_APP_ID", "-3"),
        ("GITHUB_API_URL", "api.github.com"),
        ("HONK_PORT", "70000"),
        ("HONK_PORT", "http"),
        ("HONK_WORKERS", "-1"),
        ("HONK_SANDBOX", "docker"),
        ("HONK_MAX_USD", "0"),
        ("HONK_MAX_USD", "lots"),
        ("HONK_DATABASE_URL", "mysql://root@localhost/honk"),
        ("HONK_BRANCH_PREFIX", "a..b"),
        ("HONK_LOG_LEVEL", "loud"),
        ("HONK_PUBLIC_URL", "honk.example.com"),
        ("GITHUB_PRIVATE_KEY", "not a key"),
        ("HONK_SETUP_ALLOW", "pypi.org,169.254.169.254"),
        ("HONK_SETUP_ALLOW", "https://pypi.org/simple"),
        ("GITHUB_API_VERSION", "v3"),
        ("GITHUB_API_VERSION", "2022-11-28; x"),
        ("HONK_BOT_EMAIL", "honk[bot]"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        settings(**{name: value})


def test_setup_allow_is_the_default_registries_or_the_operators_names() -> None:
    assert "pypi.org" in settings().setup_allow
    assert "registry.npmjs.org" in settings().setup_allow
    chosen = settings(HONK_SETUP_ALLOW="pypi.org, .corp.example").setup_allow
    assert chosen == ("pypi.org", ".corp.example")


def test_private_key_from_text_with_escaped_newlines() -> None:
    key = settings(GITHUB_PRIVATE_KEY=PEM.replace("\n", "\\n")).github_private_key
    assert key is not None
    assert key.reveal() == PEM


def test_private_key_from_path(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_text(PEM)
    key = settings(GITHUB_PRIVATE_KEY_PATH=str(path)).github_private_key
    assert key is not None
    assert key.reveal() == PEM


def test_private_key_path_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GITHUB_PRIVATE_KEY_PATH cannot be read"):
        settings(GITHUB_PRIVATE_KEY_PATH=str(tmp_path / "nope.pem"))


def test_private_key_both_forms_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not both"):
        settings(GITHUB_PRIVATE_KEY=PEM, GITHUB_PRIVATE_KEY_PATH=str(tmp_path / "k"))


def test_secrets_never_show_in_repr() -> None:
    s = settings(
        GITHUB_WEBHOOK_SECRET="hook-secret-value",
        ANTHROPIC_API_KEY="sk-ant-secret-value",
        GITHUB_PRIVATE_KEY=PEM,
        SLACK_BOT_TOKEN="xoxb-secret-value",
        GITHUB_CLIENT_SECRET="oauth-client-secret",
        HONK_SECRET_KEY="honk-secret-key",
    )
    text = repr(s) + str(s)
    hidden = ("oauth-client-secret", "honk-secret-key")
    for secret in (
        "hook-secret-value",
        "sk-ant-secret-value",
        "MIIBOgIBAAJBAK",
        "xoxb-secret",
        *hidden,
    ):
        assert secret not in text
    assert s.github_webhook_secret == Secret("hook-secret-value")


def test_sign_in_settings() -> None:
    s = settings(GITHUB_CLIENT_ID="Iv1.abc", GITHUB_CLIENT_SECRET="shh", HONK_SECRET_KEY="k")
    assert (s.github_client_id, s.github_client_secret) == ("Iv1.abc", Secret("shh"))
    assert s.secret_key == Secret("k")
    assert (settings().github_client_id, settings().secret_key) == (None, None)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "https://github.com"),
        ({"GITHUB_API_URL": "https://ghe.example.com/api/v3"}, "https://ghe.example.com"),
        ({"GITHUB_API_URL": "https://ghe.example.com/api/v3/"}, "https://ghe.example.com"),
        ({"GITHUB_URL": "https://gh.example.org/", "GITHUB_API_URL": "https://x/api/v3"},
         "https://gh.example.org"),
    ],
)  # fmt: skip
def test_github_url_follows_the_api_url(env: dict[str, str], expected: str) -> None:
    assert settings(**env).github_url == expected


def test_github_url_must_be_a_url() -> None:
    with pytest.raises(ConfigError, match="GITHUB_URL"):
        settings(GITHUB_URL="github.com")


def test_env_file_fills_in_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n"
        "HONK_PORT=4000\n"
        "export HONK_MODEL='claude-opus-4-5'\n"
        'GITHUB_PRIVATE_KEY="-----BEGIN RSA PRIVATE KEY-----\nMIIB\n'
        '-----END RSA PRIVATE KEY-----"\n'
        "HONK_HOST=0.0.0.0 # trailing comment\n"
    )
    s = Settings.from_env({"HONK_PORT": "5000"}, env_file=env_file)
    assert s.port == 5000
    assert s.model == "claude-opus-4-5"
    assert s.host == "0.0.0.0"
    assert s.github_private_key is not None
    assert "MIIB" in s.github_private_key.reveal()


def test_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert read_env_file(tmp_path / "absent") == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", ()), ("Mona", ("mona",)), (" mona , @Hubot ,", ("mona", "hubot"))],
)
def test_admins_are_lower_cased_logins(raw: str, expected: tuple[str, ...]) -> None:
    assert Settings.from_env({"HONK_ADMINS": raw}, env_file=None).admins == expected


@pytest.mark.parametrize("raw", ["mona,bad login", "-mona", "a" * 40])
def test_admins_that_are_not_logins_are_refused_by_name(raw: str) -> None:
    with pytest.raises(ConfigError, match="HONK_ADMINS"):
        Settings.from_env({"HONK_ADMINS": raw}, env_file=None)


def test_the_metrics_token_is_a_secret() -> None:
    settings = Settings.from_env({"HONK_METRICS_TOKEN": "m-token"}, env_file=None)
    assert settings.metrics_token is not None and "m-token" not in repr(settings)
