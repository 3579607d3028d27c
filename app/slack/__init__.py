"""Slack, the phone surface: listeners (HTTP and Socket Mode) and the Web API client.

May import: core, store, metrics.
"""
