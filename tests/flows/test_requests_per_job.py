"""GitHub requests per job kind, counted from the fake's request log, each one named.

Every installation has 5,000 requests an hour: requests per job is what bounds the jobs an
hour one installation sustains (README, Operations). A cold job is the process's first: it
asks who the App is (`GET /app`) and the bot's user id for its commits (`GET /users/{login}`),
both kept for the process's life. A warm job follows another job of the same process, whose
repo-scoped installation token it reuses (it lasts the job) and whose collaborator permission
it finds cached (for 60 s). A regression shows as the extra or missing request, by name.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest

from app.core.commands import LIGHT_KINDS
from tests.flows.test_e2e import (
    PR_LINKS,
    commented,
    labeled,
    open_pr,
    reviewed,
    script_fix,
    suite_failed,
)
from tests.flows.world import REPO, World, script_edit

pytestmark = [
    pytest.mark.usefixtures("needs_sandbox"),
    pytest.mark.httpx2(assert_all_called=False),
]
R = "/repos/{o}/{r}"
MINT = "POST /app/installations/{n}/access_tokens"
ISSUE_TO_PR_WARM = [
    f"POST {R}/issues/{{n}}/reactions",
    f"POST {R}/issues/{{n}}/comments",  # the progress comment, made at once (its id kept)
    "POST /graphql",  # .github/honk.yml and the instruction files of the default branch
    f"GET {R}",  # the repository: default branch, clone URL (once per job)
    f"GET {R}/pulls",  # an open PR from the job's branch? (once per job)
    f"PATCH {R}/issues/comments/{{n}}",  # Testing
    f"POST {R}/pulls",
    f"PATCH {R}/issues/comments/{{n}}",  # the last word (with the PR)
]
ISSUE_TO_PR_COLD = [
    "GET /app",
    MINT,  # one token for the job's API calls and its git clone and push
    f"GET {R}/collaborators/{{u}}/permission",
    *ISSUE_TO_PR_WARM[:5],
    "GET /users/{u}",  # the bot's id, for its commits' email
    *ISSUE_TO_PR_WARM[5:],
]
FIX_PR = [
    f"POST {R}/issues/comments/{{n}}/reactions",
    f"POST {R}/issues/{{n}}/comments",
    "POST /graphql",
    f"GET {R}",
    f"GET {R}/pulls/{{n}}",
    f"GET {R}/branches/{{b}}",  # is the PR's branch protected?
    f"PATCH {R}/issues/comments/{{n}}",  # Testing (the PR's title and body stay: no PATCH)
    f"PATCH {R}/issues/comments/{{n}}",
]
REVIEW = [
    f"POST {R}/issues/{{n}}/reactions",
    f"POST {R}/issues/{{n}}/comments",
    "POST /graphql",
    f"GET {R}",
    f"GET {R}/pulls/{{n}}",
    f"GET {R}/pulls/{{n}}/reviews/{{n}}",
    f"GET {R}/pulls/{{n}}/reviews/{{n}}/comments",
    f"PATCH {R}/issues/comments/{{n}}",
    f"GET {R}/pulls/{{n}}/comments",  # Honk's reply in the thread, made at most once
    f"POST {R}/pulls/{{n}}/comments",
    f"PATCH {R}/issues/comments/{{n}}",
]
CI_FIX = [
    "POST /graphql",
    f"GET {R}/pulls/{{n}}",
    f"POST {R}/issues/{{n}}/comments",  # no 👀 (no person asked): the checklist at Working
    f"GET {R}",
    f"GET {R}/check-suites/{{n}}/check-runs",
    f"PATCH {R}/issues/comments/{{n}}",
    f"PATCH {R}/issues/comments/{{n}}",
]
STOP = [
    f"POST {R}/issues/comments/{{n}}/reactions",
    f"GET {R}/issues/{{n}}/comments",  # its answer, said once per job
    f"POST {R}/issues/{{n}}/comments",
]
RETRY = [f"POST {R}/issues/comments/{{n}}/reactions"]


def named(method: str, path: str) -> str:
    """`GET /repos/octo/widgets/issues/3/comments` as `GET /repos/{o}/{r}/issues/{n}/comments`."""
    path = path.replace(f"/repos/{REPO}", R, 1)
    path = re.sub(r"/(collaborators|users)/[^/]+", r"/\1/{u}", path)
    path = re.sub(r"/branches/.+", "/branches/{b}", path)
    return f"{method} {re.sub(r'/[0-9]+(?=/|$)', '/{n}', path)}"


async def counted(world: World, deliver: Callable[[], Awaitable[object]]) -> list[str]:
    """The requests Honk sent for the jobs the delivery queued, by name, in order."""
    await deliver()
    start = len(world.fake.requests)
    ran = await world.run_jobs()
    assert ran and all(job.state == "succeeded" for job in ran), [j.error for j in ran]
    return [named(r.method, r.path) for r in world.fake.requests[start:]]


async def issue_cold(world: World) -> list[str]:
    issue = world.repo.add_issue("add() subtracts", "calc.add(2, 3) gives -1, not 5.")
    script_fix(world)
    return await counted(world, lambda: world.deliver("issues", labeled(world, issue)))


async def issue_warm(world: World) -> list[str]:
    await open_pr(world)  # main still has the bug: a second issue about it
    return await issue_cold(world)


async def fix_pr(world: World) -> list[str]:
    _, pr = await open_pr(world)
    edit = {"command": "create", "path": "NOTES.md", "file_text": "add() adds\n"}
    script_edit(world, edit, "Add notes")
    fix = commented(world, pr, "/honk fix add notes", issue__pull_request=PR_LINKS)
    return await counted(world, lambda: world.deliver("issue_comment", fix))


async def review(world: World) -> list[str]:
    issue, pr = await open_pr(world)
    asked = world.repo.add_review(pr, "changes_requested", "Please document add().", "mona")
    first = world.repo.add_review_comment(
        pr, "Add a docstring.", "mona", review_id=asked, path="calc.py", line=1
    )
    edit = {
        "command": "insert",
        "path": "calc.py",
        "insert_line": 1,
        "insert_text": '    """Sum."""',
    }
    script_edit(world, edit, f"Document add()\n\n## Replies\n- {first}: Added.")
    event = reviewed(world, pr, asked, "changes_requested", f"honk/issue-{issue}")
    return await counted(world, lambda: world.deliver("pull_request_review", event))


async def ci_fix(world: World) -> list[str]:
    issue, pr = await open_pr(world)
    edit = {"command": "create", "path": "CHANGELOG.md", "file_text": "- add() adds\n"}
    script_edit(world, edit, "Note the fix in the changelog")
    suite = suite_failed(world, pr, f"honk/issue-{issue}")
    return await counted(world, lambda: world.deliver("check_suite", suite))


async def stop(world: World) -> list[str]:
    issue, _ = await open_pr(world)
    return await counted(
        world, lambda: world.deliver("issue_comment", commented(world, issue, "/honk stop"))
    )


async def retry(world: World) -> list[str]:
    issue, _ = await open_pr(world)
    world.worker.kinds = LIGHT_KINDS  # the retry job alone: the job it queues is counted above
    return await counted(
        world, lambda: world.deliver("issue_comment", commented(world, issue, "/honk retry"))
    )


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        pytest.param(issue_cold, ISSUE_TO_PR_COLD, id="issue-to-pr-cold"),
        pytest.param(issue_warm, ISSUE_TO_PR_WARM, id="issue-to-pr-warm"),
        pytest.param(fix_pr, FIX_PR, id="fix-pr"),
        pytest.param(review, REVIEW, id="review"),
        pytest.param(ci_fix, CI_FIX, id="ci-fix"),
        pytest.param(stop, STOP, id="stop"),
        pytest.param(retry, RETRY, id="retry"),
    ],
)
async def test_requests_per_job(
    world: World, scenario: Callable[[World], Awaitable[list[str]]], expected: list[str]
) -> None:
    sent = await scenario(world)

    # An issue job asks for its settings, repository and open PR at once: their order is the
    # order they arrive in, so the lists are compared as multisets (an extra request still
    # shows by name).
    assert sorted(sent) == sorted(expected)


async def test_an_issue_to_pr_job_makes_at_most_12_requests_in_a_cold_process(
    world: World,
) -> None:
    assert len(await issue_cold(world)) <= 12
