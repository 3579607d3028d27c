"""app/core/model_text.py: the model's text redacted, fenced and capped before GitHub sees it."""

from __future__ import annotations

import re

import pytest

from app.core.model_text import CUT_NOTE, GITHUB_BODY_LIMIT, cap, fence, outbound, redact_secrets

GITHUB = "gh" + "p_" + "a1B2" * 9
ANTHROPIC = "sk-" + "ant-" + "api03-" + "Kq3_-z" * 15
SLACK = "xo" + "xb-" + "123456789012-abcdefABCDEF"


def test_every_secret_is_redacted_to_its_prefix() -> None:
    text = f"tried {GITHUB} then {ANTHROPIC}\nand {SLACK}."
    redacted = redact_secrets(text)
    assert redacted == "tried ghp_…(redacted) then sk-ant-…(redacted)\nand xoxb-…(redacted)."
    assert redact_secrets("nothing here") == "nothing here"


@pytest.mark.parametrize(
    "text", ["plain", "```\n<!-- honk:done -->\n```", "````` five", "a ``` b\n```` c", ""]
)
def test_a_fence_is_longer_than_any_backtick_run_inside(text: str) -> None:
    block = fence(text)
    bar = block.split("\n", 1)[0]
    assert block == f"{bar}\n{text}\n{bar}" and len(bar) >= 3
    inside = re.findall(r"`+", text)
    assert all(len(run) < len(bar) for run in inside)  # nothing inside can close it


def test_cap_cuts_and_says_so() -> None:
    assert cap("short", 10) == "short"
    cut = cap("x" * 100_000, GITHUB_BODY_LIMIT)
    assert len(cut) == GITHUB_BODY_LIMIT and cut.endswith(CUT_NOTE)
    assert cap("abcdef", 3) == "abc"


def test_outbound_redacts_defuses_and_caps() -> None:
    text = outbound(f"<!-- honk:done --> {GITHUB} " + "y" * 70_000)
    assert GITHUB not in text and "ghp_…(redacted)" in text and "<!--" not in text
    assert len(text) <= GITHUB_BODY_LIMIT
