"""Run links: with HONK_PUBLIC_URL, the progress comment and the PR body link the job's run page."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.flows.services import Services
from app.worker import Worker
from tests.flows.test_e2e import open_pr
from tests.flows.world import World

pytestmark = [pytest.mark.usefixtures("needs_sandbox"), pytest.mark.httpx2(assert_all_called=False)]
PUBLIC = "https://honk.example.test"


async def test_the_comment_and_the_pr_body_link_the_run_page(world: World) -> None:
    settings = replace(world.settings, public_url=PUBLIC)
    github = world.worker.services.github
    services = Services(settings, world.queue, github=github)
    world.worker = Worker(world.queue, settings, services=services)

    issue, _ = await open_pr(world)

    (create,) = world.fake.requests_to("POST", "/repos/octo/widgets/pulls")
    assert f"]({PUBLIC}/runs/1)" in create.json["body"]
    (comment,) = world.bot_comments(issue)
    assert f"{PUBLIC}/runs/1" in comment


async def test_without_a_public_url_nothing_links_a_run_page(world: World) -> None:
    issue, _ = await open_pr(world)

    (create,) = world.fake.requests_to("POST", "/repos/octo/widgets/pulls")
    assert "/runs/" not in create.json["body"]
    assert all("/runs/" not in comment for comment in world.bot_comments(issue))
