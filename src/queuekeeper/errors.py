"""The exception tree and the CLI's exit codes.

::

    QueuekeeperError                 an error the user can fix (exit 1)
    ├── ManifestError                one or more problems in manifest files
    ├── ConfigError                  a TaskManager's settings or config file
    ├── PlanFileError                a saved plan that cannot be read or used
    │   └── StalePlanError           live queues changed since the plan was saved
    ├── ApprovalError                apply was not approved
    ├── InvalidTask                  a task Cloud Tasks would refuse (``limit``)
    ├── ClientClosedError            a TaskManager used after close()
    └── ApiError                     a Cloud Tasks call failed (code + message)
        ├── NotFoundError
        │   └── QueueNotFound        ``queue``: the full queue path
        ├── AlreadyExistsError
        │   ├── QueueAlreadyExists   ``queue``
        │   └── TaskAlreadyExists    ``task``: the full task name
        ├── FailedPreconditionError
        │   └── QueueRecentlyDeleted the name is in its deletion tombstone
        ├── PermissionDeniedError    (also spelled PermissionDenied)
        ├── InvalidArgumentError
        └── TransientError           UNAVAILABLE, DEADLINE_EXCEEDED,
                                     RESOURCE_EXHAUSTED: worth retrying

``InvalidTask`` is raised before any call when a task breaks one of the
service's limits, and also when the service itself refuses a task with
INVALID_ARGUMENT (the service's exception is then its cause).

Anything else that escapes is a bug: the CLI reports it and exits 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES_PENDING = 2
EXIT_CRASH = 3


class QueuekeeperError(Exception):
    """Root of every error the user can act on."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest, and where it is."""

    file: str
    line: int
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        text = (
            f"{where}: {self.path}: {self.message}"
            if self.path
            else (f"{where}: {self.message}")
        )
        return f"{text} (hint: {self.hint})" if self.hint else text


class ManifestError(QueuekeeperError):
    """A manifest failed to load; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} in manifest")

    def __str__(self) -> str:
        # Library callers see only str(); the CLI prints the problems itself
        # and uses ``message``.
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])


class ConfigError(QueuekeeperError):
    """A TaskManager was given settings it cannot work with.

    From a config file, ``problems`` holds every problem with its file:line.
    """

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[Problem] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        lines = [self.message, *(f"  {p}" for p in self.problems)]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class InvalidTask(QueuekeeperError):
    """A task that breaks one of Cloud Tasks' limits; ``limit`` names it."""

    def __init__(self, limit: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{limit}: {message}", hint=hint)
        self.limit = limit


class ClientClosedError(QueuekeeperError):
    """The TaskManager was closed; make a new one."""


class PlanFileError(QueuekeeperError):
    """A saved plan file is unreadable or was written by another version."""


class StalePlanError(PlanFileError):
    """A queue the saved plan affects has changed since the plan was made."""


class ApprovalError(QueuekeeperError):
    """The user did not approve, or could not be asked."""


class ApiError(QueuekeeperError):
    """A Cloud Tasks call failed; ``code`` is the gRPC status name."""

    def __init__(self, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{code}: {message}", hint=hint)
        self.code = code
        self.api_message = message


class NotFoundError(ApiError):
    pass


class AlreadyExistsError(ApiError):
    pass


class FailedPreconditionError(ApiError):
    pass


class PermissionDeniedError(ApiError):
    pass


class InvalidArgumentError(ApiError):
    pass


class TransientError(ApiError):
    """The service was unavailable, too slow or rate limiting: retry later."""


# The name the client's documentation uses for the same error.
PermissionDenied = PermissionDeniedError


class QueueNotFound(NotFoundError):
    """The queue does not exist; ``queue`` is its full path."""

    def __init__(
        self, queue: str, api_message: str, *, hint: str | None = None
    ) -> None:
        super().__init__("NOT_FOUND", f"queue {queue} does not exist", hint=hint)
        self.queue = queue
        self.api_message = api_message


class QueueAlreadyExists(AlreadyExistsError):
    """CreateQueue found the queue there already."""

    def __init__(self, queue: str) -> None:
        super().__init__("ALREADY_EXISTS", f"queue {queue} already exists")
        self.queue = queue


class TaskAlreadyExists(AlreadyExistsError):
    """A task of this name exists, or did recently: a duplicate, not a failure
    of the service. ``task`` is the full task name."""

    def __init__(self, task: str) -> None:
        super().__init__(
            "ALREADY_EXISTS",
            f"task {task} already exists or existed recently",
            hint="task names are kept for about an hour after the task is done "
            "or deleted; this is how named tasks are de-duplicated",
        )
        self.task = task


class QueueRecentlyDeleted(FailedPreconditionError):
    """The queue's name is in its deletion tombstone and cannot be created."""

    def __init__(self, queue: str, api_message: str) -> None:
        super().__init__(
            "FAILED_PRECONDITION",
            f"queue {queue} was deleted recently and cannot be created again yet",
            hint="Cloud Tasks keeps a deleted queue's name for up to 7 days; "
            "use another queue name",
        )
        self.queue = queue
        self.api_message = api_message
