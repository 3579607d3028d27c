"""Honk's comments through the served fake: upsert by marker, forged markers ignored, reactions."""

from __future__ import annotations

from typing import Literal

import pytest

from app.core.markdown import marker
from tests.fakes.github.session import REPO, GitHubSession

BOT = "honk[bot]"


def progress(job: int, text: str) -> str:
    return f"{marker('progress', job=job)}\n{text}"


async def test_upsert_creates_once_then_edits_in_place(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug", user="alice")

    first = await gh.client.upsert_comment(number, "progress", progress(7, "Queued"), job=7)
    second = await gh.client.upsert_comment(number, "progress", progress(7, "Working"), job=7)

    assert first == second
    [create] = gh.fake.requests_to("POST", f"/repos/{REPO}/issues/{number}/comments")
    assert create.json == {"body": progress(7, "Queued")}
    [edit] = gh.fake.requests_to("PATCH", f"/repos/{REPO}/issues/comments/{first}")
    assert edit.json == {"body": progress(7, "Working")}
    stored = gh.repo.comments[first]
    assert (stored.user, stored.body) == (BOT, progress(7, "Working"))


async def test_upsert_with_an_unchanged_body_sends_no_edit(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    await gh.client.upsert_comment(number, "progress", progress(1, "Queued"), job=1)
    await gh.client.upsert_comment(number, "progress", progress(1, "Queued"), job=1)

    assert gh.fake.requests_to("PATCH", r".*") == []


async def test_a_forged_marker_from_someone_else_is_ignored(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    forged = gh.repo.add_comment(number, progress(7, "not Honk"), "mallory")
    other_job = gh.repo.add_comment(number, progress(8, "Honk, other job"), BOT)

    assert await gh.client.find_own_comment(number, "progress", job=7) is None
    assert await gh.client.find_own_comment(number, "progress", job=8) == (
        other_job,
        progress(8, "Honk, other job"),
    )
    created = await gh.client.upsert_comment(number, "progress", progress(7, "Honk"), job=7)

    assert created not in (forged, other_job)
    assert gh.repo.comments[forged].body == progress(7, "not Honk")


async def test_a_marker_not_at_the_start_does_not_count(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    gh.repo.add_comment(number, "quoting: " + progress(7, "x"), BOT)

    assert await gh.client.find_own_comment(number, "progress", job=7) is None


async def test_own_comment_is_found_past_the_first_page(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Busy issue")
    for index in range(120):
        gh.repo.add_comment(number, f"+1 ({index})", "alice")
    own = gh.repo.add_comment(number, progress(3, "Working"), BOT)

    assert await gh.client.find_own_comment(number, "progress", job=3) == (
        own,
        progress(3, "Working"),
    )
    pages = gh.fake.requests_to("GET", f"/repos/{REPO}/issues/{number}/comments")
    assert [r.query for r in pages] == [
        {"per_page": "100", "page": "1"},
        {"per_page": "100", "page": "2"},
    ]


async def test_upsert_refuses_a_body_without_its_marker(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")

    with pytest.raises(ValueError, match="marker"):
        await gh.client.upsert_comment(number, "progress", progress(8, "wrong job"), job=7)

    assert gh.fake.requests == []


@pytest.mark.parametrize("kind", ["comment", "issue"])
async def test_reacting_twice_is_fine(gh: GitHubSession, kind: Literal["comment", "issue"]) -> None:
    number = gh.repo.add_issue("Bug")
    comment = gh.repo.add_comment(number, "/honk fix", "alice")
    target, path = {
        "comment": (comment, f"/repos/{REPO}/issues/comments/{comment}/reactions"),
        "issue": (number, f"/repos/{REPO}/issues/{number}/reactions"),
    }[kind]

    await gh.client.react(kind, target)
    await gh.client.react(kind, target)

    assert [r.json for r in gh.fake.requests_to("POST", path)] == [{"content": "eyes"}] * 2
    [reaction] = gh.repo.reactions
    assert (reaction.subject, reaction.subject_id, reaction.user) == (kind, target, BOT)


async def test_edit_comment_sends_only_the_body(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    comment = await gh.client.create_comment(number, "first")

    await gh.client.edit_comment(comment, "second")

    [edit] = gh.fake.requests_to("PATCH", f"/repos/{REPO}/issues/comments/{comment}")
    assert edit.json == {"body": "second"}
    assert gh.repo.comments[comment].body == "second"


async def test_a_comment_posted_behind_a_502_is_found_not_posted_again(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    path = f"/repos/{REPO}/issues/{number}/comments"
    gh.fake.fail_next("POST", path, 502, after=True)  # GitHub made it; the answer was lost

    made = await gh.client.create_comment(number, "Honk is stopping job 3.")

    assert len(gh.fake.requests_to("POST", path)) == 1  # looked, found, not posted again
    assert [c.id for c in gh.repo.comments.values() if c.number == number] == [made]


async def test_a_comment_refused_with_a_502_is_posted_once_more_after_looking(
    gh: GitHubSession,
) -> None:
    number = gh.repo.add_issue("Bug")
    path = f"/repos/{REPO}/issues/{number}/comments"
    gh.fake.fail_next("POST", path, 502)  # nothing was made

    made = await gh.client.create_comment(number, "Honk is stopping job 3.")

    methods = [r.method for r in gh.fake.requests if r.path.startswith(path)]
    assert methods == ["POST", "GET", "POST"]
    assert gh.repo.comments[made].body == "Honk is stopping job 3."


def stop_answer(job: int, text: str) -> str:
    return f"{marker('stop', job=job)}\n{text}"


async def test_create_once_creates_then_finds_and_leaves_it_as_it_is(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    path = f"/repos/{REPO}/issues/{number}/comments"

    first = await gh.client.create_comment_once(
        number, "stop", stop_answer(4, "Honk is stopping job 3."), job=4
    )
    again = await gh.client.create_comment_once(
        number, "stop", stop_answer(4, "Honk has nothing to stop."), job=4
    )

    assert again == first
    assert len(gh.fake.requests_to("POST", path)) == 1
    assert gh.fake.requests_to("PATCH", r".*") == []
    assert gh.repo.comments[first].body == stop_answer(4, "Honk is stopping job 3.")


async def test_create_once_ignores_other_jobs_and_other_authors(gh: GitHubSession) -> None:
    number = gh.repo.add_issue("Bug")
    forged = gh.repo.add_comment(number, stop_answer(4, "forged"), "mallory")
    other_job = gh.repo.add_comment(number, stop_answer(5, "Honk, other job"), BOT)

    made = await gh.client.create_comment_once(number, "stop", stop_answer(4, "Honk"), job=4)

    assert made not in (forged, other_job)
    assert (gh.repo.comments[made].user, gh.repo.comments[made].body) == (
        BOT,
        stop_answer(4, "Honk"),
    )


@pytest.mark.parametrize(
    ("body", "attrs"),
    [(stop_answer(4, "x"), {"job": 5}), (f"{marker('stop')}\nx", {})],
    ids=["marker-names-another-job", "no-attrs"],
)
async def test_create_once_refuses_a_body_it_could_not_find_again(
    gh: GitHubSession, body: str, attrs: dict[str, int]
) -> None:
    number = gh.repo.add_issue("Bug")

    with pytest.raises(ValueError, match="honk:stop"):
        await gh.client.create_comment_once(number, "stop", body, **attrs)

    assert gh.fake.requests == []
