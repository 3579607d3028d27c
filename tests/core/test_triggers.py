"""app/core/triggers.py: every row of the trigger table over real (and derived) deliveries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from app.core.commands import Command
from app.core.config import Settings
from app.core.triggers import TriggerContext, command_for, is_honk_pr
from app.core.webhooks import Event, parse_delivery
from tests.fakes.deliveries import all_fixtures, delivery_headers, load_payload

SECRET = "trigger-secret"
DELIVERY = "delivery-1"
REPO = "Codertocat/Hello-World"
SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
DEFAULT = TriggerContext()
AS_HONK = TriggerContext(bot_login="honk[bot]")
Mutation = Callable[[dict[str, Any]], object]

ISSUE_FIX = Command(
    kind="fix_issue",
    repo=REPO,
    number=1,
    installation_id=1,
    sender="Codertocat",
    sender_id=21031067,
    delivery_id=DELIVERY,
    notes="please handle the empty case",
    comment_id=492700400,
    title="Spelling error in the README file",
    body="It looks like you accidently spelled 'commit' with two 't's.",
)
REVIEW = Command(
    kind="address_review",
    repo=REPO,
    number=2,
    installation_id=1,
    sender="Codertocat",
    sender_id=21031067,
    delivery_id=DELIVERY,
    is_pull_request=True,
    review_id=237895671,
    review_state="changes_requested",
    head_ref="honk/issue-1",
    head_sha=SHA,
    head_repo=REPO,
    title="Update the README with new information.",
    body="Please handle the empty case.",
)
CLOSED = replace(
    REVIEW, kind="pr_closed", review_id=None, review_state=None, merged=True, title=None, body=None
)
CI_FIX = replace(
    REVIEW,
    kind="ci_fix",
    review_id=None,
    review_state=None,
    head_repo=None,
    check_suite_id=118578147,
    title=None,
    body=None,
)
TRIGGERING = {
    "issues/labeled.honk.json",
    "issue_comment/created.honk-fix.json",
    "issue_comment/created.on-pull-request.honk-fix.json",
    "pull_request_review/submitted.changes-requested.json",
    "pull_request_review/submitted.approved.json",
    "pull_request/closed.merged.json",
    "check_suite/completed.failure.json",
}


def _event(rel: str, mutate: Mutation | None = None) -> Event:
    """The fixture delivered for real (signed bytes through parse_delivery), mutated first."""
    payload = load_payload(rel)
    if mutate is not None:
        mutate(payload)
    body = json.dumps(payload).encode()
    name = rel.split("/")[0]
    return parse_delivery(delivery_headers(name, body, SECRET, DELIVERY), body, SECRET)


def _set(path: str, value: object) -> Mutation:
    """A mutation setting the dotted `path` (list indexes as digits) to `value`."""

    def mutate(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = payload
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = payload
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


def _replace(command: Command, **changes: Any) -> Command:
    return Command.from_dict(command.to_dict() | changes)


@pytest.mark.parametrize(
    ("rel", "ctx", "expected"),
    [
        ("issues/labeled.honk.json", DEFAULT, _replace(ISSUE_FIX, notes="", comment_id=None)),
        ("issue_comment/created.honk-fix.json", DEFAULT, ISSUE_FIX),
        (
            "issue_comment/created.on-pull-request.honk-fix.json",
            DEFAULT,
            _replace(ISSUE_FIX, kind="fix_pr", is_pull_request=True),
        ),
        ("pull_request_review/submitted.changes-requested.json", DEFAULT, REVIEW),
        ("pull_request_review/submitted.changes-requested.json", AS_HONK, REVIEW),
        (
            "pull_request_review/submitted.approved.json",
            AS_HONK,
            _replace(REVIEW, kind="approved", review_state="approved", title=None, body=None),
        ),
        ("pull_request/closed.merged.json", AS_HONK, CLOSED),
        ("check_suite/completed.failure.json", AS_HONK, CI_FIX),
    ],
)
def test_trigger_table_rows(rel: str, ctx: TriggerContext, expected: Command) -> None:
    assert command_for(_event(rel), ctx) == expected


@pytest.mark.parametrize(
    ("rel", "mutate", "title", "body"),
    [
        (
            "issues/labeled.honk.json",
            _set("issue.body", None),
            "Spelling error in the README file",
            "",
        ),
        (
            "issue_comment/created.honk-fix.json",
            _set("issue.title", "Edited"),
            "Edited",
            ISSUE_FIX.body,
        ),
        (
            "pull_request_review/submitted.changes-requested.json",
            _set("review.body", None),
            REVIEW.title,
            "",
        ),
    ],
)
def test_the_text_the_delivery_carried_goes_with_the_command(
    rel: str, mutate: Mutation, title: str, body: str
) -> None:
    """What the agent reads is what the trigger carried: the issue (or PR) title and body as
    they were when labelled or commented on, a review's own body; a null body is empty."""
    command = command_for(_event(rel, mutate), DEFAULT)
    assert command is not None
    assert (command.title, command.body) == (title, body)
    assert Command.from_json(command.to_json()) == command


