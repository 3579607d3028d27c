"""`honk doctor`'s checks of the services Honk talks to: GitHub, sign-in, Slack, the model."""

from __future__ import annotations

from dataclasses import replace

from app.agent.model import Model, ModelConfig
from app.core.config import Settings
from app.core.errors import GitHubError, ModelError, SlackError
from app.flows.doctor import (
    TIMEOUT,
    Check,
    Probe,
    database,
    failed_by,
    git,
    parsed_settings,
    sandbox,
)
from app.github.calls import RetryPolicy
from app.github.client import GitHubApp
from app.slack.client import SlackClient

APP_FIX = "check GITHUB_APP_ID, GITHUB_PRIVATE_KEY (or GITHUB_PRIVATE_KEY_PATH) and GITHUB_API_URL"
NO_RETRY = RetryPolicy(rate_limit_retries=0, server_retries=0)


async def github_app(settings: Settings) -> Check:
    """The App's JWT accepted (GET /app) and its installations counted (GET /app/installations)."""
    if settings.github_app_id is None or settings.github_private_key is None:
        return Check("github app", "failed", "set GITHUB_APP_ID and GITHUB_PRIVATE_KEY")
    app = GitHubApp(replace(settings, bot_login=None), retry=NO_RETRY, timeout=TIMEOUT)
    try:
        login = await app.bot_login()
        count = await app.installation_count()
    except GitHubError as exc:
        return failed_by("github app", exc, APP_FIX)
    if count == 0:
        fix = "install the App on a repository (its GitHub settings page, Install App)"
        return Check("github app", "failed", f"{login} has no installations: {fix}")
    return Check("github app", "ok", f"{login}, {count} installation{'s' * (count != 1)}")


async def oauth_client(settings: Settings) -> Check:
    """GitHub sign-in: both halves set (only a real sign-in proves them; nothing is sent)."""
    client_id, secret = settings.github_client_id, settings.github_client_secret
    if client_id is None and secret is None:
        hint = "set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET for sign-in and Slack linking"
        return Check("github sign-in", "not configured", hint)
    if client_id is None or secret is None:
        missing = "GITHUB_CLIENT_ID" if client_id is None else "GITHUB_CLIENT_SECRET"
        return Check("github sign-in", "failed", f"set {missing} too (from the App's settings)")
    return Check("github sign-in", "ok", f"client {client_id} at {settings.github_url}")


async def slack(settings: Settings) -> Check:
    """The bot token accepted by `auth.test`, and a way in for Slack's events."""
    token = settings.slack_bot_token
    if token is None:
        if settings.slack_app_token or settings.slack_signing_secret:
            return Check("slack", "failed", "set SLACK_BOT_TOKEN (xoxb-) too")
        return Check("slack", "not configured", "set SLACK_BOT_TOKEN to ask from Slack")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        fix = "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)"
        return Check("slack", "failed", f"no way to receive events: {fix}")
    try:
        who = await SlackClient(token.reveal(), settings.slack_api_url, timeout=10).auth_test()
    except SlackError as exc:
        return failed_by("slack", exc, "check SLACK_BOT_TOKEN and SLACK_API_URL")
    return Check("slack", "ok", who)


async def model(settings: Settings) -> Check:
    """One tiny Messages API request (max_tokens 1) with HONK_MODEL."""
    if settings.anthropic_api_key is None and settings.anthropic_base_url is None:
        return Check("model", "failed", "set ANTHROPIC_API_KEY")
    config = ModelConfig(
        model=settings.model,
        api_key=settings.anthropic_api_key,
        base_url=settings.anthropic_base_url,
        timeout=TIMEOUT,
        max_retries=0,
        max_tokens=1,
    )
    messages = [{"role": "user", "content": "ping"}]
    try:
        await Model(config).complete(system="", messages=messages, tools=[])
    except ModelError as exc:
        return failed_by("model", exc, "check ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL and HONK_MODEL")
    return Check("model", "ok", f"{settings.model} answered")


CHECKS: tuple[Probe, ...] = (
    parsed_settings, database, git, sandbox, github_app, oauth_client, slack, model,
)  # fmt: skip
