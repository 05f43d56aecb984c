"""Authorization on dispatch: OIDC tokens that verify against the emulator's
published keys, and opaque OAuth stand-ins."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
from google.auth import jwt
from google.cloud import tasks_v2

from queuekeeper.emulator import DISCOVERY_PATH, JWKS_PATH, Emulator, ManualClock
from tests.emulator.conftest import World, connect, running_world
from tests.emulator.target import Target

SA = "worker@p1.iam.gserviceaccount.com"


@pytest.fixture
def world(clock: ManualClock, target: Target) -> Iterator[World]:
    """With the REST surface, which serves the keys and names the issuer."""
    with running_world(clock, target) as running:
        yield running


def keys_as_pem(jwks: dict[str, Any]) -> dict[str, bytes]:
    """A JWKS as PEM public keys by key ID, the form `jwt.decode` takes."""
    keys = {}
    for key in jwks["keys"]:
        numbers = RSAPublicNumbers(_b64_int(key["e"]), _b64_int(key["n"]))
        keys[key["kid"]] = numbers.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return keys


def public_keys(emulator: Emulator) -> dict[str, bytes]:
    return keys_as_pem(emulator.jwks())


def _b64_int(text: str) -> int:
    return int.from_bytes(
        base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big"
    )


def bearer(world: World) -> str:
    [got] = world.target.received
    scheme, _, token = (got.header("Authorization") or "").partition(" ")
    assert scheme == "Bearer"
    return token


def test_an_oidc_task_carries_a_jwt_that_verifies_against_the_jwks(
    world: World,
) -> None:
    queue = world.queue()
    oidc = tasks_v2.OidcToken(service_account_email=SA, audience="https://aud")

    world.task(queue, request={"oidc_token": oidc})
    world.idle()

    claims: dict[str, Any] = jwt.decode(
        bearer(world), certs=public_keys(world.emulator), audience="https://aud"
    )
    assert claims["iss"] == world.emulator.issuer
    assert world.emulator.issuer == f"http://{world.emulator.rest_address}"
    assert claims["email"] == SA and claims["email_verified"] is True
    assert claims["sub"].isdigit() and len(claims["sub"]) == 21
    assert claims["exp"] - claims["iat"] == 3600


def test_the_audience_defaults_to_the_url_and_the_issuer_can_be_set(
    target: Target,
) -> None:
    with Emulator(issuer="https://issuer.test") as emulator, connect(emulator) as c:
        queue = c.create_queue(
            parent="projects/p/locations/l",
            queue=tasks_v2.Queue(name="projects/p/locations/l/queues/q"),
        ).name
        oidc = tasks_v2.OidcToken(service_account_email=SA)
        http = tasks_v2.HttpRequest(url=target.url("/a"), oidc_token=oidc)
        c.create_task(parent=queue, task=tasks_v2.Task(http_request=http))
        assert emulator.wait_idle(5)

        [got] = target.received
        token = (got.header("Authorization") or "").split(" ")[1]
        claims = jwt.decode(
            token, certs=public_keys(emulator), audience=target.url("/a")
        )
        assert claims["iss"] == "https://issuer.test"
        discovery = emulator.openid_configuration("http://127.0.0.1:9")
        assert discovery["issuer"] == "https://issuer.test"
        assert discovery["jwks_uri"] == "http://127.0.0.1:9" + JWKS_PATH


def test_a_queue_level_token_replaces_the_task_token(world: World) -> None:
    oidc = tasks_v2.OidcToken(service_account_email=SA, audience="queue-aud")
    queue = world.queue(http_target=tasks_v2.HttpTarget(oidc_token=oidc))
    oauth = tasks_v2.OAuthToken(service_account_email=SA)

    world.task(queue, request={"oauth_token": oauth})
    world.idle()

    claims = jwt.decode(
        bearer(world), certs=public_keys(world.emulator), audience="queue-aud"
    )
    assert claims["email"] == SA


def test_an_oauth_task_carries_an_opaque_bearer_token(world: World) -> None:
    queue = world.queue()

    world.task(
        queue, request={"oauth_token": tasks_v2.OAuthToken(service_account_email=SA)}
    )
    world.idle()

    assert bearer(world).startswith("queuekeeper-emulator-oauth.")


def fetch(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        document: dict[str, Any] = json.load(response)
    return document


def test_a_worker_can_discover_the_keys_over_the_rest_surface(world: World) -> None:
    queue = world.queue()
    world.task(
        queue, request={"oidc_token": tasks_v2.OidcToken(service_account_email=SA)}
    )
    world.idle()

    base = f"http://{world.emulator.rest_address}"
    discovery = fetch(base + DISCOVERY_PATH)
    keys = keys_as_pem(fetch(discovery["jwks_uri"]))

    assert discovery["jwks_uri"] == base + JWKS_PATH
    claims = jwt.decode(bearer(world), certs=keys, audience=world.target.url())
    assert claims["iss"] == discovery["issuer"] == base
