"""What of the host the sandbox shows: /etc as an allow-list, and the pure check (exposure.py).

The bubblewrap tests skip where it cannot run, except under CI=true (tests/fakes/sandbox_probe.py).
Honk's tests run as root in CI, so a fixture may place (and remove) a bait file under /etc.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.sandbox.exposure import ETC_ALLOWED, sandbox_shows
from app.sandbox.sandbox import Sandbox
from tests.fakes.sandbox_probe import unavailable

TIMEOUT = 20.0
CERTIFICATES_LOAD = 'import ssl; assert ssl.create_default_context().cert_store_stats()["x509_ca"]'


@pytest.fixture
def etc_secret() -> Iterator[tuple[Path, str]]:
    """A secrets file under /etc, as the shipped systemd unit suggests (/etc/honk/honk.env)."""
    directory = Path("/etc") / f"honk-test-{secrets.token_hex(4)}"
    try:
        directory.mkdir()
    except PermissionError:
        unavailable("placing a bait file under /etc needs root")
    value = "sk-ant-" + secrets.token_hex(8)
    (directory / "honk.env").write_text(f"ANTHROPIC_API_KEY={value}\n")
    try:
        yield directory / "honk.env", value
    finally:
        shutil.rmtree(directory)


@pytest.mark.bwrap
async def test_a_secrets_file_under_etc_is_invisible(
    sandbox: Sandbox, root: Path, etc_secret: tuple[Path, str]
) -> None:
    path, value = etc_secret
    command = f"cat {path}; ls -d {path.parent}; grep -rs {value[:12]} /etc"
    result = await sandbox.run(root, command, timeout=TIMEOUT)
    assert value not in result.output
    assert "No such file or directory" in result.output


@pytest.mark.bwrap
async def test_etc_shows_only_the_allow_list(sandbox: Sandbox, root: Path) -> None:
    result = await sandbox.run(root, "ls -A /etc", timeout=TIMEOUT)
    allowed_tops = {entry.split("/")[0] for entry in ETC_ALLOWED}
    shown = set(result.output.split())
    assert shown, result.output
    assert all(any(Path(name).match(top) for top in allowed_tops) for name in shown), shown
    for hidden in ("shadow", "gshadow", "machine-id", "npmrc", "pip.conf", "ssh"):
        assert hidden not in shown


@pytest.mark.bwrap
@pytest.mark.parametrize(
    "command",
    [
        "getent passwd root",  # passwd, nsswitch
        "getent group root",
        "getent hosts localhost",  # hosts
        f"python3 -c '{CERTIFICATES_LOAD}'",
        "test -e /etc/ssl/certs/ca-certificates.crt -o -d /etc/pki/tls/certs",
        "date +%Z",  # localtime
        "/sbin/ldconfig -p | grep -q libc.so",  # the loader cache
        "git init -q repo && git -C repo status",
    ],
)
async def test_toolchains_find_what_they_need_in_etc(
    sandbox: Sandbox, root: Path, command: str
) -> None:
    result = await sandbox.run(root, command, timeout=TIMEOUT)
    assert result.exit_code == 0, result.output


@pytest.mark.bwrap
async def test_private_certificate_keys_stay_hidden(sandbox: Sandbox, root: Path) -> None:
    result = await sandbox.run(root, "ls /etc/ssl/private", timeout=TIMEOUT)
    assert result.exit_code != 0


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (Path("/usr/share/honk/key.pem"), True),
        (Path("/usr/local/etc/honk.env"), True),
        (Path("/lib/honk.pem"), True),  # through the /lib -> usr/lib symlink, where there is one
        (Path("/etc/passwd"), True),
        (Path("/etc/ssl/certs/honk.pem"), True),
        (Path("/etc/honk/honk.env"), False),
        (Path("/etc/ssl/private/honk.pem"), False),
        (Path("/etc/shadow"), False),
        (Path("/root/.honk/honk.db"), False),
        (Path("/var/lib/honk/key.pem"), False),
        (Path("/tmp/honk.pem"), False),  # the sandbox has a private /tmp
    ],
)
def test_the_pure_check_knows_what_the_sandbox_shows(path: Path, shown: bool) -> None:
    assert sandbox_shows(path) is shown


def test_the_pure_check_follows_symlinks(tmp_path: Path) -> None:
    (tmp_path / "key.pem").symlink_to("/usr/share/honk-key.pem")
    assert sandbox_shows(tmp_path / "key.pem")
    assert not sandbox_shows(tmp_path / "other.pem")
