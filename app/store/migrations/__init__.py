"""Alembic migrations of Honk's database, run by `app.store.engine.Store.open` (no alembic.ini)."""
