"""Sign-in routes: GitHub's OAuth web flow, the session cookie, logout and Slack linking links."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.core.config import Settings
from app.core.errors import BadSeal, ConfigError, SignInError, StoreError
from app.core.sealing import Sealer
from app.store.accounts import LINK_ROUTE, LINK_SECONDS, Accounts, GitHubUser
from app.store.engine import Store
from app.store.secret_key import secret_key
from app.web import signin_pages as pages
from app.web.oauth import OAuthClient

STATE_COOKIE = "honk_oauth_state"
LINK_COOKIE = "honk_slack_link"
SESSION_COOKIE = "honk_session"
SESSION_PURPOSE = "session"
SESSION_SECONDS = 30 * 24 * 3600.0
STATE_SECONDS = 600

Handler = Callable[[Request], Awaitable[Response]]


class SignIn:
    """The sign-in routes over one store; without GITHUB_CLIENT_ID they answer a setup page.
    `live` gives the current settings (with the OAuth client `/setup` saved), read at each use."""

    def __init__(
        self,
        settings: Settings,
        get_store: Callable[[], Awaitable[Store]],
        *,
        oauth: OAuthClient | None = None,
        clock: Callable[[], float] = time.time,
        live: Callable[[], Settings] | None = None,
    ) -> None:
        self.settings = settings
        self.get_store = get_store
        self._oauth = oauth
        self._live = live
        self.clock = clock
        self._sealer: Sealer | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/auth/github/login", self._guard(self.login), methods=["GET"]),
            Route("/auth/github/callback", self._guard(self.callback), methods=["GET"]),
            Route("/auth/logout", self._guard(self.logout), methods=["POST"]),
            Route(LINK_ROUTE, self._guard(self.slack_link), methods=["GET"]),
        ]

    @property
    def oauth(self) -> OAuthClient | None:
        """The given client, else the one of the current settings (None: not set up)."""
        if self._oauth is not None:
            return self._oauth
        return OAuthClient.from_settings(self._live() if self._live else self.settings)

    @oauth.setter
    def oauth(self, client: OAuthClient | None) -> None:
        self._oauth = client

    def sealer(self) -> Sealer:
        if self._sealer is None:
            self._sealer = Sealer(secret_key(self.settings))
        return self._sealer

    async def accounts(self) -> Accounts:
        return Accounts(await self.get_store(), self.sealer(), clock=self.clock)

    def _guard(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if self.oauth is None:
                return pages.setup_hint(self.settings)
            try:
                return await handler(request)
            except SignInError as exc:
                return pages.page("Sign-in failed", f"GitHub sign-in failed: {exc}", 502)
            except StoreError:
                return pages.page("Sign-in failed", "The database is unavailable; try again.", 503)
            except ConfigError as exc:
                return pages.page("Sign-in is not set up", str(exc), 503)

        return guarded

    async def login(self, request: Request) -> Response:
        assert self.oauth is not None
        state = secrets.token_urlsafe(24)
        url = self.oauth.authorize_url(self._callback_url(request), state)
        response = RedirectResponse(url, status_code=302)
        self._set_cookie(request, response, STATE_COOKIE, state, STATE_SECONDS)
        return response

    async def callback(self, request: Request) -> Response:
        assert self.oauth is not None
        if request.query_params.get("error"):
            reason = request.query_params.get("error_description") or request.query_params["error"]
            return pages.page("Sign-in cancelled", f"GitHub did not sign you in: {reason}", 400)
        given, expected = request.query_params.get("state", ""), request.cookies.get(STATE_COOKIE)
        if not expected or not given or not hmac.compare_digest(given, expected):
            return pages.state_mismatch()
        code = request.query_params.get("code", "")
        if not code:
            return pages.page("Sign-in failed", "GitHub sent no code; start again.", 400)
        grant = await self.oauth.exchange_code(code, self._callback_url(request))
        user = await self.oauth.user(grant.access_token)
        accounts = await self.accounts()
        await accounts.save_user(user, grant)
        linked = await self._link_bound_person(request, accounts, user)
        response = pages.signed_in(user, linked)
        session = self.sealer().sign(
            SESSION_PURPOSE, {"id": user.github_id, "login": user.login}, now=self.clock()
        )
        self._set_cookie(request, response, SESSION_COOKIE, session, int(SESSION_SECONDS))
        response.delete_cookie(STATE_COOKIE, path="/")
        response.delete_cookie(LINK_COOKIE, path="/")
        return response

    async def _link_bound_person(
        self, request: Request, accounts: Accounts, user: GitHubUser
    ) -> str | None:
        """Link the Slack person whose link this browser followed; what was linked, or why not."""
        token = request.cookies.get(LINK_COOKIE)
        if not token:
            return None
        try:
            person = await accounts.consume_link_token(token)
        except BadSeal:
            person = None
        if person is None:
            return "The Slack link had expired or was already used; nothing was linked."
        await accounts.link(person, user.github_id)
        return f"Slack user {person.user} (workspace {person.team}) is now linked to @{user.login}."

    async def logout(self, request: Request) -> Response:
        response = pages.page("Signed out", "You are signed out of Honk.", 200)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def slack_link(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        accounts = await self.accounts()
        try:
            person = await accounts.pending_link(token)
        except BadSeal as exc:
            return pages.link_expired() if exc.expired else pages.link_invalid()
        if person is None:
            return pages.link_expired()
        response = RedirectResponse("/auth/github/login", status_code=302)
        self._set_cookie(request, response, LINK_COOKIE, token, int(LINK_SECONDS))
        return response

    def session_user(self, request: Request) -> GitHubUser | None:
        """The signed-in person of this request's session cookie, if valid."""
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie or self.oauth is None:
            return None
        try:
            data: dict[str, Any] = self.sealer().verify(
                SESSION_PURPOSE, cookie, now=self.clock(), max_age=SESSION_SECONDS
            )
        except BadSeal:
            return None
        if not isinstance(data.get("id"), int) or not isinstance(data.get("login"), str):
            return None
        return GitHubUser(data["id"], data["login"])

    def _base_url(self, request: Request) -> str:
        return self.settings.public_url or str(request.base_url).rstrip("/")

    def _callback_url(self, request: Request) -> str:
        return f"{self._base_url(request)}/auth/github/callback"

    def _set_cookie(
        self, request: Request, response: Response, name: str, value: str, max_age: int
    ) -> None:
        secure = self._base_url(request).startswith("https://")
        response.set_cookie(
            name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure
        )
