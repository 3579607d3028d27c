"""The database tables (SQLAlchemy Core): deliveries, jobs, and Honk's pull requests."""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    false,
    text,
)

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
JOB_STATES: tuple[JobState, ...] = get_args(JobState)
PullState = Literal["open", "approved", "merged", "closed"]

# Partial-index predicates; literal SQL so that ON CONFLICT can name the index they define.
QUEUED_ONLY = text("state = 'queued'")
RUNNING_ONLY = text("state = 'running'")

metadata = MetaData()

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Text, primary_key=True),
    Column("event", Text, nullable=False),
    Column("action", Text),
    Column("received_at", Float, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("job_id", Integer),
    # A GitHub delivery as received, for `honk replay` (revision 0007); NULL for Slack's.
    Column("content_type", Text),
    Column("body", LargeBinary),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", Text, nullable=False),
    Column("repo", Text, nullable=False),
    Column("number", Integer),
    Column("installation_id", BigInteger),
    Column("delivery_id", Text),
    Column("dedupe_key", Text),
    Column("lock_key", Text),
    Column("state", Text, nullable=False),
    Column("commands", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False),
    Column("run_after", Float, nullable=False),
    Column("lease_owner", Text),
    Column("lease_expires_at", Float),
    Column("cancel_requested", Boolean, nullable=False, server_default=false()),
    Column("error", Text),
    Column("result", Text),
    Column("cost_usd", Float, nullable=False, server_default="0"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("acknowledged_at", Float),  # 👀 and progress comment posted (revision 0003)
    # The agent's finished work (JSON: pushed commit, summary, tests), kept so that a retry
    # publishes it instead of running the agent again (revision 0004).
    Column("checkpoint", Text),
    # The job's progress comment on GitHub, once made (revision 0008): edited by its id.
    Column("progress_comment_id", BigInteger),
    CheckConstraint(
        "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="ck_jobs_state"
    ),
)
Index(
    "ux_jobs_dedupe_queued",
    jobs.c.dedupe_key,
    unique=True,
    sqlite_where=QUEUED_ONLY,
    postgresql_where=QUEUED_ONLY,
)
Index(
    "ux_jobs_lock_running",
    jobs.c.lock_key,
    unique=True,
    sqlite_where=RUNNING_ONLY,
    postgresql_where=RUNNING_ONLY,
)
Index("ix_jobs_claim", jobs.c.state, jobs.c.run_after)
Index("ix_jobs_target", jobs.c.repo, jobs.c.number)


# The pull requests Honk opened (or was asked to fix): the link to the issue, the task that
# started it (memory for later runs), who asked, its outcome, and the CI-fix attempts made.
pull_requests = Table(
    "pull_requests",
    metadata,
    Column("repo", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("issue_number", Integer),
    Column("branch", Text, nullable=False),
    Column("requester", Text, nullable=False),
    Column("requester_id", BigInteger),
    Column("task", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("ci_fix_attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    PrimaryKeyConstraint("repo", "number", name="pk_pull_requests"),
    CheckConstraint(
        "state IN ('open', 'approved', 'merged', 'closed')", name="ck_pull_requests_state"
    ),
)
Index("ix_pull_requests_branch", pull_requests.c.repo, pull_requests.c.branch)


# Sign-in (revision 0005): GitHub people with their user tokens (encrypted with
# HONK_SECRET_KEY), the Slack people linked to them, and single-use Slack linking links.
github_users = Table(
    "github_users",
    metadata,
    Column("github_id", BigInteger, primary_key=True),
    Column("login", Text, nullable=False),
    Column("access_token", Text),  # encrypted
    Column("access_expires_at", Float),
    Column("refresh_token", Text),  # encrypted
    Column("refresh_expires_at", Float),
    Column("updated_at", Float, nullable=False),
)

slack_links = Table(
    "slack_links",
    metadata,
    Column("slack_team", Text, nullable=False),
    Column("slack_user", Text, nullable=False),
    Column("github_id", BigInteger, nullable=False),
    Column("linked_at", Float, nullable=False),
    PrimaryKeyConstraint("slack_team", "slack_user", name="pk_slack_links"),
)

link_tokens = Table(
    "link_tokens",
    metadata,
    Column("id", Text, primary_key=True),
    Column("slack_team", Text, nullable=False),
    Column("slack_user", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("used_at", Float),
)


# Slack (revision 0006): each channel's default repository; each Slack thread a job speaks in,
# with its repository and (once opened) its PR, so follow-ups and the PR's later life find it;
# each job's status message; and notices posted once (a fact GitHub may send twice).
slack_channels = Table(
    "slack_channels",
    metadata,
    Column("slack_team", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("repo", Text, nullable=False),
    Column("set_by", Text, nullable=False),  # the GitHub login that set it
    Column("set_at", Float, nullable=False),
    PrimaryKeyConstraint("slack_team", "channel", name="pk_slack_channels"),
)

slack_threads = Table(
    "slack_threads",
    metadata,
    Column("slack_team", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("thread_ts", Text, nullable=False),
    Column("repo", Text, nullable=False),
    Column("pr_number", Integer),
    Column("requester", Text, nullable=False),  # the Slack user who started it
    Column("requester_login", Text, nullable=False),
    Column("last_job_id", Integer),
    Column("is_dm", Boolean, nullable=False, server_default=false()),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    PrimaryKeyConstraint("slack_team", "channel", "thread_ts", name="pk_slack_threads"),
)
Index("ix_slack_threads_pull", slack_threads.c.repo, slack_threads.c.pr_number)

slack_statuses = Table(
    "slack_statuses",
    metadata,
    Column("job_id", Integer, primary_key=True),
    Column("slack_team", Text, nullable=False),
    Column("slack_user", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("ts", Text, nullable=False),
    Column("thread_ts", Text),
    Column("final_ts", Text),  # the final message, once posted (posted at most once)
    Column("created_at", Float, nullable=False),
)
Index("ix_slack_statuses_user", slack_statuses.c.slack_team, slack_statuses.c.slack_user)

slack_notices = Table(
    "slack_notices",
    metadata,
    Column("key", Text, primary_key=True),
    Column("posted_at", Float, nullable=False),
)
