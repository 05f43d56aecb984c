"""A local Cloud Tasks v2: a gRPC server the official client can target, which
dispatches tasks to their HTTP targets.

Only the CLI imports this package; the library's normal code paths never do.
Comments cite the service's behaviours as `facts: SECTION`, the sections of
`docs/cloud-tasks-facts.md`.
"""

from .clock import Clock, ManualClock, SystemClock
from .dispatchlog import DispatchRecord, Outcome
from .oidc import DISCOVERY_PATH, JWKS_PATH
from .server import Emulator

__all__ = [
    "DISCOVERY_PATH",
    "JWKS_PATH",
    "Clock",
    "DispatchRecord",
    "Emulator",
    "ManualClock",
    "Outcome",
    "SystemClock",
]
