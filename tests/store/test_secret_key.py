"""The secret key: HONK_SECRET_KEY, or a key file created once in the data dir, mode 0600."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.config import Secret, Settings
from app.core.errors import ConfigError
from app.store.secret_key import secret_key


def test_the_secret_key_file_is_created_0600_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = secret_key(settings)
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(key.reveal()) >= 40 and path.read_text().strip() == key.reveal()
    assert secret_key(settings) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary file left


def test_the_setting_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=Secret("set"))
    assert secret_key(settings) == Secret("set")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("\n")
    with pytest.raises(ConfigError, match="HONK_SECRET_KEY"):
        secret_key(replace(Settings(), data_dir=tmp_path))
