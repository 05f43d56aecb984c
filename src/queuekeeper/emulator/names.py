"""Resource names: parsing and the checks the real API applies to them."""

from __future__ import annotations

import re

from .errors import BAD_QUEUE_NAME, BAD_TASK_NAME, bad_task_id, invalid

# Project IDs may hold `:` and `.`: domain-scoped projects (facts: names).
_PARENT = r"projects/[A-Za-z0-9\-:.]+/locations/[A-Za-z0-9\-]+"
_PARENT_RE = re.compile(_PARENT)
_QUEUE_RE = re.compile(rf"(?P<parent>{_PARENT})/queues/[A-Za-z0-9\-]{{1,100}}")
# The ID may be anything without a slash here: a bad one gets its own message.
_TASK_RE = re.compile(r"(?P<queue>.+)/tasks/(?P<id>[^/]*)")
_TASK_ID_RE = re.compile(r"[A-Za-z0-9_\-]{1,500}")

# Not a recorded message: production answers a bad parent with PERMISSION_DENIED
# for an unknown project, which a local emulator cannot tell apart.
_BAD_PARENT = (
    'Parent must be formatted: "projects/<PROJECT_ID>/locations/<LOCATION_ID>".'
)


def check_parent(parent: str) -> str:
    """Return `parent` if it is `projects/P/locations/L`, else INVALID_ARGUMENT."""
    if not _PARENT_RE.fullmatch(parent):
        raise invalid(_BAD_PARENT)
    return parent


def queue_parent(name: str) -> str:
    """Return the parent of a well-formed queue name, else INVALID_ARGUMENT."""
    match = _QUEUE_RE.fullmatch(name)
    if match is None:
        raise invalid(BAD_QUEUE_NAME)
    return match.group("parent")


def split_task_name(name: str) -> tuple[str, str]:
    """The (queue name, task ID) of a well-formed task name, else INVALID_ARGUMENT."""
    match = _TASK_RE.fullmatch(name)
    if match is None or _QUEUE_RE.fullmatch(match.group("queue")) is None:
        raise invalid(BAD_TASK_NAME)
    if _TASK_ID_RE.fullmatch(match.group("id")) is None:
        raise invalid(bad_task_id(match.group("id")))
    return match.group("queue"), match.group("id")


def short_id(name: str) -> str:
    """The last segment of a resource name: the queue or task ID."""
    return name.rsplit("/", 1)[-1]