@pytest.mark.parametrize(("event_name", "rel"), all_fixtures())
def test_fixtures_outside_the_table_ask_nothing(event_name: str, rel: str) -> None:
    command = command_for(_event(rel), DEFAULT)
    assert (command is not None) == (rel in TRIGGERING), (event_name, command)


@pytest.mark.parametrize(
    ("body", "kind", "notes"),
    [
        ("/honk stop", "stop", ""),
        ("/honk retry", "retry", ""),
        ("/honk help", "help", ""),
        ("/honk help with the fix verb", "help", ""),  # help takes no notes: not "unknown"
        ("/honk", "help", ""),
        (
            "Thanks!\n/HONK Fix the typo too\nand the link",
            "fix_issue",
            "the typo too\nand the link",
        ),
        ("/honk deploy now", "help", "deploy"),
        ("> /honk fix\nquoted, not a request", None, None),
        ("```\n/honk fix\n```", None, None),
        ("please /honk fix", None, None),
        ("", None, None),
    ],
)
def test_issue_comment_commands(body: str, kind: str | None, notes: str | None) -> None:
    command = command_for(_event("issue_comment/created.json", _set("comment.body", body)), DEFAULT)
    assert (command and command.kind, command and command.notes) == (kind, notes)
    if command is not None:
        assert (command.number, command.comment_id, command.is_pull_request) == (
            1,
            492700400,
            False,
        )


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("/honk fix", "fix_pr"),
        ("/honk stop", "stop"),
        ("/honk retry", "retry"),
        ("/honk x", "help"),
    ],
)
def test_pull_request_comment_commands(body: str, kind: str) -> None:
    event = _event("issue_comment/created.on-pull-request.json", _set("comment.body", body))
    command = command_for(event, DEFAULT)
    assert command is not None
    assert (command.kind, command.is_pull_request, command.number) == (kind, True, 1)


@pytest.mark.parametrize("rel", ["issue_comment/edited.json", "issue_comment/deleted.json"])
def test_edited_or_deleted_honk_comments_ask_nothing(rel: str) -> None:
    assert command_for(_event(rel, _set("comment.body", "/honk fix")), DEFAULT) is None


@pytest.mark.parametrize(
    ("label", "ctx", "kind"),
    [
        ("honk", DEFAULT, "fix_issue"),
        ("HONK", DEFAULT, "fix_issue"),
        ("fixme", TriggerContext(label="FixMe"), "fix_issue"),
        ("honk", TriggerContext(label="fixme"), None),
        ("bug", DEFAULT, None),
    ],
)
def test_label_trigger(label: str, ctx: TriggerContext, kind: str | None) -> None:
    command = command_for(_event("issues/labeled.json", _set("label.name", label)), ctx)
    assert (command and command.kind) == kind


@pytest.mark.parametrize(
    ("rel", "state", "kind"),
    [
        ("pull_request_review/submitted.json", "commented", "address_review"),
        ("pull_request_review/submitted.json", "changes_requested", "address_review"),
        ("pull_request_review/submitted.json", "CHANGES_REQUESTED", "address_review"),
        ("pull_request_review/submitted.json", "approved", "approved"),
        ("pull_request_review/submitted.json", "dismissed", None),
        ("pull_request_review/submitted.json", "pending", None),
        ("pull_request_review/dismissed.json", "dismissed", None),
    ],
)
def test_review_states_on_a_honk_branch(rel: str, state: str, kind: str | None) -> None:
    def mutate(payload: dict[str, Any]) -> None:
        payload["review"]["state"] = state
        payload["pull_request"]["head"]["ref"] = "honk/issue-9"

    command = command_for(_event(rel, mutate), DEFAULT)
    assert (command and command.kind) == kind


