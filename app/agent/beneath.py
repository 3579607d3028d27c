"""Files beneath a root, reached through descriptors that never follow a link the agent can swap.

The agent's bash can rename things in the worktree at any moment (issue 8: a background loop of
`renameat2(RENAME_EXCHANGE)` between a directory and a symlink pointing outside). So a path is
never checked and then opened again by name. `locate` walks it one component at a time from a
descriptor of the root: each directory is opened with `O_NOFOLLOW | O_DIRECTORY` relative to
its parent's descriptor, `..` pops back to the previous descriptor (never opened on disk), and a
symlink is read (`readlinkat`) and its target walked the same way, refused if it leaves the root.
The file operations then act relative to the final directory's descriptor, with `O_NOFOLLOW`
on the last component and renames within that directory. A swap can make a call fail; it can
never make it reach outside the root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from app.core.errors import ToolError

MAX_LINK_HOPS = 40
DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Outside(ToolError):
    """The path leaves the root; `where` is the host path it leads to."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


@dataclass
class Place:
    """A resolved path under the root: its components and descriptors of the existing prefix.

    `dirs[0]` is the root; `dirs[i]` is the directory `parts[:i]`. When fewer than
    `len(parts)` directories exist, the missing ones (and the entry) are yet to be created.
    """

    parts: list[str]
    dirs: list[int] = field(default_factory=list)

    @property
    def parent(self) -> int:
        """Descriptor of the directory holding the entry (the root for the root itself)."""
        if len(self.dirs) < len(self.parts):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
        return self.dirs[len(self.parts) - 1] if self.parts else self.dirs[0]

    @property
    def name(self) -> str:
        """The entry's name in `parent`; "." for the root itself."""
        return self.parts[-1] if self.parts else "."

    def close(self) -> None:
        for fd in self.dirs:
            os.close(fd)
        self.dirs.clear()

    def make_parents(self) -> None:
        """Create the missing directories above the entry, each beneath its parent's descriptor."""
        while len(self.dirs) < len(self.parts):
            name = self.parts[len(self.dirs) - 1]
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o777, dir_fd=self.dirs[-1])
            self.dirs.append(os.open(name, DIR_FLAGS, dir_fd=self.dirs[-1]))


def locate(root: Path, given: PurePosixPath, alias: Path | None = None) -> Place:
    """Resolve `given` (relative to `root`) as the kernel would, but never past the root.

    `root` is the resolved root; an absolute link target may name it, or its `alias`.
    """
    place = Place([], [os.open(root, DIR_FLAGS)])
    try:
        _walk(place, list(reversed(given.parts)), (root, alias or root))
    except BaseException:
        place.close()
        raise
    return place


def _walk(place: Place, todo: list[str], roots: tuple[Path, Path]) -> None:
    """Consume `todo` (components, last first) into `place`, following links beneath the root."""
    hops = 0
    while todo:
        part = todo.pop()
        if part in ("", ".", "/"):
            continue
        if part == "..":
            _go_up(place, todo, roots[0])
            continue
        target = _link_target(place, part)
        if target is None:
            _go_down(place, part, more=bool(todo))
            continue
        hops += 1
        if hops > MAX_LINK_HOPS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
        if target.is_absolute():
            target = _under_root(target, roots, todo)
            _back_to_root(place)
        todo.extend(reversed(target.parts))


def _go_up(place: Place, todo: list[str], root: Path) -> None:
    if not place.parts:
        rest = posixpath.join("..", *reversed(todo))
        raise Outside(posixpath.normpath(posixpath.join(root, rest)))
    if len(place.dirs) > len(place.parts):
        os.close(place.dirs.pop())
    place.parts.pop()


def _go_down(place: Place, part: str, *, more: bool) -> None:
    """Step into `part`; a missing or non-directory component is only recorded."""
    existing = len(place.dirs) > len(place.parts)
    place.parts.append(part)
    if not (existing and more):
        return
    with contextlib.suppress(FileNotFoundError):
        place.dirs.append(os.open(part, DIR_FLAGS, dir_fd=place.dirs[-1]))


def _link_target(place: Place, part: str) -> PurePosixPath | None:
    """The symlink's target if `part` is one in the current directory; None otherwise."""
    if len(place.dirs) <= len(place.parts):
        return None  # under a missing directory: nothing there
    try:
        info = os.stat(part, dir_fd=place.dirs[-1], follow_symlinks=False)
    except FileNotFoundError:
        return None
    if not stat.S_ISLNK(info.st_mode):
        return None
    return PurePosixPath(os.readlink(part, dir_fd=place.dirs[-1]))


def _under_root(target: PurePosixPath, roots: tuple[Path, Path], todo: list[str]) -> PurePosixPath:
    """An absolute link target relative to the root (`..` in it is walked); else Outside."""
    for root in roots:
        if target.is_relative_to(root):
            return target.relative_to(root)
    raise Outside(posixpath.normpath(posixpath.join(target, *reversed(todo))))


def _back_to_root(place: Place) -> None:
    while len(place.dirs) > 1:
        os.close(place.dirs.pop())
    place.parts.clear()


def kind(place: Place) -> int | None:
    """The entry's file type bits (`stat.S_IFMT`), not following a link; None if missing."""
    try:
        info = os.stat(place.name, dir_fd=place.parent, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return stat.S_IFMT(info.st_mode)


def open_file(place: Place) -> int:
    """A read descriptor of the entry, never through a symlink, never blocking on a FIFO."""
    return os.open(place.name, READ_FLAGS, dir_fd=place.parent)


def open_listing(place: Place) -> int:
    """A descriptor of the entry as a directory, for `os.scandir`."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    return os.open(place.name, flags, dir_fd=place.parent)


def scan(directory: int, depth: int) -> Iterator[PurePosixPath]:
    """Non-hidden entries below `directory` (a descriptor it does not close), `depth` deep."""
    try:
        with os.scandir(directory) as entries:
            children = [entry for entry in entries if not entry.name.startswith(".")]
    except OSError:
        return
    for entry in children:
        yield PurePosixPath(entry.name)
        if depth > 1 and entry.is_dir(follow_symlinks=False):
            yield from _scan_child(directory, entry.name, depth - 1)


def _scan_child(directory: int, name: str, depth: int) -> Iterator[PurePosixPath]:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        child = os.open(name, flags, dir_fd=directory)
    except OSError:
        return
    try:
        yield from (name / sub for sub in scan(child, depth))
    finally:
        os.close(child)


def create_file(place: Place, data: bytes) -> None:
    """Create the entry (and missing parent directories); FileExistsError if it exists."""
    place.make_parents()
    fd = os.open(place.name, NEW_FILE_FLAGS, 0o666, dir_fd=place.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def replace_file(place: Place, data: bytes, mode: int) -> None:
    """Replace the entry atomically: a new sibling, renamed over it within the same directory."""
    parent, temporary = place.parent, f".{place.name}.{os.urandom(6).hex()}.honk"
    fd = os.open(temporary, NEW_FILE_FLAGS, 0o600, dir_fd=parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), mode)
        os.rename(temporary, place.name, src_dir_fd=parent, dst_dir_fd=parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=parent)
        raise
