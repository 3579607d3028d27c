"""Initial schema: deliveries and jobs, with the indexes the queue relies on.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED_ONLY = sa.text("state = 'queued'")
RUNNING_ONLY = sa.text("state = 'running'")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Text, primary_key=True),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("action", sa.Text),
        sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("job_id", sa.Integer),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("repo", sa.Text, nullable=False),
        sa.Column("number", sa.Integer),
        sa.Column("installation_id", sa.BigInteger),
        sa.Column("delivery_id", sa.Text),
        sa.Column("dedupe_key", sa.Text),
        sa.Column("lock_key", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("commands", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("run_after", sa.Float, nullable=False),
        sa.Column("lease_owner", sa.Text),
        sa.Column("lease_expires_at", sa.Float),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.Text),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="ck_jobs_state",
        ),
    )
    op.create_index(
        "ux_jobs_dedupe_queued",
        "jobs",
        ["dedupe_key"],
        unique=True,
        sqlite_where=QUEUED_ONLY,
        postgresql_where=QUEUED_ONLY,
    )
    op.create_index(
        "ux_jobs_lock_running",
        "jobs",
        ["lock_key"],
        unique=True,
        sqlite_where=RUNNING_ONLY,
        postgresql_where=RUNNING_ONLY,
    )
    op.create_index("ix_jobs_claim", "jobs", ["state", "run_after"])
    op.create_index("ix_jobs_target", "jobs", ["repo", "number"])


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("deliveries")
