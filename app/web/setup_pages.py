"""The `/setup` pages: the manifest form, the App created, and each refusal."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from starlette.responses import HTMLResponse

from app.core.app_manifest import AppCredentials

_HEAD = (
    "<!doctype html><html><head><meta charset='utf-8'>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'>"
    "<title>Honk: {title}</title></head><body><h1>{title}</h1>"
)


def html(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A page whose `body` is already HTML (every outside value escaped by the caller)."""
    page = _HEAD.format(title=escape(title)) + body + "</body></html>"
    return HTMLResponse(page, status_code=status, headers={"cache-control": "no-store"})


def text(title: str, message: str, status: int) -> HTMLResponse:
    return html(title, f"<p>{escape(message)}</p>", status)


def manifest_form(action: str, manifest: dict[str, Any], org: str | None) -> HTMLResponse:
    """The button that posts the manifest to GitHub's "new App" page."""
    owner = f"the organization {escape(org)}" if org else "your GitHub account"
    hook = escape(str(manifest["hook_attributes"]["url"]))
    body = (
        f"<p>Register Honk as a GitHub App owned by {owner}. GitHub shows the App's name, "
        "permissions and events (from <code>app.yml</code>) before creating it, then sends you "
        "back here; Honk keeps the credentials and uses them at once.</p>"
        f"<p>Deliveries will go to <code>{hook}</code>: GitHub must be able to reach it "
        "(set <code>HONK_PUBLIC_URL</code> when Honk is behind a proxy).</p>"
        f"<form method='post' action='{escape(action)}'>"
        f"<input type='hidden' name='manifest' value='{escape(json.dumps(manifest))}'>"
        "<button type='submit'>Create the GitHub App</button></form>"
        "<form method='get' action='/setup'><p><label>For an organization instead: "
        "<input name='org' autocomplete='off' placeholder='organization'></label> "
        "<button type='submit'>Use it</button></p></form>"
    )
    return html("Set up Honk", body)


def created(credentials: AppCredentials, anthropic_missing: bool) -> HTMLResponse:
    """The App exists and is in use; next, install it."""
    install = escape(credentials.install_url)
    body = (
        f"<p>The GitHub App <strong>{escape(credentials.slug)}</strong> "
        f"(id {credentials.app_id}) is created and Honk uses it now; no restart is needed.</p>"
        f"<p><a href='{install}'>Install the App</a> on the repositories Honk may work on.</p>"
    )
    if anthropic_missing:
        body += "<p>Honk still needs <code>ANTHROPIC_API_KEY</code> to run the agent.</p>"
    return html("GitHub App created", body)


def refused(login: str | None) -> HTMLResponse:
    """`/setup` once an App is configured, for anyone but a signed-in HONK_ADMINS login."""
    if login is None:
        body = (
            "<p>Honk already has a GitHub App. Only its administrators (<code>HONK_ADMINS</code>)"
            " may register another: <a href='/auth/github/login'>sign in with GitHub</a>, then "
            "open <a href='/setup'>/setup</a> again.</p>"
        )
    else:
        body = (
            f"<p>Honk already has a GitHub App, and @{escape(login)} is not one of its "
            "administrators (<code>HONK_ADMINS</code>).</p>"
        )
    return html("Setup is closed", body, 403)
