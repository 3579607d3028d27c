"""The repository cache's git config: written whole by Honk, checked before git runs on it.

Git reads the cache's config whenever it runs on a job's worktree, and a filter, diff driver,
fsmonitor, hook path or ssh command defined there runs on the host as the Honk user (a
`.gitattributes` the agent writes can select a filter). So Honk writes the whole file itself
(`honk_config`: the bare-repository core settings and the remote, nothing else) and
`check_config` refuses a cache whose config is anything else, whoever changed it. System and
global config are off for every git call (app/workspace/git.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from app.core.errors import WorkspaceError

HEADER = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
REFSPEC = "+refs/heads/*:refs/remotes/origin/*"
QUOTED = r'"(?:[^"\\\n]|\\[\\"])*"'
PLAIN = r'[^\s"\\;#][^\n"\\;#]*'  # how earlier versions had `git config` write the URL
HONK_CONFIG = re.compile(
    r"\[core\]\n\trepositoryformatversion = 0\n\tfilemode = (?:true|false)\n\tbare = true\n"
    r'\[remote "origin"\]\n\turl = '
    + f"(?:{QUOTED}|{PLAIN})"
    + re.escape(f"\n\tfetch = {REFSPEC}\n")
)


def honk_config(clone_url: str) -> str:
    """The complete config Honk gives a cache of `clone_url`."""
    if "\n" in clone_url or "\r" in clone_url or "\0" in clone_url:
        raise WorkspaceError("the clone URL must not contain a line break or NUL")
    quoted = clone_url.replace("\\", "\\\\").replace('"', '\\"')
    return f'{HEADER}[remote "origin"]\n\turl = "{quoted}"\n\tfetch = {REFSPEC}\n'


def write_config(git_dir: Path, clone_url: str) -> None:
    """Replace `git_dir/config` atomically with Honk's config for `clone_url`."""
    fd, temporary = tempfile.mkstemp(dir=git_dir, prefix=".config-", suffix=".honk")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(honk_config(clone_url))
        os.replace(temporary, git_dir / "config")
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_config(git_dir: Path) -> None:
    """Raise WorkspaceError unless `git_dir/config` is exactly a config Honk writes."""
    try:
        text = (git_dir / "config").read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"cannot read the cache's git config in {git_dir}: {exc}") from None
    if not HONK_CONFIG.fullmatch(text):
        raise WorkspaceError(
            f"the git config of the cache {git_dir} is not the one Honk wrote (changed since); "
            "refusing to run git on it. Delete the cache directory to have it fetched anew."
        )


def config_digest(git_dir: Path) -> str:
    """A digest of `git_dir/config` as it is now (for a repository whose config is the user's)."""
    try:
        return hashlib.sha256((git_dir / "config").read_bytes()).hexdigest()
    except OSError as exc:
        raise WorkspaceError(f"cannot read the git config in {git_dir}: {exc.strerror}") from None
