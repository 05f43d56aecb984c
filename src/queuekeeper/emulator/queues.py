"""Queue semantics: defaults, output-only fields, derived burst size, validation.

Every function works on a raw `Queue` protobuf in place. Proto3 scalars carry no
presence, so a scalar that reads 0 is indistinguishable from one never sent (and
the REST/JSON surface omits zeros altogether). The emulator therefore treats a
zero rate, concurrency, max_attempts or max_doublings as "unset" and fills the
default; zero is not a valid value for the first two anyway. Duration fields are
messages and do carry presence, so an explicit `0s` backoff is kept.
"""

from __future__ import annotations

from typing import Any

from queuekeeper.fields import implied_burst as burst_for_rate

from .errors import invalid
from .messages import STATE_RUNNING

# facts: rate limits: unpublished but observed defaults, confirmed by the describe
# output in Google's "create queues" page.
DEFAULT_RATE = 500.0
DEFAULT_CONCURRENCY = 1000
DEFAULT_MAX_ATTEMPTS = 100
DEFAULT_MIN_BACKOFF_NANOS = 100_000_000
DEFAULT_MAX_BACKOFF_SECONDS = 3600
DEFAULT_MAX_DOUBLINGS = 16

MAX_RATE = 500.0
MAX_CONCURRENCY = 5000
_NANOS = 1_000_000_000


def prepare_new(queue: Any) -> None:
    """Turn a client-sent queue into a stored one: defaults, state RUNNING."""
    drop_output_only(queue)
    fill_defaults(queue, default_doublings=True)
    queue.state = STATE_RUNNING


def drop_output_only(queue: Any) -> None:
    """Ignore what the client may not set (facts: queue fields, UpdateQueue doc)."""
    queue.ClearField("state")
    queue.ClearField("purge_time")
    if queue.HasField("rate_limits"):
        queue.rate_limits.ClearField("max_burst_size")
    if queue.HasField("app_engine_routing_override"):
        queue.app_engine_routing_override.ClearField("host")


def fill_defaults(queue: Any, *, default_doublings: bool) -> None:
    """Give every unset rate limit and retry setting its default value.

    Also re-derives the burst size, which any update resets (facts: rate limits).
    ``max_doublings`` is the one scalar whose zero is a real value (linear
    backoff), so a zero there becomes the default only when the caller says
    the field was not written explicitly: on create, on an upsert, and when
    the mask names all of ``retry_config``. A mask naming
    ``retry_config.max_doublings`` itself keeps a zero, and so does an update
    of other fields.
    """
    limits = queue.rate_limits
    if limits.max_dispatches_per_second == 0:
        limits.max_dispatches_per_second = DEFAULT_RATE
    if limits.max_concurrent_dispatches == 0:
        limits.max_concurrent_dispatches = DEFAULT_CONCURRENCY
    limits.max_burst_size = burst_for_rate(limits.max_dispatches_per_second)

    retry = queue.retry_config
    if retry.max_attempts == 0:
        retry.max_attempts = DEFAULT_MAX_ATTEMPTS
    if retry.max_doublings == 0 and default_doublings:
        retry.max_doublings = DEFAULT_MAX_DOUBLINGS
    if not retry.HasField("min_backoff"):
        retry.min_backoff.nanos = DEFAULT_MIN_BACKOFF_NANOS
    if not retry.HasField("max_backoff"):
        retry.max_backoff.seconds = DEFAULT_MAX_BACKOFF_SECONDS
    if retry.HasField("max_retry_duration") and _nanos(retry.max_retry_duration) == 0:
        # 0 and unset both mean "unlimited"; Google's describe shows it unset.
        retry.ClearField("max_retry_duration")
    _drop_empty_http_target(queue)


def _drop_empty_http_target(queue: Any) -> None:
    # A masked update of an absent http_target can leave an empty message behind.
    if queue.HasField("http_target") and queue.http_target.ByteSize() == 0:
        queue.ClearField("http_target")


def validate(queue: Any) -> None:
    """Raise INVALID_ARGUMENT for any value the real API rejects.

    Durations keep their sub-second part although the proto doc says they are
    truncated to seconds: Google's own describe output shows `minBackoff: 0.100s`
    for the default, so a client that sends 0.1s reads 0.1s back.
    """
    _validate_rate_limits(queue.rate_limits)
    validate_retry_config(queue.retry_config)
    ratio = queue.stackdriver_logging_config.sampling_ratio
    if not 0.0 <= ratio <= 1.0:
        raise invalid("sampling_ratio must be between 0.0 and 1.0 inclusive.")
    if queue.HasField("http_target"):
        _validate_http_target(queue.http_target)


def _validate_rate_limits(limits: Any) -> None:
    rate = limits.max_dispatches_per_second
    # `not <=` also catches NaN, which every comparison answers False.
    if not 0.0 < rate <= MAX_RATE:
        raise invalid(
            f"max_dispatches_per_second must be in the range (0, {MAX_RATE:g}]."
        )
    if not 1 <= limits.max_concurrent_dispatches <= MAX_CONCURRENCY:
        raise invalid(
            f"max_concurrent_dispatches must be in the range [1, {MAX_CONCURRENCY}]."
        )


def validate_retry_config(retry: Any) -> None:
    """Refuse out-of-range retry settings; also checks a task's partial config,
    where the backoff order is checked only when both ends are given."""
    if retry.max_attempts < -1:
        raise invalid("max_attempts must be -1 (unlimited) or greater than 0.")
    if retry.max_doublings < 0:
        raise invalid("max_doublings must not be negative.")
    for field in ("min_backoff", "max_backoff", "max_retry_duration"):
        if _nanos(getattr(retry, field)) < 0:
            raise invalid(f"{field} must not be negative.")
    both = retry.HasField("min_backoff") and retry.HasField("max_backoff")
    if both and _nanos(retry.min_backoff) > _nanos(retry.max_backoff):
        raise invalid("min_backoff must be less than or equal to max_backoff.")


def _validate_http_target(target: Any) -> None:
    if target.HasField("uri_override"):
        override = target.uri_override
        # Every part is optional; a host, when given, cannot be empty.
        if override.HasField("host") and not override.host:
            raise invalid("uri_override.host must not be empty.")
        if not 0 <= override.port <= 65535:
            raise invalid("uri_override.port must be in the range [0, 65535].")
    auth = target.WhichOneof("authorization_header")
    if auth == "oauth_token":
        token = target.oauth_token
        if not (token.service_account_email and token.scope):
            raise invalid("oauth_token requires service_account_email and scope.")
    elif auth == "oidc_token":
        token = target.oidc_token
        if not (token.service_account_email and token.audience):
            raise invalid("oidc_token requires service_account_email and audience.")
    for override in target.header_overrides:
        if not override.header.key:
            raise invalid("header_overrides[].header.key must not be empty.")


def _nanos(duration: Any) -> int:
    return int(duration.seconds) * _NANOS + int(duration.nanos)
