"""The agent: a model ⇄ tool loop in a sandboxed checkout.

May import: `app.core`, `app.sandbox`, `app.metrics`.
"""