@pytest.mark.parametrize(
    ("rel", "mutate", "ctx"),
    [
        ("pull_request_review/submitted.json", None, DEFAULT),
        (
            "pull_request_review/submitted.changes-requested.json",
            None,
            TriggerContext(bot_login="x[bot]"),
        ),
        (
            "pull_request_review/submitted.approved.json",
            _set("pull_request.head.ref", "fix/1"),
            DEFAULT,
        ),
        ("pull_request/closed.json", None, DEFAULT),
        ("pull_request/closed.merged.json", None, TriggerContext(branch_prefix="bot/")),
        (
            "pull_request_review_comment/created.json",
            _set("pull_request.head.ref", "honk/x"),
            DEFAULT,
        ),
        ("pull_request/opened.json", _set("pull_request.head.ref", "honk/x"), DEFAULT),
    ],
)
def test_prs_that_are_not_honks_or_events_not_in_the_table(
    rel: str, mutate: Mutation | None, ctx: TriggerContext
) -> None:
    assert command_for(_event(rel, mutate), ctx) is None


@pytest.mark.parametrize(("merged", "expected"), [(True, True), (False, False), (None, False)])
def test_closed_honk_pr_records_whether_it_merged(merged: bool | None, expected: bool) -> None:
    command = command_for(
        _event("pull_request/closed.merged.json", _set("pull_request.merged", merged)), DEFAULT
    )
    assert command is not None and command.merged is expected


@pytest.mark.parametrize(
    ("mutate", "ctx", "fires"),
    [
        (_set("check_suite.conclusion", "timed_out"), DEFAULT, True),
        (_set("check_suite.conclusion", "cancelled"), DEFAULT, False),
        (_set("check_suite.conclusion", "neutral"), DEFAULT, False),
        (_set("check_suite.conclusion", None), DEFAULT, False),
        (_set("check_suite.head_branch", "main"), DEFAULT, False),
        (_set("check_suite.head_branch", None), DEFAULT, False),
        (_set("check_suite.pull_requests", []), DEFAULT, False),
        (_set("check_suite.pull_requests", None), DEFAULT, False),
        (_set("check_suite.pull_requests", ["2"]), DEFAULT, False),
        (_set("check_suite.pull_requests.0.number", "2"), DEFAULT, False),
        (None, TriggerContext(bot_login="octocoders-linter[bot]"), False),
        (None, TriggerContext(bot_login="Octocoders-Linter[bot]"), False),
        (_drop("check_suite.app.slug"), TriggerContext(bot_login="octocoders-linter[bot]"), True),
        (_set("sender.type", "Bot"), DEFAULT, True),
        (_set("sender.login", "ci[bot]"), AS_HONK, True),
    ],
)
def test_check_suite_rules(mutate: Mutation | None, ctx: TriggerContext, fires: bool) -> None:
    command = command_for(_event("check_suite/completed.failure.json", mutate), ctx)
    assert (command is not None) == fires
    if command is not None:
        assert (command.kind, command.number, command.check_suite_id) == ("ci_fix", 2, 118578147)


PERSON_TRIGGERS = sorted(TRIGGERING - {"check_suite/completed.failure.json"})


@pytest.mark.parametrize("rel", PERSON_TRIGGERS)
@pytest.mark.parametrize(
    "mutate",
    [_set("sender.type", "Bot"), _set("sender.login", "dependabot[bot]")],
)
def test_bot_senders_never_start_work(rel: str, mutate: Mutation) -> None:
    assert command_for(_event(rel), DEFAULT) is not None
    assert command_for(_event(rel, mutate), DEFAULT) is None
    assert command_for(_event(rel, mutate), AS_HONK) is None


def _sent_by_honk(payload: dict[str, Any]) -> None:
    """Honk's own account (a login without `[bot]`) is the sender and the PR author."""
    payload["sender"]["login"] = "honk-app"
    if "pull_request" in payload:
        payload["pull_request"]["user"]["login"] = "honk-app"


@pytest.mark.parametrize("rel", PERSON_TRIGGERS)
def test_honks_own_login_never_starts_work(rel: str) -> None:
    assert command_for(_event(rel, _sent_by_honk), DEFAULT) is not None
    assert command_for(_event(rel, _sent_by_honk), TriggerContext(bot_login="Honk-App")) is None


