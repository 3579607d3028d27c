"""The web layer: HTTP routes only (verify, record, enqueue, render); no GitHub, model or git.

May import: `app.core`, `app.store`, `app.metrics`.
"""
