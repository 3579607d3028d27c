"""GitHub's OAuth token endpoint as pure data: the grant, the request to make, the answer read.

The sign-in routes (code exchange) and the jobs (refreshing an expired user token) both post to
`{GITHUB_URL}/login/oauth/access_token`; each sends the request with its own HTTP client and
reads the answer here, so the two never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.errors import SignInError

TOKEN_PATH = "/login/oauth/access_token"  # noqa: S105 (a path, not a secret)
TOKEN_HEADERS = {"Accept": "application/json"}


@dataclass(frozen=True)
class TokenGrant:
    """What GitHub's token endpoint answers: the user token, its refresh token, their lifetimes."""

    access_token: str
    expires_in: float | None = None
    refresh_token: str | None = None
    refresh_token_expires_in: float | None = None


@dataclass(frozen=True)
class TokenRequest:
    """One form POST to the token endpoint (the form carries the client secret: never log it)."""

    url: str
    form: dict[str, str]

    def __repr__(self) -> str:
        return f"TokenRequest(url={self.url!r}, form=***)"


def token_request(
    github_url: str, client_id: str, client_secret: str, fields: dict[str, str]
) -> TokenRequest:
    """The request for a code exchange (`code`, `redirect_uri`) or a refresh (`grant_type`...)."""
    form = {"client_id": client_id, "client_secret": client_secret, **fields}
    return TokenRequest(f"{github_url.rstrip('/')}{TOKEN_PATH}", form)


def refresh_fields(refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token}


def read_grant(status: int, body: object, what: str = "the token exchange") -> TokenGrant:
    """The grant in GitHub's answer (`body` parsed from JSON, None when it was not JSON).

    GitHub reports refusals as 200 with an `error` field: SignInError, as for any other failure.
    """
    if status >= 400:
        raise SignInError(f"GitHub answered {status} to {what}")
    if not isinstance(body, dict):
        raise SignInError(f"GitHub answered {what} with something other than a JSON object")
    if "error" in body or not isinstance(body.get("access_token"), str):
        reason = body.get("error_description") or body.get("error") or "no access_token"
        raise SignInError(f"GitHub refused {what}: {reason}")
    refresh = body.get("refresh_token")
    return TokenGrant(
        body["access_token"],
        seconds(body.get("expires_in")),
        refresh if isinstance(refresh, str) else None,
        seconds(body.get("refresh_token_expires_in")),
    )


def seconds(value: Any) -> float | None:
    """A lifetime in seconds as GitHub writes it (a number, or a number in a string)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None
