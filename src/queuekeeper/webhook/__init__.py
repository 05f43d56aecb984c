"""Helpers for the receiving side of Cloud Tasks HTTP tasks, for any framework.

Each takes the request's headers as a mapping (any case) or as (name, value)
pairs; `headers_from_environ` turns a WSGI environ into such a mapping.

- `parse_task_headers` reads the X-CloudTasks-* headers into a `TaskAttempt`.
- `api_key_matches` / `require_api_key` check a shared secret header.
- `TokenVerifier` checks the OIDC token in ``Authorization: Bearer …``
  against Google's keys, an emulator's, or a JWKS at hand.

A worker, in outline (``request.headers`` as any framework provides them)::

    from queuekeeper.webhook import (
        TokenVerifier, WebhookError, KeyFetchError, parse_task_headers,
    )

    verifier = TokenVerifier.google(
        "https://worker.example.com/tasks",
        email="tasks@my-project.iam.gserviceaccount.com",
    )
    # Against a local emulator instead:
    #   TokenVerifier.emulator("127.0.0.1:8124", "https://worker.example.com/tasks")

    def handle(headers, body) -> int:
        try:
            verifier.verify_headers(headers)
            attempt = parse_task_headers(headers)
        except KeyFetchError:
            return 503  # our trouble: Cloud Tasks will retry
        except WebhookError:
            return 403  # not from Cloud Tasks, or not allowed
        if attempt.is_retry:
            ...  # e.g. look up what the previous attempt left behind
        return 200

Under WSGI, pass ``headers_from_environ(environ)`` as the headers.
"""

from .apikey import API_KEY_HEADER, api_key_matches, require_api_key
from .errors import (
    InvalidApiKey,
    InvalidToken,
    KeyFetchError,
    NotACloudTasksRequest,
    TokenProblem,
    WebhookError,
)
from .headers import (
    HeaderSource,
    TaskAttempt,
    headers_from_environ,
    normalize_headers,
    parse_task_headers,
)
from .keys import (
    GOOGLE_CERTS_URL,
    JwksCache,
    KeySet,
    KeySource,
    RemoteKeySet,
    emulator_certs_url,
)
from .tokens import GOOGLE_ISSUERS, TokenClaims, TokenVerifier

__all__ = [
    "API_KEY_HEADER",
    "GOOGLE_CERTS_URL",
    "GOOGLE_ISSUERS",
    "HeaderSource",
    "InvalidApiKey",
    "InvalidToken",
    "JwksCache",
    "KeyFetchError",
    "KeySet",
    "KeySource",
    "NotACloudTasksRequest",
    "RemoteKeySet",
    "TaskAttempt",
    "TokenClaims",
    "TokenProblem",
    "TokenVerifier",
    "WebhookError",
    "api_key_matches",
    "emulator_certs_url",
    "headers_from_environ",
    "normalize_headers",
    "parse_task_headers",
    "require_api_key",
]
