"""The Messages API adapter against a scripted API on loopback: caching, usage, cost, errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import respx

from app.agent.model import (
    DEFAULT_PRICES,
    Model,
    ModelConfig,
    Price,
    Usage,
    cost_usd,
    price_for,
)
from app.core.config import Secret, Settings
from app.core.errors import ConfigError, ContextOverflow, ModelError
from tests.fakes.anthropic_api import BASE_URL, TOOLS, ScriptedMessagesAPI, bash, text_block, usage

API_KEY = "sk-ant-api03-test-key-never-shown"
TASK: list[dict[str, Any]] = [{"role": "user", "content": [text_block("Fix the bug.")]}]


@pytest.fixture
def api(httpx2_mock: respx.Router) -> ScriptedMessagesAPI:
    return ScriptedMessagesAPI(httpx2_mock)


def make_model(model: str = "claude-sonnet-4-6", max_retries: int = 2) -> Model:
    config = ModelConfig(model, Secret(API_KEY), BASE_URL, timeout=10.0, max_retries=max_retries)
    return Model(config)


async def complete(model: Model) -> Any:
    return await model.complete(system="You are Honk.", messages=TASK, tools=TOOLS)


def test_usage_adds_every_field_and_totals() -> None:
    total = Usage(10, 2, 300, 4000) + Usage(1, 20, 3, 40)
    assert total == Usage(11, 22, 303, 4040)
    assert total.total_tokens == 11 + 22 + 303 + 4040


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 1M uncached in, 1M out, 1M cache writes (1.25x in), 1M cache reads (0.1x in)
        ("claude-opus-4-6", 5 + 25 + 6.25 + 0.5),
        ("claude-sonnet-4-6", 3 + 15 + 3.75 + 0.3),
        ("claude-haiku-4-5-20251001", 1 + 5 + 1.25 + 0.1),
    ],
)
def test_cost_of_a_million_tokens_of_each_kind(model: str, expected: float) -> None:
    million = Usage(1_000_000, 1_000_000, 1_000_000, 1_000_000)
    assert cost_usd(million, price_for(model)) == pytest.approx(expected)


def test_unknown_family_is_priced_as_the_dearest_and_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.agent.model"):
        price = price_for("mystery-model-9")
    assert price == max(DEFAULT_PRICES.values(), key=lambda p: (p.output, p.input))
    assert price.output >= 75.0
    assert "mystery-model-9" in caplog.text
    assert "most expensive" in caplog.text


@pytest.mark.parametrize(
    ("model", "overrides", "expected_input"),
    [
        ("claude-sonnet-4-6", {"sonnet": Price(2, 10, 2.5, 0.2)}, 2),
        ("claude-sonnet-4-6", None, 3),
        ("claude-sonnet-5-5", None, 2),
        ("claude-opus-5-5", None, 4),
        ("claude-opus-4-7", None, 5),
        ("claude-fable-5-1", None, 10),
        ("claude-opus-4-1", {"opus-4-1": Price(15, 75, 18.75, 1.5)}, 15),
        ("claude-opus-4-6", {"opus-4-1": Price(15, 75, 18.75, 1.5)}, 5),
        ("claude-fable-5", {"fable": Price(10, 50, 12.5, 1)}, 10),
    ],
)
def test_prices_can_be_overridden_and_the_longest_key_wins(
    model: str, overrides: dict[str, Price] | None, expected_input: float
) -> None:
    assert price_for(model, overrides).input == expected_input


def test_config_from_settings_uses_the_model_settings() -> None:
    settings = Settings(
        anthropic_api_key=Secret(API_KEY),
        anthropic_base_url=BASE_URL,
        model_timeout=42.0,
        model_max_retries=7,
    )
    config = ModelConfig.from_settings(settings, model="claude-haiku-4-5")
    assert config == ModelConfig("claude-haiku-4-5", Secret(API_KEY), BASE_URL, 42.0, 7)
    assert ModelConfig.from_settings(settings).model == settings.model
    assert config.max_tokens < 21_000
    assert API_KEY not in repr(config)


@pytest.mark.parametrize("max_tokens", [0, 32_000])
def test_config_refuses_max_tokens_the_non_streaming_api_refuses(max_tokens: int) -> None:
    with pytest.raises(ConfigError, match="max_tokens"):
        ModelConfig("claude-sonnet-4-6", None, None, 10.0, 0, max_tokens=max_tokens)


async def test_request_carries_caching_markers_tools_and_limits(api: ScriptedMessagesAPI) -> None:
    api.reply([text_block("done")])
    await complete(make_model())
    [body] = api.requests
    assert body["system"] == [
        {"type": "text", "text": "You are Honk.", "cache_control": {"type": "ephemeral"}}
    ]
    assert body["cache_control"] == {"type": "ephemeral"}
    assert body["tools"] == TOOLS
    assert body["messages"] == TASK
    assert (body["model"], body["max_tokens"]) == ("claude-sonnet-4-6", 16000)


async def test_turn_has_plain_blocks_usage_cost_and_request_id(api: ScriptedMessagesAPI) -> None:
    call = bash("pytest -q", tool_id="toolu_1")
    api.reply([text_block("Running tests."), call], "tool_use", usage(1000, 200, 3000, 50_000))
    turn = await complete(make_model())
    assert turn.content == [{"type": "text", "text": "Running tests."}, call]
    assert turn.stop_reason == "tool_use"
    assert turn.usage == Usage(1000, 200, 3000, 50_000)
    expected = (1000 * 3 + 200 * 15 + 3000 * 3.75 + 50_000 * 0.3) / 1e6
    assert turn.cost_usd == pytest.approx(expected)
    assert turn.request_id is not None
    assert turn.request_id.startswith("req_")


async def test_returned_content_is_accepted_back_verbatim(api: ScriptedMessagesAPI) -> None:
    api.reply([text_block("Look."), bash("ls", tool_id="toolu_9")], "tool_use")
    api.reply([text_block("done")])
    model = make_model()
    first = await complete(model)
    history = [*TASK, {"role": "assistant", "content": first.content}]
    await model.complete(system="s", messages=history, tools=TOOLS)
    assert api.requests[1]["messages"][1]["content"] == first.content


@pytest.mark.parametrize("failure", ["rate_limited", "overloaded"])
async def test_429_and_529_are_retried_by_the_sdk(api: ScriptedMessagesAPI, failure: str) -> None:
    getattr(api, failure)()
    getattr(api, failure)()
    api.reply([text_block("finally")])
    turn = await complete(make_model(max_retries=2))
    assert turn.content == [text_block("finally")]
    assert len(api.requests) == 3


@pytest.mark.parametrize(
    ("status", "error_type", "message", "requests"),
    [
        (529, "overloaded_error", "Overloaded", 2),
        (401, "authentication_error", f"invalid x-api-key {API_KEY}", 1),
        (400, "invalid_request_error", "tools.0: unknown type", 1),
    ],
)
async def test_failures_after_retries_are_model_errors_without_the_key(
    api: ScriptedMessagesAPI, status: int, error_type: str, message: str, requests: int
) -> None:
    for _ in range(requests):
        api.error(status, error_type, message)
    with pytest.raises(ModelError) as caught:
        await complete(make_model(max_retries=1))
    assert not isinstance(caught.value, ContextOverflow)
    assert f"{status} ({error_type})" in str(caught.value)
    assert API_KEY not in str(caught.value)
    assert len(api.requests) == requests


async def test_prompt_too_long_is_a_context_overflow(api: ScriptedMessagesAPI) -> None:
    api.prompt_too_long()
    with pytest.raises(ContextOverflow, match="prompt is too long"):
        await complete(make_model())
    assert len(api.requests) == 1


async def test_unreachable_api_is_a_model_error() -> None:
    config = ModelConfig("claude-sonnet-4-6", Secret(API_KEY), "http://127.0.0.1:9", 5.0, 0)
    with pytest.raises(ModelError, match="unreachable"):
        await complete(Model(config))


async def test_key_is_sent_and_default_base_url_honours_the_environment(
    api: ScriptedMessagesAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", BASE_URL)
    api.reply([text_block("ok")])
    config = ModelConfig("claude-sonnet-4-6", Secret(API_KEY), None, 5.0, 0)
    await complete(Model(config))
    [headers] = api.headers
    assert any(API_KEY in value for value in headers.values())
