"""End to end: tasks the emulator delivers to a real HTTP target, checked with
the webhook helpers, keys fetched from the emulator's JWKS URL."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from google.cloud import tasks_v2

from queuekeeper.emulator import Emulator
from queuekeeper.webhook import (
    InvalidToken,
    JwksCache,
    TokenProblem,
    TokenVerifier,
    parse_task_headers,
    require_api_key,
)
from tests.emulator.conftest import connect
from tests.emulator.target import Answer, Received, Target
from tests.webhook.signing import Signer, b64_json, good_claims

SA = "worker@p1.iam.gserviceaccount.com"
AUDIENCE = "https://worker.test/tasks"
PARENT = "projects/p1/locations/us-central1"


@dataclasses.dataclass
class Delivery:
    """An emulator with its REST surface, a client and a target that records."""

    emulator: Emulator
    client: tasks_v2.CloudTasksClient
    target: Target

    def send(self, **request: Any) -> Received:
        """Create an HTTP task on queue `q` and wait for its first delivery."""
        queue = tasks_v2.Queue(name=f"{PARENT}/queues/q")
        self.client.create_queue(parent=PARENT, queue=queue)
        http = tasks_v2.HttpRequest(url=self.target.url(), **request)
        task = tasks_v2.Task(http_request=http)
        self.client.create_task(parent=queue.name, task=task)
        [received, *_] = self.target.wait_for(1)
        return received

    def verifier(self, **changes: Any) -> TokenVerifier:
        """Trusts the emulator's JWKS URL (own cache), AUDIENCE and SA."""
        verifier = TokenVerifier.emulator(
            self.emulator.rest_address, AUDIENCE, email=SA, cache=JwksCache()
        )
        return dataclasses.replace(verifier, **changes)


@pytest.fixture
def target() -> Iterator[Target]:
    served = Target()
    yield served
    served.close()


@pytest.fixture
def delivery(target: Target) -> Iterator[Delivery]:
    with Emulator(queue_tombstone=timedelta(0)) as emulator, connect(emulator) as c:
        yield Delivery(emulator, c, target)


@pytest.fixture
def token(delivery: Delivery) -> str:
    """The bearer token of an OIDC task for SA and AUDIENCE."""
    oidc = tasks_v2.OidcToken(service_account_email=SA, audience=AUDIENCE)
    authorization = delivery.send(oidc_token=oidc).header("Authorization") or ""
    return authorization.removeprefix("Bearer ")


def test_the_emulators_token_verifies_against_its_jwks_url(
    delivery: Delivery, token: str
) -> None:
    claims = delivery.verifier().verify(f"Bearer {token}")

    assert claims.issuer == delivery.emulator.issuer
    assert claims.audience == AUDIENCE
    assert claims.email == SA and claims.email_verified
    assert claims.expires_at - claims.issued_at == timedelta(hours=1)


def test_the_audience_defaults_to_the_task_url(delivery: Delivery) -> None:
    oidc = tasks_v2.OidcToken(service_account_email=SA)
    received = delivery.send(oidc_token=oidc)

    verifier = delivery.verifier(audiences=frozenset({delivery.target.url()}))

    assert verifier.verify_headers(received.headers).email == SA


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"audiences": frozenset({"https://other.test"})}, TokenProblem.WRONG_AUDIENCE),
        ({"email": "other@p1.iam.gserviceaccount.com"}, TokenProblem.WRONG_EMAIL),
        (
            {"issuers": frozenset({"https://accounts.google.com"})},
            TokenProblem.WRONG_ISSUER,
        ),
        ({"wall_clock": lambda: time.time() + 3600 + 31}, TokenProblem.EXPIRED),
    ],
)
def test_the_emulators_token_fails_a_verifier_that_expects_otherwise(
    delivery: Delivery, token: str, changes: dict[str, Any], problem: TokenProblem
) -> None:
    with pytest.raises(InvalidToken) as raised:
        delivery.verifier(**changes).verify_token(token)

    assert raised.value.problem is problem


def test_a_tampered_emulator_token_fails_the_signature(
    delivery: Delivery, token: str
) -> None:
    header, _, signature = token.split(".")
    forged = b64_json(good_claims(iss=delivery.emulator.issuer, aud=AUDIENCE))

    with pytest.raises(InvalidToken) as raised:
        delivery.verifier().verify_token(f"{header}.{forged}.{signature}")

    assert raised.value.problem is TokenProblem.BAD_SIGNATURE


def test_a_token_from_a_key_the_emulator_does_not_publish_is_refused(
    delivery: Delivery, token: str
) -> None:
    claims = good_claims(iss=delivery.emulator.issuer, aud=AUDIENCE, email=SA)
    stranger = Signer(kid="stranger").token(claims)
    verifier = delivery.verifier()
    verifier.verify_token(token)  # the cache now holds the emulator's keys

    with pytest.raises(InvalidToken) as raised:
        verifier.verify_token(stranger)

    assert raised.value.problem is TokenProblem.UNKNOWN_KEY
    assert delivery.emulator.rest_address in str(raised.value)


def test_a_delivery_carries_the_cloud_tasks_headers(delivery: Delivery) -> None:
    before = datetime.now(timezone.utc)

    attempt = parse_task_headers(delivery.send().headers)

    assert attempt.queue_name == "q"
    assert attempt.task_name.isdigit()
    assert (attempt.retry_count, attempt.execution_count) == (0, 0)
    assert attempt.previous_response is None and attempt.retry_reason is None
    assert before - timedelta(seconds=5) <= attempt.eta <= datetime.now(timezone.utc)


def test_a_retry_carries_the_previous_response(delivery: Delivery) -> None:
    answers = iter([Answer(status=503)])
    delivery.target.answer(lambda request: next(answers, Answer()))

    delivery.send()
    first, second = delivery.target.wait_for(2)

    retry = parse_task_headers(second.headers)
    assert retry.task_name == parse_task_headers(first.headers).task_name
    assert (retry.retry_count, retry.execution_count) == (1, 0)
    assert retry.previous_response == 503
    assert retry.is_retry


def test_a_task_header_can_carry_an_api_key(delivery: Delivery) -> None:
    received = delivery.send(headers={"X-API-Key": "k-123"})

    require_api_key(received.headers, "k-123")


def test_an_emulator_with_its_own_issuer_is_verified_with_it(target: Target) -> None:
    issuer = "https://issuer.test"
    with Emulator(issuer=issuer) as emulator, connect(emulator) as client:
        delivery = Delivery(emulator, client, target)
        oidc = tasks_v2.OidcToken(service_account_email=SA, audience=AUDIENCE)
        received = delivery.send(oidc_token=oidc)
        verifier = TokenVerifier.emulator(
            emulator.rest_address, AUDIENCE, issuer=issuer, cache=JwksCache()
        )

        assert verifier.verify_headers(received.headers).issuer == issuer
