"""Signed-in people: GitHub users with encrypted user tokens, Slack links, one-use link tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, insert, select, update

from app.core.errors import BadSeal
from app.core.oauth import TokenGrant
from app.core.sealing import Sealer
from app.store.engine import Store
from app.store.jobs import dialect_insert
from app.store.tables import github_users, link_tokens, slack_links

__all__ = [
    "LINK_ROUTE",
    "Accounts",
    "GitHubUser",
    "Refresh",
    "SlackPerson",
    "TokenGrant",
    "link_url",
]

LINK_SECONDS = 600.0  # a Slack linking link is valid for ten minutes
LINK_PURPOSE = "slack-link"
LINK_ROUTE = "/slack/link"
REFRESH_MARGIN = 60.0  # refresh a user token this many seconds before it expires


def link_url(public_url: str, token: str) -> str:
    """The address a Slack person opens to link their GitHub account (`token` is URL-safe)."""
    return f"{public_url.rstrip('/')}{LINK_ROUTE}?token={token}"


@dataclass(frozen=True)
class GitHubUser:
    """A person who signed in with GitHub."""

    github_id: int
    login: str


@dataclass(frozen=True)
class SlackPerson:
    """A Slack user in a workspace (team)."""

    team: str
    user: str


Refresh = Callable[[str], Awaitable[TokenGrant]]


class Accounts:
    """Reads and writes `github_users`, `slack_links` and `link_tokens`; tokens encrypted."""

    def __init__(
        self, store: Store, sealer: Sealer, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.sealer = sealer
        self.clock = clock

    async def save_user(self, user: GitHubUser, grant: TokenGrant) -> None:
        """Insert or update the person with their (encrypted) tokens, in one statement (two
        sign-ins at once cannot both insert)."""
        values = {"github_id": user.github_id, "login": user.login, **self._sealed(grant)}
        async with self.store.transaction(write=True) as conn:
            statement = dialect_insert(conn)(github_users).values(values)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[github_users.c.github_id],
                    set_={k: v for k, v in values.items() if k != "github_id"},
                )
            )

    def _sealed(self, grant: TokenGrant) -> dict[str, object]:
        now = self.clock()
        refresh = grant.refresh_token
        return {
            "access_token": self.sealer.encrypt(grant.access_token),
            "access_expires_at": None if grant.expires_in is None else now + grant.expires_in,
            "refresh_token": None if refresh is None else self.sealer.encrypt(refresh),
            "refresh_expires_at": (
                None
                if grant.refresh_token_expires_in is None
                else now + grant.refresh_token_expires_in
            ),
            "updated_at": now,
        }

    async def user_token(self, github_id: int, refresh: Refresh) -> str | None:
        """The person's user token, refreshed first when it (nearly) expired; None when there is
        none, it can no longer be refreshed, or another HONK_SECRET_KEY sealed it.
        `refresh`'s errors (SignInError) pass through."""
        query = select(github_users).where(github_users.c.github_id == github_id)
        async with self.store.transaction() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None or row["access_token"] is None:
            return None
        expires = row["access_expires_at"]
        try:
            if expires is None or expires - REFRESH_MARGIN > self.clock():
                return self.sealer.decrypt(row["access_token"])
            refresh_expires = row["refresh_expires_at"]
            if row["refresh_token"] is None or (
                refresh_expires is not None and refresh_expires <= self.clock()
            ):
                return None
            refresh_token = self.sealer.decrypt(row["refresh_token"])
        except BadSeal:  # HONK_SECRET_KEY changed: the person signs in again
            return None
        grant = await refresh(refresh_token)
        await self.save_user(GitHubUser(github_id, row["login"]), grant)
        return grant.access_token

    async def create_link_token(self, person: SlackPerson) -> str:
        """A new signed, single-use token that links this Slack person once they sign in."""
        token_id = secrets.token_urlsafe(24)
        values = {"id": token_id, "slack_team": person.team, "slack_user": person.user}
        now = self.clock()
        async with self.store.transaction(write=True) as conn:
            await conn.execute(insert(link_tokens).values(**values, created_at=now))
        return self.sealer.sign(LINK_PURPOSE, {"id": token_id}, now=now)

    def _token_id(self, token: str) -> str:
        """The id inside a signed link token; BadSeal when tampered or older than ten minutes."""
        payload = self.sealer.verify(LINK_PURPOSE, token, now=self.clock(), max_age=LINK_SECONDS)
        if not isinstance(payload.get("id"), str):
            raise BadSeal("link token is malformed")
        return str(payload["id"])

    async def pending_link(self, token: str) -> SlackPerson | None:
        """The Slack person of an unused link token younger than ten minutes; None if used.

        Raises BadSeal (with `expired`) for a tampered or expired token."""
        token_id = self._token_id(token)
        async with self.store.transaction() as conn:
            row = (await conn.execute(self._usable(token_id))).mappings().first()
        return None if row is None else SlackPerson(row["slack_team"], row["slack_user"])

    async def consume_link_token(self, token: str) -> SlackPerson | None:
        """Mark the token used and return its Slack person, only the first time, within 10 min."""
        token_id = self._token_id(token)
        async with self.store.transaction(write=True) as conn:
            row = (await conn.execute(self._usable(token_id))).mappings().first()
            if row is None:
                return None
            statement = (
                update(link_tokens)
                .where(link_tokens.c.id == token_id, link_tokens.c.used_at.is_(None))
                .values(used_at=self.clock())
            )
            if not (await conn.execute(statement)).rowcount:
                return None
        return SlackPerson(row["slack_team"], row["slack_user"])

    def _usable(self, token_id: str) -> Select[Any]:
        oldest = self.clock() - LINK_SECONDS
        return select(link_tokens).where(
            link_tokens.c.id == token_id,
            link_tokens.c.used_at.is_(None),
            link_tokens.c.created_at > oldest,
        )

    async def link(self, person: SlackPerson, github_id: int) -> None:
        """Link the Slack person to the GitHub person (replacing an earlier link)."""
        values = {"slack_team": person.team, "slack_user": person.user}
        now = self.clock()
        async with self.store.transaction(write=True) as conn:
            statement = dialect_insert(conn)(slack_links).values(
                **values, github_id=github_id, linked_at=now
            )
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[slack_links.c.slack_team, slack_links.c.slack_user],
                    set_={"github_id": github_id, "linked_at": now},
                )
            )

    async def linked_user(self, person: SlackPerson) -> GitHubUser | None:
        """The GitHub person this Slack person is linked to."""
        query = (
            select(github_users.c.github_id, github_users.c.login)
            .join(slack_links, slack_links.c.github_id == github_users.c.github_id)
            .where(slack_links.c.slack_team == person.team, slack_links.c.slack_user == person.user)
        )
        async with self.store.transaction() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else GitHubUser(row.github_id, row.login)

    async def slack_people(self, github_id: int) -> list[SlackPerson]:
        """The Slack people linked to this GitHub person (oldest link first)."""
        query = (
            select(slack_links.c.slack_team, slack_links.c.slack_user)
            .where(slack_links.c.github_id == github_id)
            .order_by(slack_links.c.linked_at)
        )
        async with self.store.transaction() as conn:
            rows = (await conn.execute(query)).all()
        return [SlackPerson(row.slack_team, row.slack_user) for row in rows]

    async def unlink(self, person: SlackPerson) -> GitHubUser | None:
        """Remove the Slack person's link and the linked GitHub person's stored tokens."""
        user = await self.linked_user(person)
        where = (slack_links.c.slack_team == person.team) & (
            slack_links.c.slack_user == person.user
        )
        async with self.store.transaction(write=True) as conn:
            await conn.execute(delete(slack_links).where(where))
            if user is not None:
                await conn.execute(
                    update(github_users)
                    .where(github_users.c.github_id == user.github_id)
                    .values(access_token=None, refresh_token=None, updated_at=self.clock())
                )
        return user
