"""Tests for app/core/webhooks.py: signature checks, header and body validation, Event fields."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import urlencode

import pytest

from app.core.errors import PayloadError, PayloadTooLarge, SignatureError
from app.core.webhooks import MAX_BODY_BYTES, Event, parse_delivery, verify_signature
from tests.fakes.deliveries import (
    all_fixtures,
    delivery_headers,
    load_fixture,
    load_payload,
    sign,
)

SECRET = "test-webhook-secret"
VECTOR_SECRET = "It's a Secret to Everybody"
VECTOR_BODY = b"Hello, World!"
VECTOR_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def _deliver(
    body: bytes, event_name: str = "issues", replace: Mapping[str, str | None] | None = None
) -> Event:
    """Deliver `body` signed; `replace` sets headers by name (None removes one)."""
    headers = delivery_headers(event_name, body, SECRET, delivery_id="d-1")
    for name, value in (replace or {}).items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value
    return parse_delivery(headers, body, SECRET)


def test_fixture_set_is_complete() -> None:
    paths = [rel for _, rel in all_fixtures()]
    # 110 originals + 8 derived + 1 later original (see tests/fixtures/webhooks/README.md)
    assert len(paths) == 119
    assert "issue_comment/created.on-pull-request.json" in paths


@pytest.mark.parametrize(("event_name", "rel"), all_fixtures())
def test_every_fixture_parses_when_signed(event_name: str, rel: str) -> None:
    body = load_fixture(rel)
    headers = delivery_headers(event_name, body, SECRET, delivery_id="72d3162e-cc78")
    event = parse_delivery(headers, body, SECRET)
    payload = load_payload(rel)
    assert event.name == event_name
    assert event.delivery_id == "72d3162e-cc78"
    assert event.payload == payload
    assert event.action == payload.get("action")
    assert event.installation_id == (payload.get("installation") or {}).get("id")


def test_github_test_vector() -> None:
    verify_signature(VECTOR_SECRET, VECTOR_BODY, VECTOR_SIGNATURE)
    assert sign(VECTOR_BODY, VECTOR_SECRET) == VECTOR_SIGNATURE


def test_uppercase_hex_digest_is_accepted() -> None:
    verify_signature(VECTOR_SECRET, VECTOR_BODY, "sha256=" + VECTOR_SIGNATURE[7:].upper())


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing"),
        ("", "missing"),
        ("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", "'sha1'"),
        ("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "no scheme"),
        ("sha256=", "64 hex"),
        ("sha256=757107ea0eb2509fc211221cce984b8a", "64 hex"),
        ("sha256=" + "z" * 64, "64 hex"),
        ("sha256=" + "0" * 64, "does not match"),
        (VECTOR_SIGNATURE + "00", "64 hex"),
    ],
)
def test_bad_signature_headers_are_refused(header: str | None, message: str) -> None:
    with pytest.raises(SignatureError, match=message) as caught:
        verify_signature(VECTOR_SECRET, VECTOR_BODY, header)
    assert caught.value.status == 401


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature("another secret", VECTOR_BODY, VECTOR_SIGNATURE)


def test_empty_secret_refuses_everything() -> None:
    body = b"{}"
    with pytest.raises(SignatureError, match="no webhook secret"):
        verify_signature("", body, sign(body, ""))


def test_tampered_body_is_refused() -> None:
    body = load_fixture("issues/labeled.honk.json")
    headers = delivery_headers("issues", body, SECRET)
    tampered = body.replace(b'"honk"', b'"hank"', 1)
    assert tampered != body
    with pytest.raises(SignatureError, match="does not match"):
        parse_delivery(headers, tampered, SECRET)


def test_sha1_only_delivery_is_refused() -> None:
    body = load_fixture("ping/default.json")
    headers = delivery_headers("ping", body, SECRET)
    del headers["X-Hub-Signature-256"]
    digest = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    headers["X-Hub-Signature"] = f"sha1={digest}"
    with pytest.raises(SignatureError, match="missing X-Hub-Signature-256"):
        parse_delivery(headers, body, SECRET)


def test_sha1_in_the_sha256_header_is_refused() -> None:
    body = load_fixture("ping/default.json")
    digest = hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    with pytest.raises(SignatureError, match="must start with sha256="):
        _deliver(body, "ping", {"X-Hub-Signature-256": f"sha1={digest}"})


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"text"', b"null", b"", b"\xff\xfe{}", b"[" * 100_000],
)
def test_unsigned_garbage_is_a_signature_error_not_a_payload_error(body: bytes) -> None:
    headers = delivery_headers("issues", body, "not the secret")
    with pytest.raises(SignatureError, match="does not match"):
        parse_delivery(headers, body, SECRET)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "JSON object, got list"),
        (b'"text"', "JSON object, got str"),
        (b"null", "JSON object, got NoneType"),
        (b'{"a": "\xff"}', "not valid UTF-8"),
        (b"[" * 100_000, "not valid JSON"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),
    ],
)
def test_signed_malformed_bodies_are_payload_errors(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message) as caught:
        _deliver(body)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"X-GitHub-Event": None}, "missing X-GitHub-Event"),
        ({"X-GitHub-Event": "  "}, "missing X-GitHub-Event"),
        ({"X-GitHub-Delivery": None}, "missing X-GitHub-Delivery"),
        ({"X-GitHub-Delivery": ""}, "missing X-GitHub-Delivery"),
        ({"X-GitHub-Event": "issues comment"}, "X-GitHub-Event header is malformed"),
        ({"X-GitHub-Event": "e" * 101}, "X-GitHub-Event header is malformed"),
        ({"X-GitHub-Delivery": "d" * 201}, "X-GitHub-Delivery header is malformed"),
        ({"X-GitHub-Delivery": "id\x00"}, "X-GitHub-Delivery header is malformed"),
        ({"X-GitHub-Delivery": "idé"}, "X-GitHub-Delivery header is malformed"),
    ],
)
def test_missing_or_insane_headers_are_payload_errors(
    overrides: dict[str, str | None], message: str
) -> None:
    with pytest.raises(PayloadError, match=message):
        _deliver(b"{}", replace=overrides)


def test_signature_is_checked_before_headers() -> None:
    with pytest.raises(SignatureError):
        parse_delivery({"X-Hub-Signature-256": "sha256=" + "0" * 64}, b"{}", SECRET)


def test_body_over_the_cap_is_too_large() -> None:
    body = b'{"pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    with pytest.raises(PayloadTooLarge, match="over the") as caught:
        _deliver(body)
    assert caught.value.status == 413


def test_body_at_the_cap_is_accepted() -> None:
    prefix, suffix = b'{"pad": "', b'"}'
    body = prefix + b"x" * (MAX_BODY_BYTES - len(prefix) - len(suffix)) + suffix
    assert len(body) == MAX_BODY_BYTES
    assert _deliver(body).payload["pad"][:3] == "xxx"


def test_header_names_match_in_any_case() -> None:
    body = load_fixture("issues/labeled.honk.json")
    headers = {
        "x-hub-signature-256": sign(body, SECRET),
        "X-GITHUB-EVENT": "issues",
        "X-Github-Delivery": "mixed-case",
        "content-TYPE": "application/json",
    }
    event = parse_delivery(headers, body, SECRET)
    assert (event.name, event.delivery_id, event.action) == ("issues", "mixed-case", "labeled")


def test_form_encoded_body_is_accepted_and_signed_raw() -> None:
    payload_json = load_fixture("issue_comment/created.honk-fix.json").decode()
    body = urlencode({"payload": payload_json}).encode()
    headers = delivery_headers("issue_comment", body, SECRET)
    headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    event = parse_delivery(headers, body, SECRET)
    assert event.payload == json.loads(payload_json)
    assert event.installation_id == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"other=1", "no payload field"),
        (b"", "no payload field"),
        (b"payload=%5B1%5D", "JSON object, got list"),
        (b"a&&b", "form-encoded body is malformed"),
    ],
)
def test_bad_form_bodies_are_payload_errors(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        _deliver(body, replace={"Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize(
    ("installation", "expected"),
    [({"id": 7}, 7), ({"id": "7"}, None), ({"id": True}, None), (None, None), ([7], None)],
)
def test_installation_id_only_from_an_integer(installation: object, expected: int | None) -> None:
    body = json.dumps({"action": "created", "installation": installation}).encode()
    assert _deliver(body).installation_id == expected


@pytest.mark.parametrize(
    ("rel", "repo", "sender", "is_bot"),
    [
        ("issues/labeled.honk.json", "Codertocat/Hello-World", "Codertocat", False),
        ("check_suite/rerequested.json", "Codertocat/Hello-World", "octocoders-linter[bot]", True),
        ("installation/created.json", None, "Codertocat", False),
    ],
)
def test_event_properties(rel: str, repo: str | None, sender: str, is_bot: bool) -> None:
    event = _deliver(load_fixture(rel), rel.split("/")[0])
    assert (event.repo, event.sender_login, event.sender_is_bot) == (repo, sender, is_bot)


@pytest.mark.parametrize(
    ("sender", "is_bot"),
    [
        ({"login": "dependabot[bot]", "type": "User"}, True),
        ({"login": "someone", "type": "Bot"}, True),
        ({"login": "someone", "type": "User"}, False),
        (None, False),
        ("someone", False),
    ],
)
def test_sender_is_bot(sender: object, is_bot: bool) -> None:
    event = Event("issues", "opened", "d", None, {"sender": sender})
    assert event.sender_is_bot is is_bot
