"""`/setup`: the GitHub App manifest flow (Probot's), keeping the new App's credentials.

`GET /setup` posts `app.yml` as a manifest to GitHub's "new App" page with a state bound to the
browser; GitHub sends the browser back to `GET /setup/callback?code&state`, where the code is
exchanged (`POST {GITHUB_API_URL}/app-manifests/{code}/conversions`, no authentication) and the
credentials are saved through `LiveSettings`, which every consumer reads: no restart.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.core.app_manifest import (
    AppCredentials,
    app_configured,
    credentials_from,
    manifest,
    new_app_url,
    parse_app_yml,
    valid_account,
)
from app.core.config import Settings
from app.core.errors import ConfigError, SetupError
from app.core.github_rest import rest_headers
from app.store.accounts import GitHubUser
from app.store.app_credentials import LiveSettings
from app.web import setup_pages as pages

log = logging.getLogger("honk.setup")
STATE_COOKIE = "honk_setup_state"
STATE_SECONDS = 3600  # GitHub's manifest codes live for an hour
TIMEOUT = 15.0
_HERE = Path(__file__).resolve().parent
# app.yml: shipped inside the package by the wheel, at the repository root in a checkout.
APP_YML_PLACES = (_HERE.parent / "app.yml", _HERE.parents[1] / "app.yml")

Handler = Callable[[Request], Awaitable[Response]]
SessionUser = Callable[[Request], GitHubUser | None]


def read_app_yml(places: tuple[Path, ...] = APP_YML_PLACES) -> dict[str, Any]:
    """The manifest template (ConfigError when no `app.yml` can be read)."""
    for place in places:
        if place.is_file():
            try:
                return parse_app_yml(place.read_text())
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{place}: {exc}") from None
    raise ConfigError("app.yml was not found beside the app package")


class Setup:
    """The two routes over the live settings; `session_user` is sign-in's session reader."""

    def __init__(
        self,
        live: LiveSettings,
        session_user: SessionUser,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        app_yml: Callable[[], dict[str, Any]] = read_app_yml,
    ) -> None:
        self.live = live
        self.session_user = session_user
        self.transport = transport
        self.app_yml = app_yml

    def routes(self) -> list[Route]:
        return [
            Route("/setup", self._guard(self.start), methods=["GET"]),
            Route("/setup/callback", self._guard(self.callback), methods=["GET"]),
        ]

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            try:
                settings = self.live()
                if refusal := self._refusal(request, settings):
                    return refusal
                return await handler(request)
            except ConfigError as exc:
                return pages.text("Setup is not possible", str(exc), 503)

        return guarded

    def _refusal(self, request: Request, settings: Settings) -> Response | None:
        """None when this request may set up an App: none exists yet, or an admin asks."""
        if not app_configured(settings):
            return None
        user = self.session_user(request)
        if user is not None and user.login.lower() in settings.admins:
            return None
        return pages.refused(None if user is None else user.login)

    async def start(self, request: Request) -> Response:
        settings = self.live()
        org = request.query_params.get("org", "").strip() or None
        if org is not None and not valid_account(org):
            return pages.text("Not an organization", "That is not a GitHub organization.", 400)
        state = secrets.token_urlsafe(24)
        filled = manifest(self.app_yml(), _base_url(request, settings))
        response = pages.manifest_form(new_app_url(settings.github_url, state, org), filled, org)
        _set_state(request, settings, response, state)
        return response

    async def callback(self, request: Request) -> Response:
        settings = self.live()
        given, expected = request.query_params.get("state", ""), request.cookies.get(STATE_COOKIE)
        if not given or not expected or not hmac.compare_digest(given, expected):
            return pages.text(
                "Setup refused",
                "The setup state does not match this browser (missing or different). "
                "Start again at /setup in the same browser.",
                400,
            )
        code = request.query_params.get("code", "")
        if not code:
            return pages.text("Setup failed", "GitHub sent no code; start again at /setup.", 400)
        try:
            credentials = await self.convert(settings, code)
        except SetupError as exc:
            return pages.text("GitHub refused the setup", f"{exc} Start again at /setup.", 502)
        return self._keep(credentials)

    def _keep(self, credentials: AppCredentials) -> Response:
        try:
            settings = self.live.save(credentials)
        except OSError as exc:
            log.error("the App's credentials could not be saved", extra={"error": exc.strerror})
            message = f"Honk could not save the App's credentials: {exc.strerror}."
            return pages.text("Setup failed", message, 503)
        log.info("GitHub App set up", extra={"app_id": credentials.app_id})
        response = pages.created(credentials, settings.anthropic_api_key is None)
        response.delete_cookie(STATE_COOKIE, path="/setup")
        return response

    async def convert(self, settings: Settings, code: str) -> AppCredentials:
        """Exchange the manifest code for the new App's credentials (SetupError if refused)."""
        api_url = settings.github_api_url.rstrip("/")
        url = f"{api_url}/app-manifests/{quote(code, safe='')}/conversions"
        headers = rest_headers(settings.github_api_version)
        try:
            async with httpx.AsyncClient(transport=self.transport, timeout=TIMEOUT) as client:
                answer = await client.post(url, headers=headers)
        except httpx.HTTPError as exc:
            raise SetupError(f"GitHub could not be reached ({type(exc).__name__}).") from None
        if answer.status_code != 201:
            raise SetupError(f"GitHub refused the code ({answer.status_code}{_message(answer)}).")
        try:
            return credentials_from(answer.json())
        except ValueError as exc:
            raise SetupError(f"GitHub's answer {exc}.") from None


def _message(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    said = body.get("message") if isinstance(body, dict) else None
    return f": {str(said)[:200]}" if said else ""


def _base_url(request: Request, settings: Settings) -> str:
    return settings.public_url or str(request.base_url).rstrip("/")


def _set_state(request: Request, settings: Settings, response: Response, state: str) -> None:
    secure = _base_url(request, settings).startswith("https://")
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=STATE_SECONDS,
        path="/setup",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
