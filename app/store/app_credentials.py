"""The App credentials `/setup` created, in HONK_DATA_DIR/github-app.json (mode 0600).

`LiveSettings` is what every consumer of those credentials consults: the process's settings
with the file's values where the environment set none, re-read whenever the file changes, so a
web process and separate worker processes start using a new App without a restart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

from app.core.app_manifest import AppCredentials, credentials_from, overlay
from app.core.config import Settings
from app.core.errors import ConfigError

log = logging.getLogger("honk.settings")
FILE_NAME = "github-app.json"

Stamp = tuple[int, int, int]  # inode, size, modification time (ns)


def credentials_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load_credentials(path: Path) -> AppCredentials | None:
    """The saved credentials; None when there is no file, ConfigError when it is unusable."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}") from None
    try:
        return credentials_from(json.loads(text))
    except ValueError as exc:
        raise ConfigError(f"{path} {exc}; remove it and run /setup again") from None


def save_credentials(path: Path, credentials: AppCredentials) -> None:
    """Write the file atomically, readable by this user only (OSError when it cannot)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    data = json.dumps(credentials.to_json(), indent=2).encode()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


class LiveSettings:
    """The current settings: `base` overlaid with the saved credentials (the environment wins)."""

    def __init__(self, base: Settings, path: Path | None = None) -> None:
        self.base = base
        self.path = path if path is not None else credentials_path(base.data_dir)
        self._stamp: Stamp | None = None
        self._credentials: AppCredentials | None = None
        self._current = base

    def __call__(self) -> Settings:
        """Settings as of now; the file is read again only when it changed. An unusable file
        is logged and ignored (`/setup` is open again and can replace it)."""
        stamp = self._stat()
        if stamp != self._stamp:
            self._credentials = self._load() if stamp is not None else None
            self._current = overlay(self.base, self._credentials)
            self._stamp = stamp
        return self._current

    def overlaid(self, settings: Settings) -> Settings:
        """Other settings (a worker's own) with the saved credentials, the same way."""
        self()
        return overlay(settings, self._credentials)

    def _load(self) -> AppCredentials | None:
        try:
            return load_credentials(self.path)
        except ConfigError as exc:
            log.error("saved GitHub App credentials ignored", extra={"error": str(exc)})
            return None

    def save(self, credentials: AppCredentials) -> Settings:
        """Keep new credentials and return the settings that use them."""
        save_credentials(self.path, credentials)
        return self()

    def _stat(self) -> Stamp | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_ino, info.st_size, info.st_mtime_ns
