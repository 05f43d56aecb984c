"""Sending one attempt over HTTP with urllib3, and reading what came back.

Redirects are not followed: a 3xx is an answer like any other non-2xx, so the
attempt fails and is retried. The HttpRequest doc says a redirect "may be
followed"; an emulator that follows none shows the redirect to the developer
instead of hiding it (facts: tasks).
Every attempt is bounded by its dispatch deadline in total, connection
included, so a hung target holds one worker thread for at most that long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

from .outgoing import OutgoingRequest

_log = logging.getLogger("queuekeeper.emulator.dispatch")

DEADLINE_EXCEEDED = "deadline exceeded"
# Keep-alive connections kept per target host; more may be open at once.
_CONNECTIONS_PER_HOST = 128


@dataclass(frozen=True)
class Reply:
    """What an attempt got: a status, or no status and an error."""

    status: int | None
    retry_after: str | None = None
    error: str = ""


class HttpSender:
    """A thread-safe HTTP client with keep-alive connections per target."""

    def __init__(self) -> None:
        self._pool = urllib3.PoolManager(
            num_pools=64, maxsize=_CONNECTIONS_PER_HOST, block=False, retries=False
        )

    def send(self, request: OutgoingRequest, headers: dict[str, str]) -> Reply:
        """Make the request; never raises for anything the network does."""
        try:
            response = self._pool.request(
                request.method,
                request.url,
                body=request.body or None,
                headers=headers,
                timeout=urllib3.Timeout(total=request.timeout),
                retries=False,
                redirect=False,
                preload_content=False,
            )
        except NewConnectionError as error:
            return Reply(None, error=_describe(error))
        except TimeoutError:
            return Reply(None, error=DEADLINE_EXCEEDED)
        except (HTTPError, OSError, ValueError) as error:
            return Reply(None, error=_describe(error))
        return _read(response)

    def close(self) -> None:
        self._pool.clear()


def _read(response: urllib3.BaseHTTPResponse) -> Reply:
    # The status is the answer; the body is read only so the connection can
    # be reused, and a target that stalls while sending it still answered.
    reply = Reply(response.status, response.headers.get("Retry-After"))
    try:
        response.drain_conn()
    except (HTTPError, OSError) as error:
        _log.debug("reading the response body of %s failed: %s", response.url, error)
    finally:
        response.release_conn()
    return reply


def _describe(error: BaseException) -> str:
    # urllib3 wraps the OSError; its text ("[Errno 111] Connection refused")
    # is the useful part.
    cause = error.__context__ or error.__cause__
    reason = getattr(error, "reason", None) or cause
    text = str(reason or error)
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    return text
