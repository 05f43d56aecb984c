"""A task's payload: what the caller gives, the body that is sent, and back.

Cloud Tasks' own documentation disagrees on the Content-Type it sets when a
task has none (``application/octet-stream`` in one place, ``application/json``
in another), so every body gets one here and a receiver never depends on the
service's default. The caller's own ``Content-Type`` header wins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from queuekeeper.errors import InvalidTask

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"


@dataclass(frozen=True)
class Encoded:
    """A payload as it goes out: bytes and the Content-Type they default to."""

    body: bytes = field(repr=False)
    content_type: str

    def __repr__(self) -> str:
        return f"Encoded(<{len(self.body)} bytes>, {self.content_type!r})"


def encode(payload: object) -> Encoded:
    """Bytes as they are, ``str`` as UTF-8, anything else as JSON."""
    if isinstance(payload, bytes | bytearray | memoryview):
        return Encoded(bytes(payload), BINARY)
    if isinstance(payload, str):
        return Encoded(payload.encode("utf-8"), TEXT)
    try:
        text = json.dumps(
            payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    except (TypeError, ValueError) as exc:
        raise InvalidTask(
            "payload",
            f"is not JSON-serialisable: {exc}",
            hint="pass bytes, a str, or JSON-serialisable data (dict, list, ...)",
        ) from exc
    return Encoded(text.encode("utf-8"), JSON)


def decode(body: bytes, content_type: str | None) -> object:
    """The payload a body stands for: JSON data, text, or the bytes."""
    if not body:
        return None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return body
    if media == JSON or media.endswith("+json"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text if media.startswith("text/") else body
