"""Slack: channel defaults, job threads, status messages, notices posted once.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_channels",
        sa.Column("slack_team", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("repo", sa.Text, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
        sa.Column("set_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("slack_team", "channel", name="pk_slack_channels"),
    )
    op.create_table(
        "slack_threads",
        sa.Column("slack_team", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("thread_ts", sa.Text, nullable=False),
        sa.Column("repo", sa.Text, nullable=False),
        sa.Column("pr_number", sa.Integer),
        sa.Column("requester", sa.Text, nullable=False),
        sa.Column("requester_login", sa.Text, nullable=False),
        sa.Column("last_job_id", sa.Integer),
        sa.Column("is_dm", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("slack_team", "channel", "thread_ts", name="pk_slack_threads"),
    )
    op.create_index("ix_slack_threads_pull", "slack_threads", ["repo", "pr_number"])
    op.create_table(
        "slack_statuses",
        sa.Column("job_id", sa.Integer, primary_key=True),
        sa.Column("slack_team", sa.Text, nullable=False),
        sa.Column("slack_user", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
        sa.Column("thread_ts", sa.Text),
        sa.Column("final_ts", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_slack_statuses_user", "slack_statuses", ["slack_team", "slack_user"])
    op.create_table(
        "slack_notices",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("posted_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for index, table in (
        ("ix_slack_statuses_user", "slack_statuses"),
        ("ix_slack_threads_pull", "slack_threads"),
    ):
        op.drop_index(index, table_name=table)
    for table in ("slack_notices", "slack_statuses", "slack_threads", "slack_channels"):
        op.drop_table(table)
