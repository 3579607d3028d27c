"""Flow test fixtures: `needs_sandbox` skips (or fails under CI=true) without a real sandbox;
`world` is the end-to-end world with `mona` as a writer; `e2e` serves it through Honk's app with
the Slack route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import respx

from tests.fakes.sandbox_probe import probed_sandbox
from tests.flows.slack_e2e import SlackE2E, open_slack_e2e
from tests.flows.slack_world import SlackWorld, open_slack_world
from tests.flows.world import World, open_world


@pytest.fixture
def needs_sandbox() -> None:
    """Use with `pytest.mark.usefixtures("needs_sandbox")` in modules that run the sandbox."""
    probed_sandbox("auto")


@pytest.fixture
async def world(tmp_path: Path, httpx2_mock: respx.Router) -> AsyncIterator[World]:
    async with open_world(tmp_path, httpx2_mock) as world:
        world.repo.set_permission("mona", "write")
        yield world


@pytest.fixture
async def slack_world(world: World) -> AsyncIterator[SlackWorld]:
    """`world` with a fake Slack; mona (write) is linked to the Slack person USER_ID."""
    async with open_slack_world(world) as opened:
        yield opened


@pytest.fixture
async def e2e(world: World) -> AsyncIterator[SlackE2E]:
    """`world` behind Honk's web app with its Slack route (HTTP mode), the fake OAuth and Slack."""
    async with open_slack_e2e(world) as opened:
        yield opened
