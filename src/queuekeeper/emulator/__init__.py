"""A local Cloud Tasks v2: a gRPC server the official client can target.

Only the CLI imports this package; the library's normal code paths never do.
"""

from .server import Emulator

__all__ = ["Emulator"]
