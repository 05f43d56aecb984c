"""``${VAR}`` and ``${VAR:-default}`` interpolation from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping

# `$${` escapes a literal `${`; a reference is a name, optionally `:-default`.
_TOKEN = re.compile(
    r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|\$\{"
)


class InterpolationError(ValueError):
    """A reference that cannot be resolved; the message names it."""


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Replace every reference in ``text``; raise on the first bad one."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        name = match.group("name")
        if name is None:
            raise InterpolationError(
                "malformed variable reference: use ${NAME} or ${NAME:-default}"
            )
        if name in environ:
            return environ[name]
        default = match.group("default")
        if default is not None and "${" in default:
            raise InterpolationError(
                f"the default of ${{{name}}} holds another reference; "
                "nested references are not supported"
            )
        if default is None:
            raise InterpolationError(
                f"environment variable {name} is not set and has no default "
                f"(write ${{{name}:-value}} to give one)"
            )
        return default

    return _TOKEN.sub(substitute, text)


def has_reference(text: str) -> bool:
    return "${" in text
