"""GitHub's OAuth web flow, as the sign-in routes call it: code and refresh grants, `GET /user`.

This is the sign-in routes' own outside call (httpx), kept in the web layer beside them.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from app.core.config import API_VERSION, Secret, Settings
from app.core.errors import SignInError
from app.core.github_rest import rest_headers
from app.core.oauth import TOKEN_HEADERS, TokenGrant, read_grant, refresh_fields, token_request
from app.store.accounts import GitHubUser

TIMEOUT = 15.0


@dataclass(frozen=True)
class OAuthClient:
    """The App's OAuth client: its id and secret against GITHUB_URL and GITHUB_API_URL."""

    client_id: str
    client_secret: Secret
    github_url: str
    api_url: str
    api_version: str = API_VERSION
    transport: httpx.AsyncBaseTransport | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OAuthClient | None:
        """None when GITHUB_CLIENT_ID or GITHUB_CLIENT_SECRET is not set."""
        if settings.github_client_id is None or settings.github_client_secret is None:
            return None
        return cls(
            settings.github_client_id,
            settings.github_client_secret,
            settings.github_url,
            settings.github_api_url,
            settings.github_api_version,
        )

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {"client_id": self.client_id, "redirect_uri": redirect_uri, "state": state}
        )
        return f"{self.github_url}/login/oauth/authorize?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        """Trade the callback's code for a user token."""
        return await self._token({"code": code, "redirect_uri": redirect_uri})

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """A new user token (and refresh token) for an expired one."""
        return await self._token(refresh_fields(refresh_token))

    async def user(self, token: str) -> GitHubUser:
        """The person the user token belongs to (`GET /user`)."""
        headers = rest_headers(self.api_version, token)
        async with self._client() as client:
            response = await _send(client.get(f"{self.api_url}/user", headers=headers))
        body = _json(response, "GET /user")
        if not isinstance(body.get("id"), int) or not isinstance(body.get("login"), str):
            raise SignInError("GET /user answered without an id and login")
        return GitHubUser(body["id"], body["login"])

    async def _token(self, fields: dict[str, str]) -> TokenGrant:
        secret = self.client_secret.reveal()
        request = token_request(self.github_url, self.client_id, secret, fields)
        async with self._client() as client:
            posted = client.post(request.url, data=request.form, headers=TOKEN_HEADERS)
            response = await _send(posted)
        try:
            body = response.json()
        except ValueError:
            body = None
        return read_grant(response.status_code, body)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=TIMEOUT, transport=self.transport)


async def _send(request: Awaitable[httpx.Response]) -> httpx.Response:
    try:
        return await request
    except httpx.HTTPError as exc:
        raise SignInError(f"GitHub could not be reached ({type(exc).__name__})") from None


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        raise SignInError(f"GitHub answered {response.status_code} to {what}")
    try:
        body = response.json()
    except ValueError:
        raise SignInError(f"GitHub answered {what} with something other than JSON") from None
    if not isinstance(body, dict):
        raise SignInError(f"GitHub answered {what} with something other than an object")
    return body
