"""The public keys that verify OIDC tokens: a JSON Web Key Set (JWKS), given
directly or fetched over HTTP and cached per URL.

Google publishes its keys at `GOOGLE_CERTS_URL`; the emulator serves its own
at the same path on its REST port (`emulator_certs_url`). A key set is
refetched when its TTL runs out, and early when a token names a key it does
not hold (Google rotates keys; a restarted emulator makes a new one), but
not more often than `refresh_floor`, so tokens with made-up key IDs cannot
make the worker fetch on every request.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPException
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import (
    RSAPublicKey,
    RSAPublicNumbers,
)

from .errors import KeyFetchError

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v3/certs"
# The emulator serves its keys on Google's path (queuekeeper.emulator.JWKS_PATH,
# not imported: the library does not load the emulator).
CERTS_PATH = "/oauth2/v3/certs"

log = logging.getLogger(__name__)

Fetch = Callable[[str, float], Any]
"""Fetch a URL with a timeout in seconds; the parsed JSON document."""


class KeySource(Protocol):
    """Where a verifier finds the public key with a given key ID."""

    def key(self, kid: str) -> RSAPublicKey | None:
        """The key with ID `kid`, or None if there is none."""
        ...


@dataclass(frozen=True)
class KeySet:
    """RSA signing keys by key ID, read from a JWKS document."""

    keys: Mapping[str, RSAPublicKey]

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any]) -> KeySet:
        """Read `{"keys": [...]}`; keys that are not RSA signing keys are
        skipped. Raise ValueError if the document is not a JWKS."""
        entries = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(entries, list):
            raise ValueError("a JWKS needs a list of keys")
        keys = {}
        for entry in entries:
            if _is_rsa_signing_key(entry):
                keys[entry["kid"]] = _public_key(entry)
        return cls(keys)

    def key(self, kid: str) -> RSAPublicKey | None:
        """The key with ID `kid`, or None."""
        return self.keys.get(kid)


def emulator_certs_url(rest_address: str) -> str:
    """Where an emulator whose REST surface is at `host:port` serves its keys."""
    return f"http://{rest_address}{CERTS_PATH}"


def fetch_json(url: str, timeout: float) -> Any:
    """GET `url` and parse its JSON body (http and https only)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


@dataclass(frozen=True)
class _Entry:
    keys: KeySet
    fetched: float


class JwksCache:
    """Key sets by URL, fetched on first use and kept for `ttl` seconds.

    `timeout` bounds each fetch; `refresh_floor` is the least time between
    fetches of one URL for an unknown key ID. Safe to share between threads:
    fetches happen under one lock, so a burst of requests after expiry makes
    one fetch, not one each.
    """

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        timeout: float = 5.0,
        refresh_floor: float = 10.0,
        fetch: Fetch = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.timeout = timeout
        self.refresh_floor = refresh_floor
        self._fetch = fetch
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def key(self, url: str, kid: str) -> RSAPublicKey | None:
        """The key `kid` from the set at `url`, refetching once if it is unknown."""
        with self._lock:
            entry = self._entry(url, refresh=False)
            found = entry.keys.key(kid)
            if found is None and self._clock() - entry.fetched >= self.refresh_floor:
                found = self._entry(url, refresh=True).keys.key(kid)
            return found

    def key_set(self, url: str) -> KeySet:
        """The key set at `url`, from the cache while it is fresh."""
        with self._lock:
            return self._entry(url, refresh=False).keys

    def _entry(self, url: str, *, refresh: bool) -> _Entry:
        entry = self._entries.get(url)
        now = self._clock()
        if entry is None or refresh or now - entry.fetched >= self.ttl:
            # TODO: honour the response's Cache-Control max-age, as Google's
            # own clients do; a fixed TTL plus refetch-on-unknown-kid is enough
            # for key rotation, which publishes new keys well ahead.
            entry = _Entry(self._download(url), now)
            self._entries[url] = entry
        return entry

    def _download(self, url: str) -> KeySet:
        try:
            keys = KeySet.from_jwks(self._fetch(url, self.timeout))
        except (OSError, HTTPException, ValueError) as error:
            # OSError covers URLError, HTTPError and timeouts; HTTPException a
            # cut-off body; ValueError bad JSON or a document that is not a JWKS.
            raise KeyFetchError(f"could not fetch keys from {url}: {error}") from error
        log.info("fetched %d signing keys from %s", len(keys.keys), url)
        return keys


DEFAULT_CACHE = JwksCache()
"""The cache `RemoteKeySet` uses unless given another."""


@dataclass(frozen=True)
class RemoteKeySet:
    """The key set published at `url`, through `cache`."""

    url: str
    cache: JwksCache = field(default=DEFAULT_CACHE, compare=False, repr=False)

    def key(self, kid: str) -> RSAPublicKey | None:
        """The key with ID `kid`, or None."""
        return self.cache.key(self.url, kid)


def _is_rsa_signing_key(entry: Any) -> bool:
    return (
        isinstance(entry, Mapping)
        and entry.get("kty") == "RSA"
        and entry.get("use", "sig") == "sig"
        and entry.get("alg", "RS256") == "RS256"
        and all(isinstance(entry.get(name), str) for name in ("kid", "n", "e"))
    )


def _public_key(entry: Mapping[str, str]) -> RSAPublicKey:
    numbers = RSAPublicNumbers(_b64_int(entry["e"]), _b64_int(entry["n"]))
    return numbers.public_key()


def _b64_int(text: str) -> int:
    # JOSE's unpadded base64url (RFC 7515 §2); b64decode wants the padding back.
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return int.from_bytes(raw, "big")
