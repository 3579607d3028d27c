"""HONK_DATA_DIR/github-app.json: private, atomic, and seen by `LiveSettings` when it changes."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.app_manifest import credentials_from
from app.core.config import Settings
from app.core.errors import ConfigError
from app.store.app_credentials import LiveSettings, credentials_path, load_credentials
from tests.core.test_app_manifest import ANSWER


def test_live_settings_follow_the_file(tmp_path: Path) -> None:
    live = LiveSettings(Settings(data_dir=tmp_path / "data"))
    assert live().github_app_id is None
    other = LiveSettings(live.base)  # another process reading the same data dir
    other()

    live.save(credentials_from(ANSWER))
    path = credentials_path(tmp_path / "data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (live().github_app_id, other().github_app_id) == (909, 909)

    live.save(replace(credentials_from(ANSWER), app_id=910))
    assert other().github_app_id == 910
    assert live.overlaid(Settings(workers=0)).github_app_id == 910  # a worker's own settings
    assert live.overlaid(Settings(github_app_id=5)).github_app_id == 5  # the environment wins


def test_an_unusable_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    path = credentials_path(tmp_path)
    path.write_text('{"id": 1}')
    with pytest.raises(ConfigError, match=r"github-app\.json has no slug"):
        load_credentials(path)


def test_live_settings_ignore_an_unusable_file_and_say_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    credentials_path(tmp_path).write_text("{not json")
    assert LiveSettings(Settings(data_dir=tmp_path))().github_app_id is None
    assert "credentials ignored" in caplog.text
