"""The small HTML pages sign-in answers with: signed in, setup hint, refusals."""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

from app.core.config import Settings
from app.store.accounts import GitHubUser


def page(title: str, text: str, status: int) -> HTMLResponse:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Honk: {escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1><p>{escape(text)}</p></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def setup_hint(settings: Settings) -> HTMLResponse:
    base = settings.public_url or "HONK_PUBLIC_URL"
    return page(
        "Sign-in is not set up",
        "Set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET to the GitHub App's client ID and a "
        "client secret (the App's settings page, General), set HONK_PUBLIC_URL, add "
        f"{base}/auth/github/callback as the App's callback URL, and restart Honk.",
        200,
    )


def signed_in(user: GitHubUser, linked: str | None) -> HTMLResponse:
    text = f"Signed in as @{user.login}."
    return page("Signed in", f"{text} {linked}" if linked else text, 200)


def state_mismatch() -> HTMLResponse:
    return page(
        "Sign-in refused",
        "The sign-in state does not match this browser (missing or different). "
        "Start again at /auth/github/login in the same browser.",
        400,
    )


def link_invalid() -> HTMLResponse:
    return page("Link not valid", "This link is not valid. Send `link` to Honk again.", 400)


def link_expired() -> HTMLResponse:
    return page(
        "Link expired",
        "This link has expired or was already used (links work once, for 10 minutes). "
        "Send `link` to Honk in Slack for a new one.",
        410,
    )
