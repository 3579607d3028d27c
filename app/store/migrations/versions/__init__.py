"""Versioned schema changes: one file per revision, each revising the one before."""
