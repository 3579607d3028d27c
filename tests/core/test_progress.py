"""app/core/progress.py: the checklist states, the figures, the run link, the PR once opened."""

from __future__ import annotations

import pytest

from app.core.progress import Outcome, Progress, Step, progress_comment, run_url

PR_URL = "https://github.com/o/r/pull/7"


@pytest.mark.parametrize(
    ("step", "outcome", "icons"),
    [
        ("queued", "running", ["⏳", "⬜", "⬜", "⬜"]),
        ("working", "running", ["✅", "⏳", "⬜", "⬜"]),
        ("testing", "failed", ["✅", "✅", "❌", "⬜"]),
        ("pr_opened", "done", ["✅", "✅", "✅", "✅"]),
        ("working", "done", ["✅", "✅", "⬜", "⬜"]),
    ],
)
def test_progress_checklist_states(step: Step, outcome: Outcome, icons: list[str]) -> None:
    progress = Progress(job_id=42, step=step, outcome=outcome)
    lines = progress_comment(progress).splitlines()
    shown = [line.split()[1] for line in lines if line.startswith("- ")]
    labels = [line.split(" ", 2)[2] for line in lines if line.startswith("- ")]
    assert shown == icons
    assert labels == ["Queued", "Working", "Testing", "PR opened"]
    assert ("/honk stop" in "\n".join(lines)) is (outcome == "running")


@pytest.mark.parametrize(
    ("progress", "figures"),
    [
        (
            Progress(
                job_id=42,
                elapsed_seconds=125,
                turns=7,
                input_tokens=12_345,
                output_tokens=1_200,
                cost_usd=0.4213,
            ),
            "2m 05s · 7 turns · 12.3k tokens in / 1.2k out · $0.42",
        ),
        (
            Progress(job_id=1, elapsed_seconds=5, input_tokens=950),
            "5s · 0 turns · 950 tokens in / 0 out · $0.00",
        ),
        (
            Progress(
                job_id=1, elapsed_seconds=3725, turns=50, input_tokens=2_500_000, cost_usd=4.999
            ),
            "1h 02m · 50 turns · 2.5M tokens in / 0 out · $5.00",
        ),
    ],
)
def test_progress_figures(progress: Progress, figures: str) -> None:
    assert figures in progress_comment(progress)


@pytest.mark.parametrize(
    ("public_url", "link"),
    [
        ("https://honk.example", "[run log](https://honk.example/runs/42)"),
        ("https://honk.example/", "[run log](https://honk.example/runs/42)"),
        (None, None),
    ],
)
def test_progress_links_the_run_when_public(public_url: str | None, link: str | None) -> None:
    text = progress_comment(Progress(job_id=42, public_url=public_url))
    assert (link in text) if link else ("run log" not in text)


def test_progress_shows_the_pr_once_opened() -> None:
    progress = Progress(job_id=1, step="pr_opened", outcome="done", pr_url=PR_URL)
    assert f"- ✅ PR opened: {PR_URL}" in progress_comment(progress)


@pytest.mark.parametrize(
    ("public_url", "job_id", "expected"),
    [
        ("https://h.example/", 4, "https://h.example/runs/4"),
        ("https://h.example", "a/b", "https://h.example/runs/a%2Fb"),
        (None, 4, None),
    ],
)
def test_run_url(public_url: str | None, job_id: int | str, expected: str | None) -> None:
    assert run_url(public_url, job_id) == expected
