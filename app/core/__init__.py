"""The pure core: verify and parse deliveries, map events to commands, every text Honk posts,
settings and per-repository settings, the guards, the exception tree. No I/O.

May import: nothing else of Honk's (only `app.core` itself).
"""
