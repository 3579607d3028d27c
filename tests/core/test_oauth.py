"""GitHub's token endpoint as data: the request (secret never shown) and the grant read back."""

from __future__ import annotations

import pytest

from app.core.errors import SignInError
from app.core.oauth import TokenGrant, read_grant, refresh_fields, token_request


def test_a_refresh_request_carries_the_client_and_hides_the_secret() -> None:
    request = token_request("https://ghe.test/", "Iv1.id", "s3cret", refresh_fields("ghr_x"))
    assert request.url == "https://ghe.test/login/oauth/access_token"
    assert request.form == {
        "client_id": "Iv1.id",
        "client_secret": "s3cret",
        "grant_type": "refresh_token",
        "refresh_token": "ghr_x",
    }
    assert "s3cret" not in repr(request)


def test_a_grant_is_read_with_its_lifetimes() -> None:
    body = {
        "access_token": "ghu_a",
        "expires_in": "28800",
        "refresh_token": "ghr_b",
        "refresh_token_expires_in": 15897600,
    }
    assert read_grant(200, body) == TokenGrant("ghu_a", 28800.0, "ghr_b", 15897600.0)
    assert read_grant(200, {"access_token": "ghu_a"}) == TokenGrant("ghu_a")


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (200, {"error": "bad_refresh_token", "error_description": "expired"}, "expired"),
        (200, {"error": "bad_verification_code"}, "bad_verification_code"),
        (200, {"token_type": "bearer"}, "no access_token"),
        (200, None, "something other than a JSON object"),
        (502, {"access_token": "ghu_a"}, "answered 502"),
    ],
)
def test_a_refusal_is_a_sign_in_error(status: int, body: object, words: str) -> None:
    with pytest.raises(SignInError, match=words):
        read_grant(status, body, "the token refresh")
