"""The sandbox adapter: bubblewrap profiles, limits, one-shot commands and a persistent shell.

May import: `app.core`, `app.metrics`.
"""
