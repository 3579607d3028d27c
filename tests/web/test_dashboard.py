"""The dashboard: who sees which runs, filters and pages, the run page, Cancel/Retry, SSE."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.store.accounts import GitHubUser
from app.store.engine import Store
from app.web import dashboard
from app.web.dashboard_access import csrf_token
from app.web.dashboard_runs import read_records
from app.web.signin import SESSION_COOKIE
from tests.conftest import ManualClock
from tests.web.dashboard_world import ADMIN, HUBOT, MONA, SLACK, World, build_world

HOSTILE = "<script>alert('owned')</script>"
PR_URL = "https://github.test/octo/app/pull/9"


@pytest.fixture
async def world(tmp_path: Path, store: Store, clock: ManualClock) -> World:
    world = build_world(tmp_path, store, clock)
    await world.person(MONA, {"octo/app": True, "octo/docs": False})
    await world.person(HUBOT, {"hubot/site": True})
    await world.person(ADMIN, {})
    return world


def run_ids(html: str) -> set[int]:
    return {int(found) for found in re.findall(r'href="/runs/(\d+)"', html)}


async def three_repos(world: World) -> dict[str, int]:
    return {
        "app": await world.job("octo/app", 1),
        "docs": await world.job("octo/docs", 2, sender="hubot"),
        "site": await world.job("hubot/site", 3, sender="hubot"),
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("mona", {"app", "docs"}),
        ("hubot", {"site"}),
        ("admin", {"app", "docs", "site"}),
        ("token", {"app", "docs", "site"}),
    ],
)
async def test_each_viewer_sees_the_runs_of_repositories_they_can_read(
    world: World, who: str, sees: set[str]
) -> None:
    ids = await three_repos(world)
    people = {"mona": MONA, "hubot": HUBOT, "admin": ADMIN}
    client = world.operator() if who == "token" else world.client(people[who])
    async with client:
        page = await client.get("/")
        listed = await client.get("/api/jobs")
        runs = {name: (await client.get(f"/runs/{ids[name]}")).status_code for name in ids}
    assert page.status_code == 200
    assert run_ids(page.text) == {ids[name] for name in sees}
    assert {job["id"] for job in listed.json()["jobs"]} == {ids[name] for name in sees}
    assert runs == {name: 200 if name in sees else 404 for name in ids}


async def test_anonymous_gets_the_home_page_and_sign_in(world: World) -> None:
    ids = await three_repos(world)
    async with world.client() as client:
        home = await client.get("/")
        run = await client.get(f"/runs/{ids['app']}")
        api = await client.get("/api/jobs")
        wrong = await client.get("/api/jobs", headers={"authorization": "Bearer nope"})
    assert "/auth/github/login" in home.text and not run_ids(home.text)
    assert (run.status_code, run.headers["location"]) == (302, "/auth/github/login")
    assert api.status_code == wrong.status_code == 401


async def test_the_repositories_are_asked_of_github_once_per_minute(world: World) -> None:
    async with world.client(MONA) as client:
        await client.get("/")
        await client.get("/api/jobs")
        assert world.repos.calls == 1
        world.clock.advance(61)
        await client.get("/api/jobs")
    assert world.repos.calls == 2


async def test_filters_and_keyset_pages(world: World) -> None:
    made = [await world.job("octo/app", n, sender="mona" if n % 2 else "Hubot") for n in range(120)]
    await world.job("octo/docs", 500, state="failed")
    async with world.operator() as client:
        first = (await client.get("/api/jobs", params={"repo": "octo/app"})).json()
        more = {"repo": "octo/app", "before": first["next_before"]}
        second = (await client.get("/api/jobs", params=more)).json()
        hubot = (await client.get("/api/jobs", params={"person": "hubot"})).json()
        failed = (await client.get("/api/jobs", params={"state": "failed"})).json()
        html = (await client.get("/", params={"person": "hubot"})).text
    assert [job["id"] for job in first["jobs"]] == made[::-1][:50]
    assert [job["id"] for job in second["jobs"]] == made[::-1][50:100]
    assert {job["requester"] for job in hubot["jobs"]} == {"Hubot"}
    assert [job["repo"] for job in failed["jobs"]] == ["octo/docs"]
    assert "before=" in html and "person=hubot" in html


async def test_run_page_renders_the_transcript_with_hostile_text_escaped(world: World) -> None:
    job_id = await world.job(
        "octo/app", 7, body=HOSTILE, state="succeeded", cost_usd=0.25,
        result={"pr": 9, "pr_url": PR_URL, "turns": 2, "tests": True},
    )  # fmt: skip
    usage = {"input_tokens": 100, "output_tokens": 50,
             "cache_creation_input_tokens": 100, "cache_read_input_tokens": 800}  # fmt: skip
    world.transcript(job_id, [
        {"seq": 1, "type": "task", "task": "fix it"},
        {"seq": 2, "type": "model", "turn": 1, "content": [{"type": "text", "text": HOSTILE}],
         "usage": usage, "cost_usd": 0.25},
        {"seq": 3, "type": "tool", "turn": 1, "name": "bash", "input": {"command": "make test"},
         "output": f"FAILED {HOSTILE}", "is_error": False},
        {"seq": 4, "type": "tool", "turn": 1, "name": "str_replace_based_edit_tool",
         "input": {"command": "str_replace", "path": "a.py", "old_str": "x = 1",
                   "new_str": "x = 2"},
         "output": "ok", "is_error": False},
        {"seq": 5, "type": "end", "status": "submitted", "reason": "done", "turns": 1},
    ])  # fmt: skip
    async with world.client(MONA) as client:
        page = (await client.get(f"/runs/{job_id}")).text
        api = (await client.get(f"/api/jobs/{job_id}")).json()
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "<details><summary><code>$ make test</code>" in page
    assert '<span class="del">-x = 1</span><span class="add">+x = 2</span>' in page
    assert "80% of input from cache" in page and "Tests: passed" in page
    assert 'href="https://github.test/octo/app/pull/9"' in page
    assert api["usage"]["cache_share"] == 0.8 and api["tests"]["passed"] is True
    assert api["request"].endswith(HOSTILE) and len(api["transcript"]) == 5


async def test_a_slack_run_says_so_with_a_link(world: World) -> None:
    job_id = await world.job("octo/app", 4, slack=SLACK)
    async with world.client(MONA) as client:
        line = (await client.get("/api/jobs")).json()["jobs"][0]
        page = (await client.get(f"/runs/{job_id}")).text
    assert line["surface"] == "Slack" and "team=T1&channel=C1" in line["slack_url"]
    assert "fix it from slack" in page


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_cancel_needs_the_csrf_token_of_the_session(world: World) -> None:
    job_id = await world.job("octo/app", 1)
    async with world.client(MONA) as client:
        token = csrf_of((await client.get(f"/runs/{job_id}")).text)
        missing = await client.post(f"/runs/{job_id}/cancel", data={})
        forged = await client.post(f"/runs/{job_id}/cancel", data={"csrf": token + "x"})
        assert (await world.queue.get(job_id)).state == "queued"  # type: ignore[union-attr]
        done = await client.post(f"/runs/{job_id}/cancel", data={"csrf": token})
    async with world.client(ADMIN) as admin:
        other_session = await admin.post(f"/runs/{job_id}/cancel", data={"csrf": token})
    assert missing.status_code == forged.status_code == other_session.status_code == 403
    assert done.status_code == 303
    assert (await world.queue.get(job_id)).state == "cancelled"  # type: ignore[union-attr]


async def test_a_running_run_asked_to_stop_says_so_instead_of_offering_cancel(
    world: World,
) -> None:
    job_id = await world.job("octo/app", 1, state="running")
    async with world.client(MONA) as client:
        token = csrf_of((await client.get(f"/runs/{job_id}")).text)
        done = await client.post(f"/runs/{job_id}/cancel", data={"csrf": token})
        page = (await client.get(f"/runs/{job_id}")).text
    assert done.status_code == 303
    assert "Stop requested" in page and "Cancel</button>" not in page


@pytest.mark.parametrize(("person", "allowed"), [(ADMIN, True), (MONA, False)])
async def test_cancel_needs_write_access_or_admin(
    world: World, person: GitHubUser, allowed: bool
) -> None:
    job_id = await world.job("octo/docs", 2)  # mona reads octo/docs, cannot push
    async with world.client(person) as client:
        page = (await client.get(f"/runs/{job_id}")).text
        token = csrf_token(world.signin.sealer(), client.cookies[SESSION_COOKIE], world.clock())
        answer = await client.post(f"/runs/{job_id}/cancel", data={"csrf": token})
    assert ("Cancel</button>" in page) is allowed
    assert answer.status_code == (303 if allowed else 403)


async def test_the_dashboard_token_reads_but_cannot_control(world: World) -> None:
    job_id = await world.job("octo/app", 1)
    async with world.operator() as client:
        page = (await client.get(f"/runs/{job_id}")).text
        answer = await client.post(f"/runs/{job_id}/cancel", data={"csrf": "x"})
    assert "Cancel</button>" not in page and answer.status_code == 403


async def test_retry_queues_the_run_again_and_wakes_a_worker(world: World) -> None:
    job_id = await world.job("octo/app", 1, state="failed", error="boom")
    async with world.client(MONA) as client:
        token = csrf_of((await client.get(f"/runs/{job_id}")).text)
        refused = await client.post(f"/runs/{job_id}/retry")
        answer = await client.post(f"/runs/{job_id}/retry", data={"csrf": token})
    assert refused.status_code == 403
    assert answer.status_code == 303
    new_id = int(answer.headers["location"].rsplit("/", 1)[1])
    again = await world.queue.get(new_id)
    assert new_id != job_id and again is not None and again.state == "queued"
    assert again.command.body == "Please fix the flaky test." and world.woken == [True]


async def test_events_stream_a_new_step_then_the_end(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await world.job("octo/app", 1, state="running", started_at=world.clock())
    path = world.transcript(job_id, [{"seq": 1, "type": "task", "task": "fix"}])
    offset = path.stat().st_size
    reads: list[int] = []

    def counted(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        reads.append(offset)
        return read_records(path, offset)

    monkeypatch.setattr(dashboard, "read_records", counted)

    async def polled(times: int) -> None:
        while len(reads) < times:
            await asyncio.sleep(0.005)

    async def agent_works() -> None:  # each change after the stream has looked once more
        await polled(1)
        world.transcript(job_id, [{"seq": 2, "type": "tool", "turn": 1, "name": "bash",
                                    "input": {"command": HOSTILE}, "output": "ok"}])  # fmt: skip
        await polled(len(reads) + 2)
        await world.job_state(job_id, "succeeded")

    async with world.client(MONA) as client:
        working = asyncio.create_task(agent_works())
        response = await client.get(f"/runs/{job_id}/events", params={"from": offset})
        await working
    assert response.headers["content-type"].startswith("text/event-stream")
    events = re.findall(r"event: (\w+)\ndata: (.*)", response.text)
    assert [name for name, _ in events] == ["state", "steps", "state", "end"]
    assert json.loads(events[0][1]) == {"state": "running"}
    assert json.loads(events[2][1]) == {"state": "succeeded"}
    assert "&lt;script&gt;" in events[1][1] and "task given" not in response.text


async def test_aggregates_on_the_home_page(world: World) -> None:
    for state, cost in [("succeeded", 1.0), ("succeeded", 0.5), ("failed", 0.5)]:
        await world.job("octo/app", 10 + int(cost * 10), state=state, cost_usd=cost)
    async with world.operator() as client:
        page = (await client.get("/")).text
    assert "Success rate: 67%" in page and "(2 of 3 ended)" in page
    assert "octo/app</td><td>$2.00" in page


async def test_unreachable_github_is_a_clear_page(world: World) -> None:
    world.repos.by_token.clear()
    async with world.client(MONA) as client:
        answer = await client.get("/")
    assert answer.status_code == 502 and "401" in answer.text


def test_phone_friendly_pages_have_a_viewport() -> None:
    from app.web.dashboard_views import ENV

    assert 'name="viewport"' in ENV.get_template("base.html").render()


async def test_the_server_serves_the_dashboard(tmp_path: Path) -> None:
    from app.web.server import create_app
    from tests.web.dashboard_world import DASHBOARD_TOKEN, make_settings

    app = create_app(make_settings(tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        page = await client.get("/", headers={"authorization": f"Bearer {DASHBOARD_TOKEN}"})
    assert page.status_code == 200 and "Jobs" in page.text


async def test_run_page_shows_the_review_and_the_tests_honk_ran(world: World) -> None:
    job_id = await world.job("octo/app", 8, state="succeeded")
    world.transcript(job_id, [
        {"seq": 1, "type": "task", "task": "fix it"},
        {"seq": 2, "type": "review", "diff_chars": 40},
        {"seq": 3, "type": "follow_up", "about": "review", "text": f"<diff>{HOSTILE}</diff>"},
        {"seq": 4, "type": "tests", "round": 0, "command": "pytest -q", "passed": False,
         "verdict": "failed (1 failing)", "output": "E assert 1 == 2", "seconds": 0.1},
        {"seq": 5, "type": "follow_up", "about": "tests", "text": "Honk ran the tests"},
        {"seq": 6, "type": "tests", "skipped": "no further fix round: turn budget used"},
    ])  # fmt: skip
    async with world.client(MONA) as client:
        page = (await client.get(f"/runs/{job_id}")).text
    assert "given to the agent: its own diff, to review" in page and HOSTILE not in page
    assert "<code>$ Honk ran pytest -q: failed (1 failing)</code> (error)" in page
    assert "given to the agent: the failing tests, handed back" in page
    assert "tests round skipped: no further fix round: turn budget used" in page
