"""Which flow runs which job kind."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.commands import JobKind
from app.flows import (
    address_review,
    bookkeeping,
    ci_fix,
    control,
    fix_issue,
    fix_pr,
    pr_event,
    slack_action,
    slack_request,
    slack_task,
)
from app.flows.context import Flow

FLOWS: Mapping[JobKind, Flow] = {
    "fix_issue": fix_issue.run,
    "fix_pr": fix_pr.run,
    "address_review": address_review.run,
    "ci_fix": ci_fix.run,
    "approved": bookkeeping.approved,
    "pr_closed": bookkeeping.pr_closed,
    "stop": control.stop,
    "retry": control.retry,
    "help": control.help_,
    "slack_request": slack_request.run,
    "slack_action": slack_action.run,
    "pr_event": pr_event.run,
    "slack_task": slack_task.run,
}
