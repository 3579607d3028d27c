"""The fake GitHub: a stateful REST API served over loopback (`api`), a session on it, and
the OAuth web flow of sign-in (`oauth`)."""
