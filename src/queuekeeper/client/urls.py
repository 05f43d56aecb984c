"""The base URL every task's path is joined to, and the URLs that makes.

A base URL keeps its own path: ``https://h/v1`` joined with ``/x`` is
``https://h/v1/x``, so one application can serve its webhooks under a prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from queuekeeper import limits
from queuekeeper.errors import InvalidTask

_SCHEMES = ("http://", "https://")


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def _has_space_or_control(text: str) -> bool:
    return _SPACE_OR_CONTROL.search(text) is not None


@dataclass(frozen=True)
class BaseUrl:
    """A checked ``http(s)://host[:port][/path]`` with no query or fragment."""

    scheme: str
    netloc: str
    path: str  # as given; "" or starting with "/"

    @classmethod
    def parse(cls, text: str) -> BaseUrl:
        """The base URL in ``text``; ``ValueError`` says what is wrong."""
        if not isinstance(text, str) or not text:
            raise ValueError("base_url is empty")
        if _has_space_or_control(text):
            raise ValueError("base_url contains whitespace or a control character")
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - reading it validates the port
        except ValueError as exc:
            raise ValueError(f"base_url {text!r} is not a valid URL: {exc}") from exc
        if not text.lower().startswith(_SCHEMES):
            raise ValueError(f"base_url {text!r} must start with http:// or https://")
        if not parts.hostname:
            raise ValueError(f"base_url {text!r} has no host")
        if "@" in parts.netloc:
            # Every task would store the credentials in its URL.
            raise ValueError("base_url must not hold a user name or password")
        if "?" in text or "#" in text:
            raise ValueError(f"base_url {text!r} must not have a query or fragment")
        return cls(parts.scheme.lower(), parts.netloc, parts.path)

    def join(self, path: str) -> str:
        """The task URL for ``path`` (``InvalidTask`` if it cannot be one)."""
        if not isinstance(path, str):
            raise InvalidTask("path", f"must be a string, not {type(path).__name__}")
        if urlsplit(path).scheme or path.startswith("//"):
            raise InvalidTask(
                "path",
                "must be a path such as /api/webhooks/x, not a URL",
                hint="the host comes from base_url",
            )
        if "#" in path:
            raise InvalidTask("path", "must not have a fragment: it is never sent")
        if _has_space_or_control(path):
            raise InvalidTask(
                "path",
                "contains whitespace or a control character",
                hint="percent-encode it (urllib.parse.quote)",
            )
        if not path:
            return str(self)
        if not path.startswith(("/", "?")):
            path = "/" + path
        url = f"{self.scheme}://{self.netloc}{self.path.rstrip('/')}{path}"
        check_url_length(url)
        return url

    def __str__(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path}"


def check_url_length(url: str) -> None:
    encoded = len(quote(url, safe=limits.URL_SAFE))
    if encoded > limits.MAX_URL_LENGTH:
        raise InvalidTask(
            "url length",
            f"the task URL is {encoded} characters once encoded; "
            f"Cloud Tasks allows at most {limits.MAX_URL_LENGTH}",
        )


def without_query(url: str) -> str:
    """``url`` without its query and fragment: the default OIDC audience."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl()
