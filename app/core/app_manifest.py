"""The GitHub App manifest flow's pure parts: the manifest, the new-App URL, the credentials."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

import yaml

from app.core.config import Secret, Settings

# A GitHub account name: letters, digits and single hyphens, at most 39 characters.
_ACCOUNT = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
SETUP_CALLBACK = "/setup/callback"
SIGNIN_CALLBACK = "/auth/github/callback"
WEBHOOK_PATH = "/webhooks/github"


@dataclass(frozen=True)
class AppCredentials:
    """What GitHub returns once for a new App: who it is and its secrets."""

    app_id: int
    slug: str
    html_url: str
    pem: Secret
    webhook_secret: Secret
    client_id: str
    client_secret: Secret

    @property
    def install_url(self) -> str:
        """The page where the App is installed on accounts and repositories."""
        return f"{self.html_url.rstrip('/')}/installations/new"

    def to_json(self) -> dict[str, Any]:
        """The file's content: GitHub's own field names, secrets revealed."""
        return {
            "id": self.app_id,
            "slug": self.slug,
            "html_url": self.html_url,
            "pem": self.pem.reveal(),
            "webhook_secret": self.webhook_secret.reveal(),
            "client_id": self.client_id,
            "client_secret": self.client_secret.reveal(),
        }


def credentials_from(data: object) -> AppCredentials:
    """Credentials from GitHub's conversion answer or the saved file (ValueError names a field)."""
    if not isinstance(data, Mapping):
        raise ValueError("is not a JSON object")
    app_id = data.get("id")
    if not isinstance(app_id, int) or isinstance(app_id, bool) or app_id <= 0:
        raise ValueError("has no App id")
    text = {name: _text(data, name) for name in _TEXT_FIELDS}
    if "PRIVATE KEY-----" not in text["pem"]:
        raise ValueError("has no PEM private key")
    return AppCredentials(
        app_id=app_id,
        slug=text["slug"],
        html_url=text["html_url"],
        pem=Secret(text["pem"]),
        webhook_secret=Secret(text["webhook_secret"]),
        client_id=text["client_id"],
        client_secret=Secret(text["client_secret"]),
    )


_TEXT_FIELDS = ("slug", "html_url", "pem", "webhook_secret", "client_id", "client_secret")


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"has no {name}")
    return value


def overlay(settings: Settings, credentials: AppCredentials | None) -> Settings:
    """`settings` with the saved credentials wherever the environment set none."""
    if credentials is None:
        return settings
    return replace(
        settings,
        github_app_id=settings.github_app_id or credentials.app_id,
        github_private_key=settings.github_private_key or credentials.pem,
        github_webhook_secret=settings.github_webhook_secret or credentials.webhook_secret,
        github_client_id=settings.github_client_id or credentials.client_id,
        github_client_secret=settings.github_client_secret or credentials.client_secret,
    )


def app_configured(settings: Settings) -> bool:
    """Whether an App is set up (GITHUB_APP_ID from the environment or the saved file)."""
    return settings.github_app_id is not None


def parse_app_yml(text: str) -> dict[str, Any]:
    """`app.yml` (Probot's manifest format) as a mapping (ValueError when it is not one)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"app.yml is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("app.yml is not a mapping")
    return data


def manifest(app_yml: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The manifest GitHub receives: `app.yml` with every URL pointing at `base_url`."""
    base = base_url.rstrip("/")
    filled = copy.deepcopy(dict(app_yml))
    hook = filled.get("hook_attributes")
    filled["url"] = base
    filled["hook_attributes"] = {
        **(hook if isinstance(hook, dict) else {"active": True}),
        "url": base + WEBHOOK_PATH,
    }
    filled["redirect_url"] = base + SETUP_CALLBACK
    filled["callback_urls"] = [base + SIGNIN_CALLBACK]
    filled["setup_url"] = base + "/"
    return filled


def valid_account(name: str) -> bool:
    """Whether `name` can be a GitHub organization's login."""
    return _ACCOUNT.fullmatch(name) is not None


def new_app_url(github_url: str, state: str, org: str | None = None) -> str:
    """Where the manifest is posted: the person's or the organization's "new App" page."""
    base = github_url.rstrip("/")
    owner = f"/organizations/{quote(org, safe='')}" if org else ""
    return f"{base}{owner}/settings/apps/new?{urlencode({'state': state})}"
