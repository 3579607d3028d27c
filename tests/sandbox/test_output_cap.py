"""A command's output cut to head and tail in bounded memory (app/sandbox/output_cap.py)."""

from __future__ import annotations

import pytest

from app.sandbox.output_cap import OutputCap, count_utf8_chars, truncate_middle


@pytest.mark.parametrize("unit", ["x", "é", "€", "😀", "ab\n"])
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_output_cap_keeps_head_and_tail_within_bounded_memory(unit: str, chunk: int) -> None:
    text = "".join(f"{n}{unit}" for n in range(20_000))
    data = text.encode()
    cap = OutputCap(1000)
    for start in range(0, len(data), chunk):
        cap.add(data[start : start + chunk])
        assert len(cap.head) + len(cap.tail) <= 2 * cap.window
    assert cap.render() == truncate_middle(text, 1000)


@pytest.mark.parametrize("text", ["", "short", "é" * 600, "a" * 1000])
def test_output_cap_leaves_short_output_whole(text: str) -> None:
    cap = OutputCap(1000)
    cap.add(text.encode())
    assert cap.render() == (text, False)


@pytest.mark.parametrize(("text", "chars"), [("abc", 3), ("é€😀", 3), ("", 0)])
def test_count_utf8_chars(text: str, chars: int) -> None:
    assert count_utf8_chars(text.encode()) == chars
