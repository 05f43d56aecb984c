"""Why a webhook helper refused a request.

::

    QueuekeeperError
    └── WebhookError                 a request the worker should refuse
        ├── NotACloudTasksRequest    no X-CloudTasks-TaskName, or a header malformed
        ├── InvalidApiKey            the X-API-Key header is missing or wrong
        ├── InvalidToken             an OIDC token check failed (see `problem`)
        └── KeyFetchError            the signing keys could not be fetched

The first three mean "answer 4xx": the request is not from Cloud Tasks, or not
allowed. `KeyFetchError` is the worker's own trouble: answer 5xx so that Cloud
Tasks retries. No message ever holds an API key or a token.
"""

from __future__ import annotations

import enum

from queuekeeper.errors import QueuekeeperError


class WebhookError(QueuekeeperError):
    """Root of the errors raised by `queuekeeper.webhook`."""


class NotACloudTasksRequest(WebhookError):
    """The X-CloudTasks-* headers are missing or malformed; `header` names which."""

    def __init__(self, header: str, message: str) -> None:
        super().__init__(message)
        self.header = header


class InvalidApiKey(WebhookError):
    """The API key header is missing or does not match the expected key."""

    def __init__(self, header: str) -> None:
        super().__init__(f"the {header} header is missing or wrong")
        self.header = header


class TokenProblem(enum.Enum):
    """The check an OIDC token failed."""

    MISSING = "no bearer token"
    MALFORMED = "malformed token"
    UNSUPPORTED_ALGORITHM = "unsupported signing algorithm"
    UNKNOWN_KEY = "unknown key id"
    BAD_SIGNATURE = "bad signature"
    WRONG_ISSUER = "wrong issuer"
    WRONG_AUDIENCE = "wrong audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"
    WRONG_EMAIL = "wrong email"
    EMAIL_NOT_VERIFIED = "email not verified"


class InvalidToken(WebhookError):
    """An OIDC token failed verification.

    `problem` is the check that failed; the message adds detail that is not
    the token (nor anything else taken from the request unescaped).
    """

    def __init__(self, problem: TokenProblem, detail: str | None = None) -> None:
        message = problem.value if detail is None else f"{problem.value}: {detail}"
        super().__init__(f"invalid OIDC token: {message}")
        self.problem = problem


class KeyFetchError(WebhookError):
    """The JSON Web Key Set could not be fetched or read; retrying may help."""
