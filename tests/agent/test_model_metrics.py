"""Messages API calls counted by their final status (after the SDK's own retries)."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from app.agent.model import Model, ModelConfig
from app.core.config import Secret
from app.core.errors import ModelError
from tests.fakes.anthropic_api import BASE_URL, TOOLS, ScriptedMessagesAPI, text_block
from tests.metrics.scrape import Scrape

CALLS = "honk_model_api_calls_total"
TASK: list[dict[str, Any]] = [{"role": "user", "content": [text_block("Fix the bug.")]}]


def model(base_url: str = BASE_URL) -> Model:
    return Model(ModelConfig("claude-sonnet-4-6", Secret("sk-ant-x"), base_url, 5.0, 0))


async def test_a_call_counts_by_status(httpx2_mock: respx.Router) -> None:
    api = ScriptedMessagesAPI(httpx2_mock)
    api.reply([text_block("done")])
    api.error(401, "authentication_error", "invalid x-api-key")
    before = Scrape.own()
    await model().complete(system="", messages=TASK, tools=TOOLS)
    with pytest.raises(ModelError):
        await model().complete(system="", messages=TASK, tools=TOOLS)
    after = Scrape.own()
    assert after.moved(before, CALLS, status="200") == 1
    assert after.moved(before, CALLS, status="401") == 1


async def test_an_unreachable_api_counts_as_connection() -> None:
    before = Scrape.own()
    with pytest.raises(ModelError, match="unreachable"):
        await model("http://127.0.0.1:9").complete(system="", messages=TASK, tools=TOOLS)
    assert Scrape.own().moved(before, CALLS, status="connection") == 1
