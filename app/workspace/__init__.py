"""The git adapter: one bare cache per repository, a worktree per job, commit and push.

May import: `app.core`.
"""
