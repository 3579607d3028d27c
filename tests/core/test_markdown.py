"""app/core/markdown.py: markers round-trip, refuse bad names, and are only read when leading."""

from __future__ import annotations

import pytest

from app.core.markdown import find_marker, marker


@pytest.mark.parametrize(
    ("kind", "attrs", "expected"),
    [
        ("progress", {"job": 42}, {"kind": "progress", "job": "42"}),
        ("done", {"job": "a b", "pr": 7}, {"kind": "done", "job": "a b", "pr": "7"}),
        ("reply", {"note": "--> <!-- x=y %20 é"}, {"kind": "reply", "note": "--> <!-- x=y %20 é"}),
        ("ci-limit", {"empty": ""}, {"kind": "ci-limit", "empty": ""}),
        ("help", {"job": None}, {"kind": "help"}),
        ("help", {}, {"kind": "help"}),
    ],
)
def test_markers_round_trip(
    kind: str, attrs: dict[str, str | int | None], expected: dict[str, str]
) -> None:
    text = marker(kind, **attrs)
    assert text.startswith("<!-- honk:") and text.endswith(" -->")
    assert text.count("-->") == 1
    assert find_marker(text) == expected
    assert find_marker(f"\n  {text}\nbody text") == expected


@pytest.mark.parametrize(
    ("kind", "attrs"),
    [("Help", {}), ("", {}), ("1x", {}), ("a b", {}), ("x-->", {}), ("ok", {"Job": 1})],
)
def test_marker_refuses_bad_names(kind: str, attrs: dict[str, str | int | None]) -> None:
    with pytest.raises(ValueError, match="marker kind and keys"):
        marker(kind, **attrs)


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "plain text",
        "<!-- not honk -->",
        "<!-- honk: -->",
        "<!-- honk:help",
        "text first\n<!-- honk:help -->",
        "> <!-- honk:help -->",
    ],
)
def test_find_marker_needs_a_leading_marker(body: str | None) -> None:
    assert find_marker(body) is None
