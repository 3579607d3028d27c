"""Triggers: map an accepted webhook Event to the Command Honk should queue, or None.

Pure and total: odd payloads (missing keys, nulls, wrong types) give None, never an exception.
Permission checks need the GitHub API, so the worker makes them, not this module.

Bots never start work: a sender of type `Bot`, a login ending in `[bot]`, or Honk's own login
yields None. The exceptions are CI and deployment events (`check_suite`, `deployment_status`,
`workflow_run`): their sender is usually the CI app, and the event is a fact about Honk's own PR
rather than a person's request, so the bot-sender rule does not apply to them. Only suites
created by Honk itself are ignored there. A failed suite asks for a CI fix; a passed suite, a
successful deployment with a URL and a finished workflow run become a `pr_event` whose `notes`
say which (`ci_passed`, `deployment`, `workflow_run`): a line in the PR's Slack thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.core.commands import Command, JobKind, ParsedComment, Verb, parse_comment
from app.core.config import Settings
from app.core.webhooks import Event

_FAILED_CONCLUSIONS = frozenset({"failure", "timed_out"})
_FACT_EVENTS = frozenset({"check_suite", "deployment_status", "workflow_run"})
_VERB_KINDS: Mapping[Verb, JobKind] = {"stop": "stop", "retry": "retry", "help": "help"}
_REVIEW_KINDS: Mapping[str, JobKind] = {
    "approved": "approved",
    "changes_requested": "address_review",
    "commented": "address_review",
}


@dataclass(frozen=True)
class TriggerContext:
    """What triggers depend on: the trigger label, Honk's branch prefix and its bot login."""

    label: str = "honk"
    branch_prefix: str = "honk/"
    bot_login: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> TriggerContext:
        return cls(
            label=settings.label,
            branch_prefix=settings.branch_prefix,
            bot_login=settings.bot_login,
        )


def command_for(event: Event, ctx: TriggerContext) -> Command | None:
    """The Command `event` asks for (DESIGN.md's trigger table), or None when it asks nothing."""
    handler = _HANDLERS.get((event.name, event.action or ""))
    if handler is None or event.repo is None or event.sender_login is None:
        return None
    if event.name not in _FACT_EVENTS and _sent_by_bot(event, ctx):
        return None
    return handler(event, ctx)


def is_honk_pr(pull_request: Mapping[str, Any], ctx: TriggerContext) -> bool:
    """A PR on a branch under Honk's prefix and, when Honk's login is known, opened by Honk."""
    head_ref = _str(_obj(pull_request, "head"), "ref")
    if head_ref is None or not head_ref.startswith(ctx.branch_prefix):
        return False
    author = _str(_obj(pull_request, "user"), "login")
    return ctx.bot_login is None or _same_login(author, ctx.bot_login)


def _sent_by_bot(event: Event, ctx: TriggerContext) -> bool:
    own = ctx.bot_login is not None and _same_login(event.sender_login, ctx.bot_login)
    return event.sender_is_bot or own


def _issue_labeled(event: Event, ctx: TriggerContext) -> Command | None:
    label = _str(_obj(event.payload, "label"), "name")
    number = _int(_obj(event.payload, "issue"), "number")
    if label is None or label.casefold() != ctx.label.casefold() or number is None:
        return None
    return _command(event, "fix_issue", number=number, **_carried(_obj(event.payload, "issue")))


def _comment_created(event: Event, ctx: TriggerContext) -> Command | None:
    issue = _obj(event.payload, "issue")
    comment = _obj(event.payload, "comment")
    number = _int(issue, "number")
    parsed = parse_comment(_str(comment, "body"))
    if parsed is None or number is None:
        return None
    is_pr = isinstance(issue.get("pull_request"), dict)
    return _command(
        event,
        _verb_kind(parsed.verb, is_pr),
        number=number,
        notes=_notes(parsed),
        is_pull_request=is_pr,
        comment_id=_int(comment, "id"),
        **(_carried(issue) if parsed.verb == "fix" else {}),
    )


def _carried(item: Mapping[str, Any], body: str | None = None) -> dict[str, str | None]:
    """The title and body an issue or PR had when the delivery was sent (a null body is "")."""
    title = _str(item, "title")
    if title is None:
        return {}
    return {"title": title, "body": body if body is not None else _str(item, "body") or ""}


def _notes(parsed: ParsedComment) -> str:
    """The free text for the job; for `help`, the unknown word only (help takes no notes)."""
    if parsed.verb is None:
        return parsed.word
    return "" if parsed.verb == "help" else parsed.notes


def _verb_kind(verb: Verb | None, is_pull_request: bool) -> JobKind:
    """`/honk fix` depends on where it is written; an unknown verb (None) gets the usage."""
    if verb == "fix":
        return "fix_pr" if is_pull_request else "fix_issue"
    return _VERB_KINDS[verb] if verb is not None else "help"


def _review_submitted(event: Event, ctx: TriggerContext) -> Command | None:
    pull_request = _obj(event.payload, "pull_request")
    review = _obj(event.payload, "review")
    state = (_str(review, "state") or "").lower()
    kind = _REVIEW_KINDS.get(state)
    if kind is None or not is_honk_pr(pull_request, ctx):
        return None
    carried = _carried(pull_request, _str(review, "body") or "") if kind != "approved" else {}
    return _pr_command(
        event, kind, pull_request, review_id=_int(review, "id"), review_state=state, **carried
    )


