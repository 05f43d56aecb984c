"""A shared-secret check: the API key a task's headers carry.

Cloud Tasks sends whatever headers the task (or its queue) was given, so a
worker that cannot check OIDC tokens can still require a secret header. The
comparison takes the same time wherever the keys differ, and the key never
appears in a message or a log line.
"""

from __future__ import annotations

import hmac

from .errors import InvalidApiKey
from .headers import HeaderSource, normalize_headers

API_KEY_HEADER = "X-API-Key"


def api_key_matches(
    headers: HeaderSource, expected: str, *, header: str = API_KEY_HEADER
) -> bool:
    """Whether `header` (any case) holds exactly `expected`.

    A missing header, or one sent twice, does not match. An empty `expected`
    is a configuration bug and raises ValueError rather than admit everyone.
    """
    if not expected:
        raise ValueError("the expected API key is empty")
    presented = normalize_headers(headers).get(header.lower())
    if presented is None:
        return False
    # Bytes, because compare_digest refuses str with non-ASCII characters.
    return hmac.compare_digest(presented.encode(), expected.encode())


def require_api_key(
    headers: HeaderSource, expected: str, *, header: str = API_KEY_HEADER
) -> None:
    """Raise `InvalidApiKey` unless `api_key_matches`."""
    if not api_key_matches(headers, expected, header=header):
        raise InvalidApiKey(header)
