"""Answers to a Slack request, each posted at most once per job: only to the person (ephemeral; a
normal message in a DM) or, for a channel's new repository, visibly. A Slack failure while
answering is logged and never retried into a duplicate answer: the claim stays taken."""

from __future__ import annotations

import logging

from app.core.commands import SlackOrigin
from app.core.errors import SlackError
from app.core.slack_mrkdwn import message
from app.core.slack_texts import link_first, sign_in_not_set_up
from app.flows.context import JobContext
from app.store.accounts import SlackPerson, link_url

log = logging.getLogger("honk.flows.slack")


def person(origin: SlackOrigin) -> SlackPerson:
    return SlackPerson(origin.team, origin.user)


async def answer(ctx: JobContext, origin: SlackOrigin, text: str, *, key: str = "answer") -> bool:
    """`text` to the person who wrote, in their thread; False when it was not posted (an earlier
    attempt of this job claimed it, or Slack failed: logged)."""
    if not await ctx.services.slack_records.notice_once(notice_key(ctx, key)):
        return False
    slack, reply = ctx.services.slack, message([text])
    try:
        if origin.is_dm:
            await slack.post(origin.channel, reply, thread_ts=origin.thread_ts)
        else:
            await slack.ephemeral(origin.channel, origin.user, reply, thread_ts=origin.thread_ts)
    except SlackError as exc:
        log.warning("Slack answer failed", extra={"job": ctx.job.id, "error": str(exc)})
        return False
    return True


async def announce(ctx: JobContext, origin: SlackOrigin, text: str, *, key: str) -> bool:
    """`text` for everyone in the channel (in the thread when there is one), once per job."""
    if not await ctx.services.slack_records.notice_once(notice_key(ctx, key)):
        return False
    try:
        await ctx.services.slack.post(origin.channel, message([text]), thread_ts=origin.thread_ts)
    except SlackError as exc:
        log.warning("Slack message failed", extra={"job": ctx.job.id, "error": str(exc)})
        return False
    return True


def notice_key(ctx: JobContext, key: str) -> str:
    """The notice claim of this request job's `key` answer (shared by all its attempts)."""
    return f"slack_request:{ctx.job.id}:{key}"


def sign_in_missing(ctx: JobContext) -> tuple[str, ...]:
    """The settings GitHub sign-in still needs before anyone can link (names only)."""
    settings = ctx.settings
    wanted = {"GITHUB_CLIENT_ID": settings.github_client_id, "HONK_PUBLIC_URL": settings.public_url}
    return tuple(name for name, value in wanted.items() if not value)


async def fresh_link(ctx: JobContext, origin: SlackOrigin) -> str | None:
    """A new single-use link for this person; None while sign-in is not set up."""
    public_url = ctx.settings.public_url
    if sign_in_missing(ctx) or public_url is None:
        return None
    token = await ctx.services.accounts.create_link_token(person(origin))
    return link_url(public_url, token)


async def link_text(ctx: JobContext, origin: SlackOrigin) -> str:
    """The answer to `link` or to someone not linked: the link first, or how to set sign-in up."""
    url = await fresh_link(ctx, origin)
    return sign_in_not_set_up(sign_in_missing(ctx)) if url is None else link_first(url)
