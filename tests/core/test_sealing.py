"""Sealing with HONK_SECRET_KEY: encryption round trips, signatures refuse tampering and age."""

from __future__ import annotations

import pytest

from app.core.config import Secret
from app.core.errors import BadSeal
from app.core.sealing import Sealer

SEALER = Sealer(Secret("a-test-secret-key"))


def test_encrypted_text_round_trips_and_hides_the_value() -> None:
    sealed = SEALER.encrypt("ghu_usertoken123")
    assert "ghu_usertoken123" not in sealed
    assert SEALER.decrypt(sealed) == "ghu_usertoken123"


def test_another_key_cannot_decrypt() -> None:
    with pytest.raises(BadSeal, match="HONK_SECRET_KEY"):
        Sealer(Secret("another-key")).decrypt(SEALER.encrypt("ghu_x"))


def test_signed_payload_verifies_within_its_age() -> None:
    token = SEALER.sign("session", {"id": 7}, now=1000.0)
    assert SEALER.verify("session", token, now=1599.0, max_age=600) == {"id": 7}


def test_signature_refuses_tampering_purpose_other_keys_and_age() -> None:
    token = SEALER.sign("session", {"id": 7}, now=1000.0)
    body, _, mac = token.partition(".")
    forged = SEALER.sign("session", {"id": 8}, now=1000.0).partition(".")[0] + "." + mac
    for bad in (forged, body, body + ".", "garbage", token + "x"):
        with pytest.raises(BadSeal) as refused:
            SEALER.verify("session", bad, now=1000.0, max_age=600)
        assert not refused.value.expired
    with pytest.raises(BadSeal, match="purpose"):
        SEALER.verify("slack-link", token, now=1000.0, max_age=600)
    with pytest.raises(BadSeal):
        Sealer(Secret("another-key")).verify("session", token, now=1000.0, max_age=600)
    with pytest.raises(BadSeal) as old:
        SEALER.verify("session", token, now=1601.0, max_age=600)
    assert old.value.expired
