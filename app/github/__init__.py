"""The GitHub adapter on githubkit: the App's tokens, REST calls, plain records back.

May import: `app.core`, `app.metrics`.
"""
