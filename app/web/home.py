"""The home page: what is configured, and what an operator still has to do."""

from __future__ import annotations

from html import escape

from app.core.config import Settings

_SETUP_LINK = (
    "<p>No GitHub App is set up yet: <a href='/setup'>set up Honk's GitHub App</a> "
    "in a few clicks.</p>"
)

_REGISTER_STEPS = """
<ol>
<li>Create a GitHub App (Settings → Developer settings → GitHub Apps → New) with the events and
permissions listed in <code>app.yml</code>; webhook URL <code>{webhook}</code>, a webhook secret
of your choosing.</li>
<li>Generate a private key for the app; install the app on the repositories Honk may work on.</li>
<li>Set <code>GITHUB_APP_ID</code>, <code>GITHUB_PRIVATE_KEY_PATH</code> (or
<code>GITHUB_PRIVATE_KEY</code>), <code>GITHUB_WEBHOOK_SECRET</code> and
<code>ANTHROPIC_API_KEY</code> in the environment or in <code>.env</code>, then restart Honk.</li>
</ol>
"""


def missing_settings(settings: Settings) -> list[str]:
    """The variables Honk still needs before it can take work from GitHub."""
    wanted = {
        "GITHUB_APP_ID": settings.github_app_id,
        "GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH": settings.github_private_key,
        "GITHUB_WEBHOOK_SECRET": settings.github_webhook_secret,
        "ANTHROPIC_API_KEY": settings.anthropic_api_key,
    }
    return [name for name, value in wanted.items() if value is None]


_ANYONE = (
    "<p>Honk is running. Its configuration status is shown to operators (the header "
    "<code>Authorization: Bearer</code> with <code>HONK_DASHBOARD_TOKEN</code>) and in the "
    "server's log when it starts.</p>"
)


def status_html(settings: Settings, *, operator: bool = False) -> str:
    """The configuration status: what is missing and the setup steps, for an operator only
    (nobody else learns which secrets are missing)."""
    missing = missing_settings(settings)
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    if not operator:
        return _ANYONE if settings.github_app_id is not None else _SETUP_LINK
    if missing:
        items = "".join(f"<li><code>{escape(name)}</code></li>" for name in missing)
        status = f"<p>Honk is running but is not configured yet. Missing:</p><ul>{items}</ul>"
        status += _SETUP_LINK + "<p>Or by hand:</p>" if settings.github_app_id is None else ""
        return status + _REGISTER_STEPS.format(webhook=escape(base + "/webhooks/github"))
    status = "<p>Honk is configured and receiving deliveries at "
    return status + f"<code>{escape(base)}/webhooks/github</code>.</p>"


def render(settings: Settings, *, operator: bool = False, sign_in: bool = False) -> str:
    """The page at `/` for someone not signed in: configuration status (operators only), and
    a sign-in link when GitHub sign-in is set up."""
    status = status_html(settings, operator=operator)
    if sign_in:
        status += "<p><a href='/auth/github/login'>Sign in with GitHub</a> to see the runs.</p>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Honk</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head><body>"
        "<h1>Honk</h1><p>A self-hosted GitHub App that turns issues and review comments into "
        f"pull requests.</p>{status}"
        "<p>Health: <a href='/healthz'>/healthz</a> · readiness: <a href='/readyz'>/readyz</a>"
        " · jobs: <code>honk jobs</code></p></body></html>"
    )
