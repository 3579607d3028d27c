"""One button click in Slack as a flow handles it: who clicked, may they, and how Honk answers.

A refusal is ephemeral (only the clicker sees it) and changes nothing. A success is one line in
the thread, posted once per key even when the job is attempted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core import slack_clicks, slack_texts
from app.core.commands import SlackOrigin
from app.core.errors import FlowError, SignInError, SlackError
from app.core.oauth import TokenGrant
from app.core.slack_mrkdwn import message
from app.flows.context import JobContext
from app.flows.job import WRITERS
from app.flows.services import Services
from app.github.client import RepoClient
from app.github.user_token import TokenRefresher
from app.store.accounts import GitHubUser, SlackPerson, link_url

Result = dict[str, Any]


@dataclass(frozen=True)
class Click:
    """The click behind a `slack_action` job: `origin.action` is the button, `origin.text` its
    value, `origin.user` the person who pressed it."""

    ctx: JobContext
    origin: SlackOrigin

    @classmethod
    def of(cls, ctx: JobContext) -> Click:
        origin = ctx.job.command.slack
        if origin is None or origin.action is None:
            raise FlowError("a slack_action job carries no Slack click")
        return cls(ctx, origin)

    @property
    def services(self) -> Services:
        return self.ctx.services

    @property
    def person(self) -> SlackPerson:
        return SlackPerson(self.origin.team, self.origin.user)

    async def refuse(self, text: str, why: str) -> Result:
        """Tell only the clicker; the job's result names the reason."""
        origin = self.origin
        await self.services.slack.ephemeral(
            origin.channel, origin.user, message([text]), thread_ts=origin.thread
        )
        return {"action": origin.action, "refused": why}

    async def say_once(self, key: str, text: str) -> bool:
        """Post `text` in the thread, unless this key was said already (by an earlier attempt)."""
        records = self.services.slack_records
        if not await records.notice_once(key):
            return False
        try:
            await self.services.slack.post(self.origin.channel, message([text]), self.origin.thread)
        except SlackError:
            await records.forget_notice(key)
            raise
        return True

    async def clicker(self) -> GitHubUser | Result:
        """The linked GitHub person, or (refused) a fresh link for someone not linked yet."""
        user = await self.services.accounts.linked_user(self.person)
        if user is not None:
            return user
        url = await self.fresh_link()
        text = slack_texts.link_first(url) if url else slack_clicks.no_public_url()
        return await self.refuse(text, "not linked")

    async def fresh_link(self) -> str | None:
        public = self.services.settings.public_url
        if public is None:
            return None
        return link_url(public, await self.services.accounts.create_link_token(self.person))

    async def writer(
        self, repo: str, installation_id: int | None
    ) -> tuple[GitHubUser, RepoClient] | Result:
        """The linked clicker and the repository's client, when they have write, maintain or
        admin on `repo` (the job's installation, else the App's installation on it)."""
        user = await self.clicker()
        if not isinstance(user, GitHubUser):
            return user
        github = self.services.github
        installation = installation_id or await github.installation_for(repo)
        if installation is None:
            return await self.refuse(slack_texts.not_installed(repo), "not installed")
        client = await github.repo(installation, repo)
        permission = await client.permission(user.login)
        if permission not in WRITERS:
            text = slack_texts.no_write_access(repo, user.login)
            return await self.refuse(text, f"{user.login} has {permission} permission")
        return user, client

    async def user_token(self, user: GitHubUser) -> str | Result:
        """The clicker's own user token (refreshed when it expired), or (refused) a new link."""
        refresher = TokenRefresher.from_settings(self.services.live())
        try:
            token = await self.services.accounts.user_token(user.github_id, refresher or _cannot)
        except SignInError:
            token = None
        if token is not None:
            return token
        url = await self.fresh_link()
        text = slack_clicks.link_again(url) if url else slack_clicks.no_public_url()
        return await self.refuse(text, "user token expired")


async def _cannot(refresh_token: str) -> TokenGrant:
    raise SignInError("GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET are not set: nothing refreshes")
