"""The database adapter: engine, tables, migrations, the job queue, job and PR records.

May import: `app.core`.
"""
