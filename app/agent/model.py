"""The Messages API adapter: one call per turn, with usage and cost (the only anthropic import)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anthropic

from app.core.config import Secret, Settings
from app.core.errors import ConfigError, ContextOverflow, ModelError
from app.metrics import instruments as metrics
from app.metrics.instruments import TokenKind

log = logging.getLogger(__name__)

EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
MAX_NON_STREAMING_TOKENS = 21_000
_OVERFLOW = re.compile(
    r"prompt is too long|context (window|length)|too many (input )?tokens", re.IGNORECASE
)


@dataclass(frozen=True)
class Usage:
    """Token counts of one or more responses, as the API reports them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
        )

    def by_kind(self) -> dict[TokenKind, int]:
        return {
            "input": self.input_tokens,
            "cache_read": self.cache_read_input_tokens,
            "cache_write": self.cache_creation_input_tokens,
            "output": self.output_tokens,
        }

    @property
    def total_tokens(self) -> int:
        return (
            self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
        )


@dataclass(frozen=True)
class Price:
    """USD per million tokens; cache writes at the 5-minute TTL rate."""

    input: float
    output: float
    cache_write: float
    cache_read: float


def family_price(input_usd: float, output_usd: float) -> Price:
    """A price with Anthropic's cache multipliers: writes 1.25x input, reads 0.1x input."""
    return Price(input_usd, output_usd, input_usd * 1.25, input_usd * 0.1)


# Published list prices (USD per MTok). The longest key a model id contains wins, so the
# generation-specific keys override the family ones; override any of them with `prices=`.
DEFAULT_PRICES: Mapping[str, Price] = {
    "opus": family_price(5.0, 25.0),  # Opus 4.5 to 4.8, Opus 5
    "opus-4-0": family_price(15.0, 75.0),
    "opus-4-1": family_price(15.0, 75.0),
    "opus-4-2025": family_price(15.0, 75.0),
    "opus-5-5": family_price(4.0, 20.0),
    "sonnet": family_price(3.0, 15.0),  # Sonnet 4 to 4.6
    "sonnet-5": family_price(2.0, 10.0),  # Sonnet 5 and 5.5
    "haiku": family_price(1.0, 5.0),
    "fable": Price(10.0, 50.0, 12.5, 0.25),
}


def price_for(model: str, prices: Mapping[str, Price] | None = None) -> Price:
    """The price of `model`: the longest table key it contains; unknown → the dearest, warned."""
    table = {**DEFAULT_PRICES, **(prices or {})}
    matches = [key for key in table if key.lower() in model.lower()]
    if matches:
        return table[max(matches, key=len)]
    dearest = max(table.values(), key=lambda price: (price.output, price.input))
    log.warning(
        "no price known for model %r; budgeting with the most expensive known price "
        "($%s in / $%s out per MTok)",
        model,
        dearest.input,
        dearest.output,
    )
    return dearest


def cost_usd(usage: Usage, price: Price) -> float:
    """What `usage` costs in USD at `price`."""
    micro_usd = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_creation_input_tokens * price.cache_write
        + usage.cache_read_input_tokens * price.cache_read
    )
    return micro_usd / 1_000_000


@dataclass(frozen=True)
class ModelConfig:
    """How to reach the model; `max_tokens` stays below the non-streaming cap (~21k)."""

    model: str
    api_key: Secret | None
    base_url: str | None
    timeout: float
    max_retries: int
    max_tokens: int = 16000

    def __post_init__(self) -> None:
        if not 0 < self.max_tokens <= MAX_NON_STREAMING_TOKENS:
            raise ConfigError(
                f"max_tokens must be 1 to {MAX_NON_STREAMING_TOKENS} without streaming, "
                f"got {self.max_tokens}"
            )

    @classmethod
    def from_settings(cls, settings: Settings, *, model: str | None = None) -> ModelConfig:
        return cls(
            model=model or settings.model,
            api_key=settings.anthropic_api_key,
            base_url=settings.anthropic_base_url,
            timeout=settings.model_timeout,
            max_retries=settings.model_max_retries,
        )


@dataclass(frozen=True)
class ModelTurn:
    """One assistant response: its blocks as plain dicts (ready for the history) and its cost."""

    content: list[dict[str, Any]]
    stop_reason: str
    usage: Usage
    cost_usd: float
    request_id: str | None


class Model:
    """Calls the Messages API with prompt caching; the SDK retries 429, 5xx and 529."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        client: anthropic.AsyncAnthropic | None = None,
        prices: Mapping[str, Price] | None = None,
    ) -> None:
        self.config = config
        self.price = price_for(config.model, prices)
        self._client = client or anthropic.AsyncAnthropic(
            api_key=config.api_key.reveal() if config.api_key else None,
            base_url=config.base_url,
            max_retries=config.max_retries,
            timeout=config.timeout,
        )

    async def complete(
        self, *, system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> ModelTurn:
        """Send the history; raise ContextOverflow or ModelError when the API fails."""
        try:
            message = await self._client.messages.create(**self._request(system, messages, tools))
        except anthropic.AnthropicError as exc:
            metrics.model_call(_status(exc))
            raise self._error(exc) from exc
        metrics.model_call(200)
        usage = _usage(message.usage)
        return ModelTurn(
            content=[block.model_dump(mode="json", exclude_none=True) for block in message.content],
            stop_reason=message.stop_reason or "end_turn",
            usage=usage,
            cost_usd=cost_usd(usage, self.price),
            request_id=message._request_id,
        )

    def _request(
        self, system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.config.model,
            "max_tokens": self.config.max_tokens,
            "messages": messages,
            "tools": tools,
            "cache_control": EPHEMERAL,
        }
        if system:
            request["system"] = [{"type": "text", "text": system, "cache_control": EPHEMERAL}]
        return request

    def _error(self, exc: anthropic.AnthropicError) -> ModelError:
        if isinstance(exc, anthropic.APIStatusError):
            return _status_error(exc.status_code, exc.body, self.config.api_key)
        if isinstance(exc, anthropic.APITimeoutError):
            return ModelError("Messages API timed out after retries")
        if isinstance(exc, anthropic.APIConnectionError):
            return ModelError("Messages API unreachable after retries")
        return ModelError(_redact(f"Messages API call failed: {exc}", self.config.api_key))


def _status(exc: anthropic.AnthropicError) -> int | str:
    """The call's status for metrics: the HTTP status, or how it failed without one."""
    if isinstance(exc, anthropic.APIStatusError):
        return exc.status_code
    if isinstance(exc, anthropic.APITimeoutError):
        return "timeout"
    return "connection" if isinstance(exc, anthropic.APIConnectionError) else "error"


def _status_error(status: int, body: object, api_key: Secret | None) -> ModelError:
    kind, text = _error_body(body)
    message = _redact(f"Messages API answered {status} ({kind}): {text}"[:500], api_key)
    if status == 413 or (status == 400 and _OVERFLOW.search(text)):
        return ContextOverflow(message)
    return ModelError(message)


def _error_body(body: object) -> tuple[str, str]:
    """The error type and message of an API error body, or what is known of it."""
    error = body.get("error", body) if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("type", "error")), str(error.get("message", ""))
    return "error", str(body or "")


def _redact(text: str, api_key: Secret | None) -> str:
    if api_key is not None and api_key.reveal():
        return text.replace(api_key.reveal(), "[redacted]")
    return text


def _usage(usage: anthropic.types.Usage) -> Usage:
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_creation_input_tokens=usage.cache_creation_input_tokens or 0,
        cache_read_input_tokens=usage.cache_read_input_tokens or 0,
    )
