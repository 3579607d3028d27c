"""The fake GitHub: a stateful REST API served over loopback (`api`), a session on it, the OAuth
web flow of sign-in (`oauth`), the judge of every request against GitHub's own API description
(`judge`, `description`), and an Enterprise server's host behind a TLS front (`enterprise`)."""
