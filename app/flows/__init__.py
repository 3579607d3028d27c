"""Flows: the job lifecycle, one module per job kind (`registry.FLOWS` maps kinds to flows).

May import: `app.core`, `app.store`, `app.github`, `app.workspace`, `app.sandbox`, `app.agent`,
`app.metrics`.
"""
