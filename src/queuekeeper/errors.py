"""The exception tree and the CLI's exit codes.

::

    QueuekeeperError                 an error the user can fix (exit 1)
    ├── ManifestError                one or more problems in manifest files
    ├── PlanFileError                a saved plan that cannot be read or used
    │   └── StalePlanError           live queues changed since the plan was saved
    ├── ApprovalError                apply was not approved
    └── ApiError                     a Cloud Tasks call failed (code + message)
        ├── NotFoundError
        ├── AlreadyExistsError
        ├── FailedPreconditionError
        ├── PermissionDeniedError
        ├── InvalidArgumentError
        └── TransientError           UNAVAILABLE, DEADLINE_EXCEEDED,
                                     RESOURCE_EXHAUSTED: worth retrying

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
