"""queuekeeper: Google Cloud Tasks queues as code, and a client to use them.

``TaskManager``, ``AsyncTaskManager`` and the task options are re-exported from
:mod:`queuekeeper.client`, loaded on first use: ``queuekeeper validate``
imports this package and must stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from queuekeeper.client import (
        AsyncTaskManager,
        OAuthToken,
        OidcToken,
        QueueOptions,
        TaskManager,
        TaskResult,
        TaskSpec,
        with_delay,
        with_dispatch_deadline,
        with_headers,
        with_method,
        with_name,
        with_oauth_token,
        with_oidc_token,
        with_payload,
        with_schedule_time,
    )

__all__ = [
    "AsyncTaskManager",
    "OAuthToken",
    "OidcToken",
    "QueueOptions",
    "TaskManager",
    "TaskResult",
    "TaskSpec",
    "with_delay",
    "with_dispatch_deadline",
    "with_headers",
    "with_method",
    "with_name",
    "with_oauth_token",
    "with_oidc_token",
    "with_payload",
    "with_schedule_time",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("queuekeeper.client"), name)
    raise AttributeError(f"module 'queuekeeper' has no attribute {name!r}")
