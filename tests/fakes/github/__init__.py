"""The fake GitHub: a stateful REST API served over loopback (`api`), and a session on it."""
