"""A command's output cut to its head and tail, collected in bounded memory."""

from __future__ import annotations

import asyncio

from app.core.model_text import cut_note, truncate_middle

__all__ = ["OutputCap", "cut_note", "truncate_middle"]

READ_CHUNK = 65536


class OutputCap:
    """Collects a stream's bytes keeping only its head and tail, so memory stays bounded."""

    def __init__(self, limit_chars: int) -> None:
        self.limit = limit_chars
        self.window = 2 * limit_chars + 8  # bytes kept per end: > limit/2 chars even in UTF-8
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped_chars = 0
        self.dropped = False

    def add(self, data: bytes) -> None:
        room = self.window - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        excess = len(self.tail) - self.window
        if excess > 0:
            self.dropped_chars += count_utf8_chars(self.tail[:excess])
            self.dropped = True
            del self.tail[:excess]

    async def read_from(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(READ_CHUNK):
            self.add(chunk)

    def render(self) -> tuple[str, bool]:
        """The text within `limit` characters, and whether anything was cut."""
        if not self.dropped:
            return truncate_middle(_decode(self.head + self.tail), self.limit)
        keep = max(self.limit // 2, 1)
        total = count_utf8_chars(self.head) + self.dropped_chars + count_utf8_chars(self.tail)
        head, tail = _decode(self.head)[:keep], _decode(self.tail)[-keep:]
        return head + cut_note(total - 2 * keep) + tail, True


def count_utf8_chars(data: bytes | bytearray) -> int:
    """Characters in UTF-8 bytes: every byte that is not a continuation byte starts one."""
    return len(data.translate(None, bytes(range(0x80, 0xC0))))


def _decode(data: bytes | bytearray) -> str:
    return bytes(data).decode("utf-8", errors="replace")
