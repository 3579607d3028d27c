"""HONK_SECRET_KEY, or the key Honk creates once in `HONK_DATA_DIR/secret.key` (mode 0600).

Kept with the stored data (the key decrypts the stored user tokens); the web routes and the
Slack surface read the same key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
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
        if not path.exists():
            _create(path)
        text = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(
            f"HONK_SECRET_KEY is not set and {path} cannot be created or read: {exc.strerror}"
        ) from None
    if not text:
        raise ConfigError(f"HONK_SECRET_KEY is not set and {path} is empty")
    return Secret(text)


def _create(path: Path) -> None:
    """Write a new key to a private temporary file, then link it in place: processes starting
    at once all read the one key that won, and never a half-written file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret.key.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
