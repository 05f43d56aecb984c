"""List arguments: the `state:` filter, page sizes and opaque page tokens.

ListQueues and ListTasks share the tokens and page sizes; only queues filter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from .errors import invalid
from .messages import STATES_BY_NAME

# The maxima, also the sizes used when none is given (facts: queue administration).
MAX_PAGE_SIZE = 9800
MAX_TASK_PAGE_SIZE = 1000

# The API takes logging-filter syntax; `state: PAUSED` is the only documented
# use, so that (with `:` or `=`, any spacing) is all the emulator understands.
_STATE_FILTER = re.compile(r'\s*state\s*[:=]\s*"?([A-Za-z_]+)"?\s*', re.IGNORECASE)


def parse_filter(text: str) -> int | None:
    """Return the state a filter selects, or None for an empty filter."""
    if not text.strip():
        return None
    match = _STATE_FILTER.fullmatch(text)
    state = STATES_BY_NAME.get(match.group(1).upper()) if match else None
    if state is None:
        raise invalid(
            f'Invalid filter "{text}": only "state: RUNNING|PAUSED|DISABLED" '
            "is supported."
        )
    return state


def page_size(requested: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """Clamp a requested page size to the API's range; 0 means the maximum."""
    if requested < 0:
        raise invalid("page_size must not be negative.")
    if requested == 0:
        return maximum
    return min(requested, maximum)


def fingerprint(parent: str, state: int | None) -> str:
    """Identify a listing, so a token cannot continue a different one."""
    key = f"{parent}\n{state}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


def encode_token(after: str, listing: str) -> str:
    """An opaque token meaning "continue after queue `after` in `listing`"."""
    raw = json.dumps({"after": after, "listing": listing}).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token: str, listing: str) -> str:
    """The queue name a page token continues after ("" for no token)."""
    if not token:
        return ""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        after, issued_for = data["after"], data["listing"]
    except (ValueError, binascii.Error, KeyError, TypeError) as error:
        raise invalid("Invalid page_token.") from error
    if issued_for != listing or not isinstance(after, str):
        # Changing the filter mid-iteration is an error (facts: queue administration).
        raise invalid(
            "page_token does not match the parent and filter of this request."
        )
    return after
