"""Alembic environment: migrate on the connection `app.store.engine.upgrade` hands over.

A new revision: copy the newest file in `versions/`, set `revision` to the next number and
`down_revision` to the previous one, and write `upgrade()` with `alembic.op`; then update the
tables in `app/store/tables.py` to match (a test compares the two).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.core.errors import StoreError
from app.store.tables import metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or not isinstance(connection, Connection):
        raise StoreError(
            "Honk's migrations run online, on the connection app.store.engine.upgrade gives"
        )
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
