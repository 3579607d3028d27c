"""The metrics adapter: Prometheus counters and histograms (prometheus-client), their files
shared by every process on a host, and the text exposition of `GET /metrics`.

May import: `app.core`. Every other layer may import it (its calls never raise).
"""
