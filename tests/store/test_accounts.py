"""Signed-in people: encrypted tokens, refresh on expiry, one-use 10-minute links, unlink."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.core.config import Secret
from app.core.errors import BadSeal
from app.core.sealing import Sealer
from app.store.accounts import Accounts, GitHubUser, SlackPerson, TokenGrant, link_url
from app.store.engine import Store
from app.store.tables import github_users
from tests.conftest import ManualClock

SEALER = Sealer(Secret("store-test-key"))
MONA = GitHubUser(583231, "mona")
PERSON = SlackPerson("T0001", "U0001")
GRANT = TokenGrant("ghu_first_token", 28800, "ghr_first_refresh", 15897600)


@pytest.fixture
def accounts(store: Store, clock: ManualClock) -> Accounts:
    return Accounts(store, SEALER, clock=clock)


class Refresher:
    """A refresh callable that records the refresh tokens it was given."""

    def __init__(self) -> None:
        self.given: list[str] = []

    async def __call__(self, refresh_token: str) -> TokenGrant:
        self.given.append(refresh_token)
        return TokenGrant(f"ghu_new_{len(self.given)}", 28800, f"ghr_new_{len(self.given)}", 1e7)


async def raw_row(store: Store) -> str:
    async with store.transaction() as conn:
        row = (await conn.execute(select(github_users))).first()
    return repr(tuple(row or ()))


async def test_tokens_are_stored_encrypted(accounts: Accounts, store: Store) -> None:
    await accounts.save_user(MONA, GRANT)
    row = await raw_row(store)
    assert "mona" in row
    assert "ghu_first_token" not in row and "ghr_first_refresh" not in row
    assert await accounts.user_token(MONA.github_id, Refresher()) == "ghu_first_token"


async def test_expired_token_is_refreshed_and_kept(
    accounts: Accounts, clock: ManualClock, store: Store
) -> None:
    await accounts.save_user(MONA, GRANT)
    refresher = Refresher()
    clock.advance(28800 - 30)  # within the minute before expiry
    assert await accounts.user_token(MONA.github_id, refresher) == "ghu_new_1"
    assert refresher.given == ["ghr_first_refresh"]
    assert await accounts.user_token(MONA.github_id, refresher) == "ghu_new_1"
    assert refresher.given == ["ghr_first_refresh"]  # the new token is still valid
    assert "ghu_new_1" not in await raw_row(store)


async def test_no_token_when_unknown_or_refresh_expired(
    accounts: Accounts, clock: ManualClock
) -> None:
    assert await accounts.user_token(1, Refresher()) is None
    await accounts.save_user(MONA, TokenGrant("ghu_x", 100, "ghr_x", 200))
    clock.advance(300)
    refresher = Refresher()
    assert await accounts.user_token(MONA.github_id, refresher) is None
    assert refresher.given == []


async def test_token_without_expiry_is_used_as_is(accounts: Accounts, clock: ManualClock) -> None:
    await accounts.save_user(MONA, TokenGrant("ghu_forever"))
    clock.advance(1e9)
    assert await accounts.user_token(MONA.github_id, Refresher()) == "ghu_forever"


async def test_link_token_works_once(accounts: Accounts) -> None:
    token = await accounts.create_link_token(PERSON)
    assert await accounts.pending_link(token) == PERSON
    assert await accounts.consume_link_token(token) == PERSON
    assert await accounts.consume_link_token(token) is None
    assert await accounts.pending_link(token) is None


async def test_link_token_expires_after_ten_minutes(accounts: Accounts, clock: ManualClock) -> None:
    fresh = await accounts.create_link_token(PERSON)
    clock.advance(599)
    assert await accounts.pending_link(fresh) == PERSON
    clock.advance(2)
    with pytest.raises(BadSeal) as expired:
        await accounts.consume_link_token(fresh)
    assert expired.value.expired


async def test_tampered_link_token_is_refused(accounts: Accounts) -> None:
    token = await accounts.create_link_token(PERSON)
    other = Accounts(accounts.store, Sealer(Secret("other-key")), clock=accounts.clock)
    forged = await other.create_link_token(SlackPerson("T0001", "U0666"))
    for bad in (token[:-2] + "xx", forged, "not-a-token"):
        with pytest.raises(BadSeal) as refused:
            await accounts.consume_link_token(bad)
        assert not refused.value.expired
    assert await accounts.consume_link_token(token) == PERSON


async def test_link_and_unlink(accounts: Accounts, store: Store) -> None:
    await accounts.save_user(MONA, GRANT)
    assert await accounts.linked_user(PERSON) is None
    await accounts.link(PERSON, MONA.github_id)
    assert await accounts.linked_user(PERSON) == MONA
    await accounts.link(PERSON, MONA.github_id)  # linking again replaces
    assert await accounts.linked_user(SlackPerson("T0002", "U0001")) is None
    assert await accounts.unlink(PERSON) == MONA
    assert await accounts.linked_user(PERSON) is None
    assert await accounts.user_token(MONA.github_id, Refresher()) is None
    assert "gAAAA" not in await raw_row(store)  # no encrypted token is left either
    assert await accounts.unlink(PERSON) is None


async def test_the_slack_people_of_a_github_person(accounts: Accounts, clock: ManualClock) -> None:
    await accounts.save_user(MONA, GRANT)
    assert await accounts.slack_people(MONA.github_id) == []
    other = SlackPerson("T0001", "U0002")
    await accounts.link(PERSON, MONA.github_id)
    clock.advance(1)
    await accounts.link(other, MONA.github_id)
    await accounts.link(SlackPerson("T0001", "U0003"), 1)  # someone else's link
    assert await accounts.slack_people(MONA.github_id) == [PERSON, other]
    await accounts.unlink(PERSON)
    assert await accounts.slack_people(MONA.github_id) == [other]


async def test_tokens_sealed_with_another_key_are_none(accounts: Accounts) -> None:
    await accounts.save_user(MONA, GRANT)
    rekeyed = Accounts(accounts.store, Sealer(Secret("new-key")), clock=accounts.clock)
    assert await rekeyed.user_token(MONA.github_id, Refresher()) is None


def test_link_url() -> None:
    assert link_url("https://honk.example.com/", "abc.def") == (
        "https://honk.example.com/slack/link?token=abc.def"
    )
