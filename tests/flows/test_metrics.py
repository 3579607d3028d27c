"""After a scripted job end to end (label -> PR), `/metrics` shows what it did: the delivery,
the job and its duration, its acknowledgement, the agent's turns, tokens and dollars, and the
GitHub, model and sandbox calls it made."""

from __future__ import annotations

import pytest

from tests.flows.test_e2e import open_pr
from tests.flows.world import World
from tests.metrics.scrape import Scrape

pytestmark = [pytest.mark.usefixtures("needs_sandbox")]


async def scrape(world: World) -> Scrape:
    response = await world.http.get("/metrics")
    assert response.status_code == 200, response.text
    return Scrape.parse(response.text)


async def test_a_job_moves_the_counters(world: World) -> None:
    before = await scrape(world)
    await open_pr(world)
    after = await scrape(world)

    def moved(name: str, **labels: str) -> float:
        return after.moved(before, name, **labels)

    assert moved("honk_deliveries_total", event="issues", outcome="queued") == 1
    assert moved("honk_jobs_total", kind="fix_issue", state="succeeded") == 1
    assert moved("honk_job_duration_seconds_count", kind="fix_issue") == 1
    assert moved("honk_time_to_acknowledge_seconds_count") == 1
    assert moved("honk_agent_turns_total") == 4  # the script's four replies (one: the review)
    assert moved("honk_agent_run_turns_count", status="submitted") == 1  # once per session
    assert moved("honk_model_api_calls_total", status="200") == 4
    assert moved("honk_model_tokens_total", kind="input") == 400  # 100 a reply in the script
    assert moved("honk_model_tokens_total", kind="output") == 80
    assert moved("honk_model_tokens_total", kind="cache_read") == 0
    assert moved("honk_model_cost_usd_total") > 0
    assert moved("honk_sandbox_commands_total", outcome="ok") >= 1  # the repository's tests
    github = after.total("honk_github_api_calls_total") - before.total(
        "honk_github_api_calls_total"
    )
    # Every call Honk made but one: the installation token (kept for the job's later calls
    # and for git) is minted inside the first call that needs it, counted as that call.
    minted = [r for r in world.fake.requests if r.path.endswith("/access_tokens")]
    assert len(minted) == 1  # one token for the API and git
    assert github == len(world.fake.requests) - 1
    # No 404: nothing is looked up only to find it missing (the progress comment is made at
    # once; a missing instruction file is a null in the one GraphQL answer).
    by_status = {s: moved("honk_github_api_calls_total", status=s) for s in ("200", "201", "404")}
    assert by_status["201"] >= 3 and by_status["404"] == 0  # the reaction, comment, PR...
    assert github == sum(by_status.values())
    assert after.value("honk_queue_jobs", state="queued") == 0
    assert after.value("honk_queue_oldest_age_seconds") == 0
