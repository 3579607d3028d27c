"""HONK_SECRET_KEY, or the key Honk creates once in `HONK_DATA_DIR/secret.key` (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from app.core.config import Secret, Settings
from app.core.errors import ConfigError

KEY_FILE = "secret.key"


def secret_key(settings: Settings) -> Secret:
    """The configured key, else the data dir's key file, created (0600) when missing."""
    if settings.secret_key is not None:
        return settings.secret_key
    return _key_file(settings.data_dir / KEY_FILE)


def _key_file(path: Path) -> Secret:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            text = path.read_text().strip()
        else:
            text = secrets.token_urlsafe(48)
            with os.fdopen(fd, "w") as file:
                file.write(text + "\n")
    except OSError as exc:
        raise ConfigError(
            f"HONK_SECRET_KEY is not set and {path} cannot be created or read: {exc.strerror}"
        ) from None
    if not text:
        raise ConfigError(f"HONK_SECRET_KEY is not set and {path} is empty")
    return Secret(text)