@pytest.mark.parametrize(
    ("rel", "mutate"),
    [
        ("issues/labeled.honk.json", _set("issue", None)),
        ("issues/labeled.honk.json", _drop("label")),
        ("issues/labeled.honk.json", _set("label", "honk")),
        ("issues/labeled.honk.json", _set("issue.number", "1")),
        ("issues/labeled.honk.json", _set("issue.number", True)),
        ("issues/labeled.honk.json", _drop("repository")),
        ("issues/labeled.honk.json", _set("repository.full_name", None)),
        ("issues/labeled.honk.json", _set("sender", None)),
        ("issues/labeled.honk.json", _set("action", None)),
        ("issue_comment/created.honk-fix.json", _set("comment", None)),
        ("issue_comment/created.honk-fix.json", _set("comment.body", ["/honk fix"])),
        ("issue_comment/created.honk-fix.json", _set("issue", [])),
        ("pull_request_review/submitted.changes-requested.json", _set("review", None)),
        ("pull_request_review/submitted.changes-requested.json", _set("review.state", 3)),
        ("pull_request_review/submitted.changes-requested.json", _set("pull_request", None)),
        ("pull_request_review/submitted.changes-requested.json", _set("pull_request.head", None)),
        ("pull_request_review/submitted.changes-requested.json", _set("pull_request.number", None)),
        ("pull_request/closed.merged.json", _set("pull_request.head.ref", 1)),
        ("check_suite/completed.failure.json", _set("check_suite", None)),
        ("check_suite/completed.failure.json", _set("check_suite.pull_requests", {"0": 2})),
    ],
)
def test_odd_payloads_ask_nothing(rel: str, mutate: Mutation) -> None:
    assert command_for(_event(rel), DEFAULT) is not None
    assert command_for(_event(rel, mutate), DEFAULT) is None


