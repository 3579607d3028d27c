"""A person's expired user token refreshed at `{GITHUB_URL}/login/oauth/access_token`.

The request and the reading of GitHub's answer are app/core/oauth.py's, shared with the sign-in
routes' code exchange; this module only sends it (httpx), for the jobs that act as a person.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.core.config import Secret, Settings
from app.core.errors import SignInError
from app.core.oauth import TOKEN_HEADERS, TokenGrant, read_grant, refresh_fields, token_request

TIMEOUT = 15.0


@dataclass(frozen=True)
class TokenRefresher:
    """Trades a refresh token for a new user token with the App's OAuth client id and secret."""

    github_url: str
    client_id: str
    client_secret: Secret
    transport: httpx.AsyncBaseTransport | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenRefresher | None:
        """None when GITHUB_CLIENT_ID or GITHUB_CLIENT_SECRET is not set (nothing refreshes)."""
        if settings.github_client_id is None or settings.github_client_secret is None:
            return None
        return cls(settings.github_url, settings.github_client_id, settings.github_client_secret)

    async def __call__(self, refresh_token: str) -> TokenGrant:
        """The new grant; SignInError when GitHub refuses or cannot be reached."""
        secret = self.client_secret.reveal()
        fields = refresh_fields(refresh_token)
        request = token_request(self.github_url, self.client_id, secret, fields)
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, transport=self.transport) as client:
                response = await client.post(request.url, data=request.form, headers=TOKEN_HEADERS)
        except httpx.HTTPError as exc:
            raise SignInError(f"GitHub could not be reached ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        return read_grant(response.status_code, body, "the token refresh")
