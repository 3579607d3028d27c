"""Process settings: built once from the environment (plus `.env`), secrets hidden from repr."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.core.egress import DEFAULT_SETUP_ALLOW, parse_allow
from app.core.env_values import (
    SandboxMode,
    api_version,
    branch_prefix,
    database_url,
    email,
    log_level,
    logins,
    non_empty,
    non_negative_int,
    port,
    positive_float,
    positive_int,
    read_env_file,
    sandbox_mode,
    url,
)
from app.core.errors import ConfigError

T = TypeVar("T")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./.honk/honk.db"
DEFAULT_MODEL = "claude-sonnet-5-5"
API_URL = "https://api.github.com"
API_VERSION = "2026-03-10"  # githubkit's own (githubkit.versions.LATEST_VERSION)
SLACK_API_URL = "https://slack.com/api/"


class Secret:
    """A secret value whose repr and str never show it; `reveal()` is the only way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Every setting Honk reads; see the README's configuration table."""

    github_app_id: int | None = None
    github_private_key: Secret | None = None
    github_webhook_secret: Secret | None = None
    github_api_url: str = "https://api.github.com"
    github_api_version: str = API_VERSION  # X-GitHub-Api-Version of every REST request
    anthropic_api_key: Secret | None = None
    anthropic_base_url: str | None = None
    model: str = DEFAULT_MODEL
    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = Path(".honk")
    host: str = "127.0.0.1"
    port: int = 3000
    workers: int = 2
    public_url: str | None = None
    sandbox: SandboxMode = "auto"
    dashboard_token: Secret | None = None
    admins: tuple[str, ...] = ()  # GitHub logins (lower case) who see and control every run
    metrics_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    slack_bot_token: Secret | None = None
    slack_app_token: Secret | None = None
    slack_api_url: str = SLACK_API_URL
    github_client_id: str | None = None
    github_client_secret: Secret | None = None
    github_url: str = "https://github.com"
    secret_key: Secret | None = None
    label: str = "honk"
    branch_prefix: str = "honk/"
    bot_login: str | None = None
    bot_email: str | None = None  # the commit email of the App's bot; asked from GitHub if unset
    max_turns: int = 50
    max_usd: float = 5.0
    max_minutes: float = 30.0
    command_timeout: float = 300.0
    setup_allow: tuple[str, ...] = DEFAULT_SETUP_ALLOW
    model_timeout: float = 600.0
    model_max_retries: int = 4
    max_attempts: int = 3
    lease_seconds: float = 60.0
    retention_days: float = 14.0
    git_name: str = "Honk"
    git_email: str = "honk@users.noreply.github.com"
    log_level: str = "INFO"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Read the process environment, with `.env` (if present) filling what it lacks."""
        env = dict(read_env_file(env_file)) if env_file is not None else {}
        env.update(os.environ if environ is None else environ)
        return cls(**_parse(env))

    @property
    def transcripts_dir(self) -> Path:
        return self.data_dir / "transcripts"


def _parse(env: Mapping[str, str]) -> dict[str, Any]:
    get = _Reader(env)
    return {
        "github_app_id": get.opt("GITHUB_APP_ID", positive_int),
        "github_private_key": _private_key(env),
        "github_webhook_secret": get.secret("GITHUB_WEBHOOK_SECRET"),
        "github_api_url": get.url("GITHUB_API_URL", API_URL),
        "github_api_version": get.value("GITHUB_API_VERSION", API_VERSION, api_version),
        "anthropic_api_key": get.secret("ANTHROPIC_API_KEY"),
        "anthropic_base_url": get.opt("ANTHROPIC_BASE_URL", url),
        "model": get.value("HONK_MODEL", DEFAULT_MODEL, non_empty),
        "database_url": get.value("HONK_DATABASE_URL", DEFAULT_DATABASE_URL, database_url),
        "data_dir": Path(get.value("HONK_DATA_DIR", ".honk", non_empty)),
        "host": get.value("HONK_HOST", "127.0.0.1", non_empty),
        "port": get.value("HONK_PORT", 3000, port),
        "workers": get.value("HONK_WORKERS", 2, non_negative_int),
        "public_url": get.opt("HONK_PUBLIC_URL", url),
        "sandbox": get.value("HONK_SANDBOX", "auto", sandbox_mode),
        "dashboard_token": get.secret("HONK_DASHBOARD_TOKEN"),
        "admins": get.value("HONK_ADMINS", tuple[str, ...](), logins),
        "metrics_token": get.secret("HONK_METRICS_TOKEN"),
        "slack_signing_secret": get.secret("SLACK_SIGNING_SECRET"),
        "slack_bot_token": get.secret("SLACK_BOT_TOKEN"),
        "slack_app_token": get.secret("SLACK_APP_TOKEN"),
        "slack_api_url": get.url("SLACK_API_URL", SLACK_API_URL).rstrip("/") + "/",
        "github_client_id": get.opt("GITHUB_CLIENT_ID", non_empty),
        "github_client_secret": get.secret("GITHUB_CLIENT_SECRET"),
        "github_url": get.url("GITHUB_URL", web_url_of(get.url("GITHUB_API_URL", API_URL))),
        "secret_key": get.secret("HONK_SECRET_KEY"),
        "label": get.value("HONK_LABEL", "honk", non_empty),
        "branch_prefix": get.value("HONK_BRANCH_PREFIX", "honk/", branch_prefix),
        "bot_login": get.opt("HONK_BOT_LOGIN", non_empty),
        "bot_email": get.opt("HONK_BOT_EMAIL", email),
        "max_turns": get.value("HONK_MAX_TURNS", 50, positive_int),
        "max_usd": get.value("HONK_MAX_USD", 5.0, positive_float),
        "max_minutes": get.value("HONK_MAX_MINUTES", 30.0, positive_float),
        "command_timeout": get.value("HONK_COMMAND_TIMEOUT", 300.0, positive_float),
        "setup_allow": get.value("HONK_SETUP_ALLOW", DEFAULT_SETUP_ALLOW, parse_allow),
        "model_timeout": get.value("HONK_MODEL_TIMEOUT", 600.0, positive_float),
        "model_max_retries": get.value("HONK_MODEL_MAX_RETRIES", 4, non_negative_int),
        "max_attempts": get.value("HONK_MAX_ATTEMPTS", 3, positive_int),
        "lease_seconds": get.value("HONK_LEASE_SECONDS", 60.0, positive_float),
        "retention_days": get.value("HONK_RETENTION_DAYS", 14.0, positive_float),
        "git_name": get.value("HONK_GIT_NAME", "Honk", non_empty),
        "git_email": get.value("HONK_GIT_EMAIL", "honk@users.noreply.github.com", non_empty),
        "log_level": get.value("HONK_LOG_LEVEL", "INFO", log_level),
    }


class _Reader:
    """Reads one variable at a time and names it in any error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        return value or None

    def value(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        raw = self.raw(name)
        return default if raw is None else self._parse(name, raw, parse)

    def opt(self, name: str, parse: Callable[[str], T]) -> T | None:
        raw = self.raw(name)
        return None if raw is None else self._parse(name, raw, parse)

    def secret(self, name: str) -> Secret | None:
        raw = self.raw(name)
        return None if raw is None else Secret(raw)

    def url(self, name: str, default: str) -> str:
        return self.value(name, default, url)

    @staticmethod
    def _parse(name: str, raw: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name} {exc}") from None


def _private_key(env: Mapping[str, str]) -> Secret | None:
    text = env.get("GITHUB_PRIVATE_KEY", "").strip()
    path = env.get("GITHUB_PRIVATE_KEY_PATH", "").strip()
    if text and path:
        raise ConfigError("set GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH, not both")
    if path:
        try:
            text = Path(path).expanduser().read_text()
        except OSError as exc:
            raise ConfigError(f"GITHUB_PRIVATE_KEY_PATH cannot be read: {exc.strerror}") from None
    if not text:
        return None
    text = text.replace("\\n", "\n").strip() + "\n"
    if "-----BEGIN" not in text or "PRIVATE KEY-----" not in text:
        name = "GITHUB_PRIVATE_KEY_PATH" if path else "GITHUB_PRIVATE_KEY"
        raise ConfigError(f"{name} must be a PEM private key (-----BEGIN ... PRIVATE KEY-----)")
    return Secret(text)


def web_url_of(api_url: str) -> str:
    """GitHub's web address for an API address: github.com, or `https://HOST` for `/api/v3`."""
    return "https://github.com" if api_url == API_URL else api_url.removesuffix("/api/v3")