def _paths(node: object, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every key path in a JSON document, parents before children."""
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


@pytest.mark.parametrize("rel", sorted(TRIGGERING))
def test_any_field_of_any_type_never_raises(rel: str) -> None:
    """Every field, one at a time, set to each JSON type: command_for returns, never raises."""
    payload = load_payload(rel)
    values: tuple[object, ...] = (None, "honk/x", 0, True, [], {}, [None])
    paths = list(_paths(payload))
    for path in paths:
        parent: Any = payload
        for key in path[:-1]:
            parent = parent[key]
        kept = parent[path[-1]]
        for value in values:
            parent[path[-1]] = value
            action = payload.get("action")
            action = action if isinstance(action, str) else None  # as parse_delivery does
            command_for(Event(rel.split("/")[0], action, "d", 1, payload), AS_HONK)
        parent[path[-1]] = kept
    assert payload == load_payload(rel)
    assert len(paths) > 100


def test_is_honk_pr_needs_prefix_and_author_when_known() -> None:
    pull_request = load_payload("pull_request/closed.merged.json")["pull_request"]
    assert is_honk_pr(pull_request, DEFAULT)
    assert is_honk_pr(pull_request, TriggerContext(bot_login="HONK[bot]"))
    assert not is_honk_pr(pull_request, TriggerContext(bot_login="other[bot]"))
    assert not is_honk_pr(pull_request, TriggerContext(branch_prefix="bot/"))


def test_context_from_settings() -> None:
    settings = Settings(label="fixme", branch_prefix="bot/", bot_login="fixer[bot]")
    assert TriggerContext.from_settings(settings) == TriggerContext("fixme", "bot/", "fixer[bot]")
    assert TriggerContext.from_settings(Settings()) == DEFAULT


def _honk_deployment(payload: dict[str, Any]) -> None:
    """The deployment of a Honk branch, with the URL GitHub gives a successful one."""
    payload["deployment"]["ref"] = "honk/issue-1"
    payload["deployment_status"]["environment_url"] = "https://pr-2.preview.example.com"


def _honk_workflow_run(payload: dict[str, Any]) -> None:
    payload["workflow_run"]["head_branch"] = "honk/issue-1"
    for pull in payload["workflow_run"]["pull_requests"]:
        pull["head"]["ref"] = "honk/issue-1"


DEPLOYMENT_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
RUN_SHA = "3484a3fb816e0859fd6e1cea078d76385ff50625"
RUN = {"repo": "octo-org/octo-repo", "sender_id": 15669918}  # the workflow_run examples' own
FACTS = Command(
    kind="pr_event",
    repo=REPO,
    number=None,
    installation_id=1,
    sender="Codertocat",
    sender_id=21031067,
    delivery_id=DELIVERY,
)


def _with_installation(payload: dict[str, Any]) -> None:
    payload["installation"] = {"id": 1}


def _both(*mutations: Mutation) -> Mutation:
    def mutate(payload: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(payload)

    return mutate


@pytest.mark.parametrize(
    ("rel", "mutate", "expected"),
    [
        (
            "check_suite/completed.failure.json",
            _set("check_suite.conclusion", "success"),
            _replace(CI_FIX, kind="pr_event", notes="ci_passed"),
        ),
        (
            "deployment_status/created.with-installation.json",
            _honk_deployment,
            _replace(
                FACTS,
                notes="deployment",
                head_ref="honk/issue-1",
                head_sha=DEPLOYMENT_SHA,
                environment="production",
                environment_url="https://pr-2.preview.example.com",
            ),
        ),
        (
            "workflow_run/completed.with-pull-requests.json",
            _both(_honk_workflow_run, _with_installation),
            _replace(
                FACTS,
                **RUN,
                number=2,
                notes="workflow_run",
                is_pull_request=True,
                head_ref="honk/issue-1",
                head_sha=RUN_SHA,
                run_id=289782451,
            ),
        ),
        (
            "workflow_run/completed.json",
            _both(_honk_workflow_run, _with_installation),
            _replace(
                FACTS,
                **RUN,
                notes="workflow_run",
                is_pull_request=True,
                head_ref="honk/issue-1",
                head_sha=RUN_SHA,
                run_id=289782451,
            ),
        ),
    ],
)
def test_ci_deployment_and_build_facts_become_pr_events(
    rel: str, mutate: Mutation, expected: Command
) -> None:
    command = command_for(_event(rel, mutate), AS_HONK)
    assert command == expected
    assert Command.from_json(command.to_json()) == command


BOTS = _both(_set("sender.type", "Bot"), _set("sender.login", "github-actions[bot]"))


@pytest.mark.parametrize(
    ("rel", "mutate", "fires"),
    [
        ("deployment_status/created.with-installation.json", _honk_deployment, True),
        ("deployment_status/created.with-installation.json", _both(_honk_deployment, BOTS), True),
        ("deployment_status/created.with-installation.json", None, False),  # ref `master`
        (
            "deployment_status/created.with-installation.json",
            _both(_honk_deployment, _set("deployment_status.state", "failure")),
            False,
        ),
        (
            "deployment_status/created.with-installation.json",
            _both(_honk_deployment, _set("deployment_status.environment_url", "")),
            False,
        ),
        (
            "deployment_status/created.with-installation.json",
            _both(_honk_deployment, _drop("deployment_status.environment_url")),
            False,
        ),
        (
            "deployment_status/created.with-installation.json",
            _both(_honk_deployment, _set("deployment", None)),
            False,
        ),
        ("workflow_run/completed.json", _honk_workflow_run, True),
        ("workflow_run/completed.json", _both(_honk_workflow_run, BOTS), True),
        ("workflow_run/completed.json", None, False),  # branch `master`
        (
            "workflow_run/completed.json",
            _both(_honk_workflow_run, _set("workflow_run.id", "1")),
            False,
        ),
        ("workflow_run/requested.json", _honk_workflow_run, False),
        ("check_suite/completed.failure.json", _set("check_suite.conclusion", "success"), True),
        (
            "check_suite/completed.failure.json",
            _both(_set("check_suite.conclusion", "success"), BOTS),
            True,
        ),
        (
            "check_suite/completed.failure.json",
            _both(
                _set("check_suite.conclusion", "success"), _set("check_suite.head_branch", "main")
            ),
            False,
        ),
    ],
)
def test_facts_come_from_bots_and_only_about_honk_branches(
    rel: str, mutate: Mutation | None, fires: bool
) -> None:
    """CI and deployment events are facts, not requests: a bot sender is fine; a branch
    outside Honk's prefix, a failed deployment or one without a URL asks nothing."""
    command = command_for(_event(rel, mutate), AS_HONK)
    assert (command is not None) == fires
    assert command is None or command.kind == "pr_event"
