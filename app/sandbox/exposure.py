"""What of the host a bubblewrap sandbox shows: system dirs, an allow-list of /etc, nothing else.

`/etc` is not shown whole (it holds secrets: `/etc/honk/honk.env`, shadow, TLS keys, package
manager tokens); only what programs need is: the loader, users and groups, name resolution,
certificates, alternatives, the timezone and a few toolchain settings. `sandbox_shows` is the
pure check Honk's start-up runs on its own secrets against this same list.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = Path("/etc")
ETC_ALLOWED = (
    # the loader, and the alternatives system's links (python3, java, editor, ...)
    *("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives"),
    # users, groups and name resolution
    *("passwd", "group", "nsswitch.conf", "hosts", "host.conf", "resolv.conf", "gai.conf"),
    *("protocols", "services", "networks"),
    # certificates (Debian and Red Hat layouts), never ssl/private
    *("ssl/certs", "ssl/openssl.cnf", "ca-certificates", "ca-certificates.conf"),
    *("pki/tls/certs", "pki/tls/openssl.cnf", "pki/ca-trust/extracted"),
    # time, system identity, file types, terminals, mounts (df)
    *("localtime", "timezone", "os-release", "debian_version", "lsb-release", "mtab"),
    *("mime.types", "magic", "magic.mime", "terminfo", "fonts"),
    # toolchains: Debian's python3 sitecustomize, the JDK's security settings, Maven's conf
    *("python3", "python3.*", "java-*", "maven"),
)
RESOLVER_DIR = "/run/systemd/resolve"


def allowed_etc_entries() -> Iterator[Path]:
    """The allow-list's entries that exist on this host (globs expanded), in order."""
    for entry in ETC_ALLOWED:
        if "*" in entry:
            yield from sorted(ETC.glob(entry))
        elif os.path.lexists(ETC / entry):
            yield ETC / entry


def system_mounts(network: bool) -> list[str]:
    """bwrap options showing the host's system read-only (symlinks stay symlinks)."""
    mounts = ["--dev", "/dev"]
    for path in [*map(Path, SYSTEM_DIRS), ETC, *allowed_etc_entries()]:
        if path.is_symlink():
            mounts += ["--symlink", os.readlink(path), str(path)]
        elif path == ETC:
            mounts += ["--dir", str(ETC)]
        elif path.exists():
            mounts += ["--ro-bind", str(path), str(path)]
    if network:
        mounts += ["--ro-bind-try", RESOLVER_DIR, RESOLVER_DIR]
    return mounts


def shown_host_paths() -> list[Path]:
    """Every host path a sandbox (with network) shows, with all beneath it; symlinks excluded."""
    candidates = [*map(Path, SYSTEM_DIRS), *allowed_etc_entries(), Path(RESOLVER_DIR)]
    return [path for path in candidates if path.exists() and not path.is_symlink()]


def sandbox_shows(path: Path) -> bool:
    """Whether any sandbox would show the file at `path` (symlinks and `..` resolved)."""
    resolved = path.expanduser().resolve()
    return any(resolved.is_relative_to(shown.resolve()) for shown in shown_host_paths())
