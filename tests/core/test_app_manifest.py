"""The manifest flow's pure parts: the environment wins over the file, answers are checked."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.app_manifest import credentials_from, new_app_url, overlay, valid_account
from app.core.config import Secret, Settings

ANSWER: dict[str, Any] = {
    "id": 909,
    "slug": "honk-x",
    "html_url": "https://github.com/apps/honk-x",
    "pem": "-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----\n",
    "webhook_secret": "from-file",
    "client_id": "Iv1.file",
    "client_secret": "file-secret",
}


def test_the_environment_overrides_the_file_field_by_field() -> None:
    env = Settings(github_webhook_secret=Secret("from-env"), github_client_id="Iv1.env")
    current = overlay(env, credentials_from(ANSWER))
    assert current.github_webhook_secret == Secret("from-env")
    assert current.github_client_id == "Iv1.env"
    assert current.github_app_id == 909  # the environment set none: the file's
    assert current.github_client_secret == Secret("file-secret")
    assert overlay(env, None) is env


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": None}, "has no App id"),
        ({"id": True}, "has no App id"),
        ({"pem": "not a key"}, "has no PEM private key"),
        ({"webhook_secret": None}, "has no webhook_secret"),
        ({"client_secret": ""}, "has no client_secret"),
    ],
)
def test_an_unusable_answer_is_refused_naming_the_field(
    change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        credentials_from(ANSWER | change)


def test_secrets_stay_hidden_and_the_install_page_is_derived() -> None:
    credentials = credentials_from(ANSWER)
    assert "from-file" not in repr(credentials) and "file-secret" not in repr(credentials)
    assert credentials.install_url == "https://github.com/apps/honk-x/installations/new"


@pytest.mark.parametrize(
    ("name", "valid"),
    [("octo-org", True), ("a", True), ("-x", False), ("a--b", False), ("a/b", False),
     ("x" * 40, False)],
)  # fmt: skip
def test_organization_names(name: str, valid: bool) -> None:
    assert valid_account(name) is valid


def test_new_app_url_for_a_person_and_an_organization() -> None:
    assert new_app_url("https://ghe.test/", "s t") == "https://ghe.test/settings/apps/new?state=s+t"
    assert new_app_url("https://ghe.test", "s", "org") == (
        "https://ghe.test/organizations/org/settings/apps/new?state=s"
    )
