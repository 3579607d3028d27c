"""Descriptors beneath a root (app/agent/beneath.py): a swap after `locate` never leads outside.

Each test swaps the worktree at the worst moment, deterministically: after the path was located
and before the file operation (the window the issue's flipper hits by chance).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from app.agent import beneath
from app.agent.beneath import Outside, Place
from app.agent.editor import Editor
from app.core.errors import ToolError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root with `d/f.txt` inside, and a directory `outside` next to it with its own f.txt."""
    (tmp_path / "root" / "d").mkdir(parents=True)
    (tmp_path / "root" / "d" / "f.txt").write_text("inside\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "f.txt").write_text("outside\n")
    return tmp_path / "root"


@pytest.fixture
def place(root: Path) -> Iterator[Place]:
    located = beneath.locate(root, PurePosixPath("d/f.txt"))
    yield located
    located.close()


def swap_for_link(root: Path) -> None:
    """What the flipper does: `d` becomes a symlink to the outside directory."""
    (root / "d").rename(root / "d-moved")
    (root / "d").symlink_to(root.parent / "outside")


def test_a_read_after_the_swap_stays_in_the_located_directory(root: Path, place: Place) -> None:
    swap_for_link(root)
    with os.fdopen(beneath.open_file(place), "rb") as handle:
        assert handle.read() == b"inside\n"


def test_a_replace_after_the_swap_stays_in_the_located_directory(root: Path, place: Place) -> None:
    swap_for_link(root)
    beneath.replace_file(place, b"edited\n", 0o640)
    assert (root / "d-moved" / "f.txt").read_bytes() == b"edited\n"
    assert (root.parent / "outside" / "f.txt").read_bytes() == b"outside\n"
    assert sorted(os.listdir(root / "d-moved")) == ["f.txt"]  # no temporary file left


def test_a_create_after_the_swap_stays_in_the_located_directory(root: Path) -> None:
    place = beneath.locate(root, PurePosixPath("d/new/deeper/n.txt"))
    try:
        swap_for_link(root)
        beneath.create_file(place, b"new\n")
    finally:
        place.close()
    assert (root / "d-moved" / "new" / "deeper" / "n.txt").read_bytes() == b"new\n"
    assert sorted(os.listdir(root.parent / "outside")) == ["f.txt"]


def test_a_final_component_swapped_for_a_link_is_not_followed(root: Path, place: Place) -> None:
    (root / "d" / "f.txt").unlink()
    (root / "d" / "f.txt").symlink_to(root.parent / "outside" / "f.txt")
    with pytest.raises(OSError) as caught:
        beneath.open_file(place)
    assert caught.value.errno == errno.ELOOP


@pytest.mark.parametrize(
    ("given", "parts"),
    [
        ("d/f.txt", ["d", "f.txt"]),
        ("d/../d/./f.txt", ["d", "f.txt"]),
        ("missing/../d/f.txt", ["d", "f.txt"]),
        ("inner-link/f.txt", ["d", "f.txt"]),
        ("absolute-link/f.txt", ["d", "f.txt"]),
        ("d/sub-link", []),
        ("d/sub-link-2/f.txt", ["d", "f.txt"]),
        ("", []),
    ],
)
def test_links_and_dotdot_inside_the_root_resolve(root: Path, given: str, parts: list[str]) -> None:
    (root / "inner-link").symlink_to("d")
    (root / "absolute-link").symlink_to(root / "d")
    (root / "d" / "sub-link").symlink_to("..")
    (root / "d" / "sub-link-2").symlink_to("../d")
    place = beneath.locate(root, PurePosixPath(given))
    try:
        assert place.parts == parts
    finally:
        place.close()


@pytest.mark.parametrize(
    "given", ["../outside/f.txt", "d/../../outside", "out-link/f.txt", "up-link/outside/f.txt"]
)
def test_paths_leaving_the_root_raise_outside(root: Path, given: str) -> None:
    (root / "out-link").symlink_to(root.parent / "outside")
    (root / "up-link").symlink_to("..")
    with pytest.raises(Outside) as caught:
        beneath.locate(root, PurePosixPath(given))
    assert caught.value.where.startswith(str(root.parent))


def test_an_absolute_link_through_the_alias_of_the_root_stays_inside(tmp_path: Path) -> None:
    (tmp_path / "real" / "d").mkdir(parents=True)
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "link").symlink_to(tmp_path / "alias" / "d")
    place = beneath.locate(tmp_path / "real", PurePosixPath("link"), tmp_path / "alias")
    try:
        assert place.parts == ["d"]
    finally:
        place.close()


def test_scan_lists_without_following_links(root: Path) -> None:
    (root / "d" / "out-link").symlink_to(root.parent / "outside")
    (root / ".hidden").mkdir()
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        found = sorted(str(entry) for entry in beneath.scan(fd, 2))
    finally:
        os.close(fd)
    assert found == ["d", "d/f.txt", "d/out-link"]


def test_the_editor_closes_every_descriptor_it_opens(root: Path) -> None:
    editor = Editor(root)
    (root / "out-link").symlink_to(root.parent / "outside")
    calls: list[dict[str, object]] = [
        {"command": "view", "path": "d/f.txt"},
        {"command": "view", "path": "d"},
        {"command": "view", "path": "out-link/f.txt"},
        {"command": "view", "path": "missing/x"},
        {"command": "create", "path": "d/new/n.txt", "file_text": "n\n"},
        {"command": "str_replace", "path": "d/f.txt", "old_str": "inside", "new_str": "inside"},
        {"command": "insert", "path": ".git/x", "insert_line": 0, "insert_text": "x"},
    ]
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        for params in calls:
            with contextlib.suppress(ToolError):
                editor.run(params)
    assert len(os.listdir("/proc/self/fd")) == before
