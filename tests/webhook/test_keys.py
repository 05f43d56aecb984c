"""KeySet and JwksCache: reading a JWKS, caching it per URL, refetching."""

from __future__ import annotations

from typing import Any

import pytest

from queuekeeper.webhook import (
    GOOGLE_CERTS_URL,
    JwksCache,
    KeyFetchError,
    KeySet,
    RemoteKeySet,
    emulator_certs_url,
)
from queuekeeper.webhook.keys import fetch_json
from tests.webhook.signing import Signer

URL = "https://keys.test/certs"


class Publisher:
    """Serves key sets by URL through the cache's `fetch` hook, counting fetches."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self.documents = documents
        self.fetches: list[tuple[str, float]] = []

    def __call__(self, url: str, timeout: float) -> Any:
        self.fetches.append((url, timeout))
        document = self.documents[url]
        if isinstance(document, Exception):
            raise document
        return document


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cache_for(publisher: Publisher, clock: Clock) -> JwksCache:
    return JwksCache(ttl=60, timeout=2, refresh_floor=5, fetch=publisher, clock=clock)


def test_a_jwks_gives_its_rsa_signing_keys_by_id(signer: Signer) -> None:
    [rsa] = signer.jwks()["keys"]
    document = {
        "keys": [
            rsa,
            {**rsa, "kid": "for-encryption", "use": "enc"},
            {**rsa, "kid": "other-alg", "alg": "RS512"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kty": "RSA", "kid": "incomplete"},
            "not a key",
        ]
    }

    keys = KeySet.from_jwks(document)

    assert set(keys.keys) == {signer.kid}
    assert keys.key("ec") is None


@pytest.mark.parametrize("document", [{}, {"keys": {}}, [], "keys"])
def test_a_document_that_is_not_a_jwks_is_refused(document: Any) -> None:
    with pytest.raises(ValueError, match="list of keys"):
        KeySet.from_jwks(document)


def test_keys_are_fetched_once_and_kept_until_the_ttl(
    signer: Signer, clock: Clock
) -> None:
    publisher = Publisher({URL: signer.jwks()})
    cache = cache_for(publisher, clock)

    assert cache.key(URL, signer.kid) is not None
    clock.now += 59
    assert cache.key(URL, signer.kid) is not None
    assert publisher.fetches == [(URL, 2)]

    clock.now += 1
    cache.key_set(URL)
    assert len(publisher.fetches) == 2


def test_each_url_has_its_own_entry(signer: Signer, clock: Clock) -> None:
    other = Signer(kid="other")
    publisher = Publisher({URL: signer.jwks(), "https://b/": other.jwks()})
    cache = cache_for(publisher, clock)

    assert cache.key("https://b/", "other") is not None
    assert cache.key(URL, "other") is None
    assert set(cache.key_set(URL).keys) == {signer.kid}


def test_an_unknown_key_id_refetches_but_not_within_the_floor(
    signer: Signer, clock: Clock
) -> None:
    rotated = Signer(kid="rotated")
    publisher = Publisher({URL: signer.jwks()})
    cache = cache_for(publisher, clock)
    cache.key(URL, signer.kid)

    publisher.documents[URL] = rotated.jwks()
    assert cache.key(URL, "rotated") is None  # fetched just now: no refetch
    assert len(publisher.fetches) == 1

    clock.now += 5
    assert cache.key(URL, "rotated") is not None
    assert cache.key(URL, "made-up") is None
    assert len(publisher.fetches) == 2


@pytest.mark.parametrize(
    "failure",
    [ConnectionRefusedError("refused"), TimeoutError("timed out"), {"no": "keys"}],
)
def test_a_failed_fetch_is_a_key_fetch_error(failure: Any, clock: Clock) -> None:
    cache = cache_for(Publisher({URL: failure}), clock)

    with pytest.raises(KeyFetchError, match=f"could not fetch keys from {URL}"):
        cache.key(URL, "any")


def test_a_remote_key_set_reads_through_its_cache(signer: Signer, clock: Clock) -> None:
    cache = cache_for(Publisher({URL: signer.jwks()}), clock)

    assert RemoteKeySet(URL, cache).key(signer.kid) is not None


def test_the_well_known_urls() -> None:
    assert GOOGLE_CERTS_URL == "https://www.googleapis.com/oauth2/v3/certs"
    assert emulator_certs_url("127.0.0.1:8124") == (
        "http://127.0.0.1:8124/oauth2/v3/certs"
    )


def test_fetching_only_speaks_http() -> None:
    with pytest.raises(ValueError, match="not an http"):
        fetch_json("file:///etc/passwd", 1)


def test_an_unreachable_url_is_a_key_fetch_error() -> None:
    # Port 1 on loopback: nothing listens, so the connection is refused at once.
    cache = JwksCache(timeout=1)

    with pytest.raises(KeyFetchError, match="could not fetch keys"):
        cache.key_set("http://127.0.0.1:1/oauth2/v3/certs")
