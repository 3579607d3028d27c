"""Pull requests Honk opened: issue link, task memory, requester, outcome, CI-fix attempts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pull_requests",
        sa.Column("repo", sa.Text, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("issue_number", sa.Integer),
        sa.Column("branch", sa.Text, nullable=False),
        sa.Column("requester", sa.Text, nullable=False),
        sa.Column("requester_id", sa.BigInteger),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("ci_fix_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("repo", "number", name="pk_pull_requests"),
        sa.CheckConstraint(
            "state IN ('open', 'approved', 'merged', 'closed')", name="ck_pull_requests_state"
        ),
    )
    op.create_index("ix_pull_requests_branch", "pull_requests", ["repo", "branch"])
