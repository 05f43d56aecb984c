"""The records a manifest loads into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from queuekeeper.fields import State, Value


@dataclass(frozen=True, order=True)
class QueueKey:
    """Where a queue lives and what it is called."""

    project: str
    location: str
    name: str

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.location}"

    @property
    def path(self) -> str:
        """The queue's full resource name."""
        return f"{self.parent}/queues/{self.name}"

    @classmethod
    def from_path(cls, path: str) -> QueueKey:
        parts = path.split("/")
        if len(parts) != 6 or parts[0::2] != ["projects", "locations", "queues"]:
            raise ValueError(f"not a queue resource name: {path!r}")
        return cls(parts[1], parts[3], parts[5])

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class QueueSpec:
    """One declared queue: its managed settings as update-mask paths.

    ``settings`` holds only what the manifest declares (after ``defaults``);
    an absent path is not managed. ``state`` is ``None`` when undeclared.
    """

    key: QueueKey
    settings: Mapping[str, Value] = field(default_factory=dict)
    state: State | None = None
    file: str = ""
    line: int = 0

    @property
    def source(self) -> str:
        """Where the queue is declared, as ``file:line``."""
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Manifest:
    queues: tuple[QueueSpec, ...]
    files: tuple[str, ...] = ()

    def scopes(self) -> list[tuple[str, str]]:
        """The (project, location) pairs the manifest declares queues in."""
        return sorted({(q.key.project, q.key.location) for q in self.queues})