def _pr_closed(event: Event, ctx: TriggerContext) -> Command | None:
    pull_request = _obj(event.payload, "pull_request")
    if not is_honk_pr(pull_request, ctx):
        return None
    return _pr_command(event, "pr_closed", pull_request, merged=pull_request.get("merged") is True)


def _check_suite_completed(event: Event, ctx: TriggerContext) -> Command | None:
    """Failed: a CI fix. Passed: a `ci_passed` line (and the merge offer) in Slack."""
    suite = _obj(event.payload, "check_suite")
    head_branch = _str(suite, "head_branch")
    pulls = suite.get("pull_requests")
    first = pulls[0] if isinstance(pulls, list) and pulls else None
    number = _int(first, "number") if isinstance(first, dict) else None
    conclusion = _str(suite, "conclusion")
    passed = conclusion == "success"
    if (
        (conclusion not in _FAILED_CONCLUSIONS and not passed)
        or not _on_honk_branch(head_branch, ctx)
        or number is None
        or _suite_is_own(suite, ctx)
    ):
        return None
    return _command(
        event,
        "pr_event" if passed else "ci_fix",
        number=number,
        notes="ci_passed" if passed else "",
        is_pull_request=True,
        head_ref=head_branch,
        head_sha=_str(suite, "head_sha"),
        check_suite_id=_int(suite, "id"),
    )


def _deployment_status_created(event: Event, ctx: TriggerContext) -> Command | None:
    """A successful deployment with a URL, of a Honk branch: "preview ready" in Slack."""
    status = _obj(event.payload, "deployment_status")
    deployment = _obj(event.payload, "deployment")
    url = _str(status, "environment_url")
    if (
        _str(status, "state") != "success"
        or not url
        or not _on_honk_branch(_str(deployment, "ref"), ctx)
    ):
        return None
    environment = _str(status, "environment") or _str(deployment, "environment") or ""
    return _command(
        event,
        "pr_event",
        number=None,  # the flow finds the PR whose head is the deployed commit
        notes="deployment",
        head_ref=_str(deployment, "ref"),
        head_sha=_str(deployment, "sha"),
        environment=environment,
        environment_url=url,
    )


def _workflow_run_completed(event: Event, ctx: TriggerContext) -> Command | None:
    """A finished workflow run on a Honk branch: its artifacts, if any, linked in Slack."""
    run = _obj(event.payload, "workflow_run")
    head_branch = _str(run, "head_branch")
    run_id = _int(run, "id")
    if not _on_honk_branch(head_branch, ctx) or run_id is None:
        return None
    pulls = run.get("pull_requests")
    first = pulls[0] if isinstance(pulls, list) and pulls else None
    return _command(
        event,
        "pr_event",
        number=_int(first, "number") if isinstance(first, dict) else None,
        notes="workflow_run",
        is_pull_request=True,
        head_ref=head_branch,
        head_sha=_str(run, "head_sha"),
        run_id=run_id,
    )


def _on_honk_branch(ref: str | None, ctx: TriggerContext) -> bool:
    return ref is not None and ref.startswith(ctx.branch_prefix)


def _suite_is_own(suite: Mapping[str, Any], ctx: TriggerContext) -> bool:
    """A suite created by Honk's own app (its bot login is `<app slug>[bot]`)."""
    slug = _str(_obj(suite, "app"), "slug")
    return (
        slug is not None
        and ctx.bot_login is not None
        and _same_login(f"{slug}[bot]", ctx.bot_login)
    )


def _pr_command(
    event: Event, kind: JobKind, pull_request: Mapping[str, Any], **fields: Any
) -> Command | None:
    number = _int(pull_request, "number")
    if number is None:
        return None
    head = _obj(pull_request, "head")
    return _command(
        event,
        kind,
        number=number,
        is_pull_request=True,
        head_ref=_str(head, "ref"),
        head_sha=_str(head, "sha"),
        head_repo=_str(_obj(head, "repo"), "full_name"),
        **fields,
    )


def _command(event: Event, kind: JobKind, **fields: Any) -> Command:
    """A Command for `event` with the fields every kind shares filled in."""
    return Command(
        kind=kind,
        repo=event.repo or "",
        installation_id=event.installation_id,
        sender=event.sender_login or "",
        sender_id=_int(_obj(event.payload, "sender"), "id"),
        delivery_id=event.delivery_id,
        **fields,
    )


def _same_login(login: str | None, other: str) -> bool:
    """GitHub logins compare case-insensitively."""
    return login is not None and login.casefold() == other.casefold()


def _obj(mapping: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = mapping.get(key)
    return value if isinstance(value, dict) else {}


def _str(mapping: Mapping[str, Any], key: str) -> str | None:
    value = mapping.get(key)
    return value if isinstance(value, str) else None


def _int(mapping: Mapping[str, Any], key: str) -> int | None:
    value = mapping.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_Handler = Callable[[Event, TriggerContext], Command | None]
_HANDLERS: Mapping[tuple[str, str], _Handler] = {
    ("issues", "labeled"): _issue_labeled,
    ("issue_comment", "created"): _comment_created,
    ("pull_request_review", "submitted"): _review_submitted,
    ("pull_request", "closed"): _pr_closed,
    ("check_suite", "completed"): _check_suite_completed,
    ("deployment_status", "created"): _deployment_status_created,
    ("workflow_run", "completed"): _workflow_run_completed,
}
