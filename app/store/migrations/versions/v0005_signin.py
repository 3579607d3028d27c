"""Sign-in: GitHub people with encrypted user tokens, Slack links, single-use linking links.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "github_users",
        sa.Column("github_id", sa.BigInteger, primary_key=True),
        sa.Column("login", sa.Text, nullable=False),
        sa.Column("access_token", sa.Text),
        sa.Column("access_expires_at", sa.Float),
        sa.Column("refresh_token", sa.Text),
        sa.Column("refresh_expires_at", sa.Float),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "slack_links",
        sa.Column("slack_team", sa.Text, nullable=False),
        sa.Column("slack_user", sa.Text, nullable=False),
        sa.Column("github_id", sa.BigInteger, nullable=False),
        sa.Column("linked_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("slack_team", "slack_user", name="pk_slack_links"),
    )
    op.create_table(
        "link_tokens",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("slack_team", sa.Text, nullable=False),
        sa.Column("slack_user", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("used_at", sa.Float),
    )
