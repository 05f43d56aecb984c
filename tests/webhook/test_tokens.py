"""TokenVerifier against a JWKS at hand: each check, one claim at a time."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from queuekeeper.webhook import InvalidToken, RemoteKeySet, TokenProblem, TokenVerifier
from tests.webhook.signing import (
    AUDIENCE,
    ISSUER,
    SA,
    Signer,
    b64,
    b64_json,
    good_claims,
)

NAN_CLAIMS = b'{"exp": NaN}'


def refused(verifier: TokenVerifier, token: str) -> InvalidToken:
    """The error verifying `token` raised; it never shows the token."""
    with pytest.raises(InvalidToken) as raised:
        verifier.verify(f"Bearer {token}")
    shown = str(raised.value) + repr(raised.value)
    for part in token.split("."):
        assert len(part) < 8 or part not in shown
    return raised.value


def test_a_good_token_gives_its_claims(signer: Signer, verifier: TokenVerifier) -> None:
    claims = good_claims()

    verified = verifier.verify(f"Bearer {signer.token(claims)}")

    assert verified.issuer == ISSUER and verified.audience == AUDIENCE
    assert verified.email == SA and verified.email_verified
    assert verified.subject == claims["sub"]
    assert verified.expires_at.timestamp() == claims["exp"]
    assert verified.issued_at.timestamp() == claims["iat"]
    assert verified.claims["sub"] == claims["sub"]
    assert "eyJ" not in repr(verified)


def test_the_bearer_scheme_is_case_insensitive(
    signer: Signer, verifier: TokenVerifier
) -> None:
    assert verifier.verify(f"bearer  {signer.token(good_claims())} ").email == SA


def test_headers_are_searched_for_authorization(
    signer: Signer, verifier: TokenVerifier
) -> None:
    headers = [("authorization", f"Bearer {signer.token(good_claims())}")]

    assert verifier.verify_headers(headers).email == SA


def test_an_audience_list_matches_if_it_holds_an_expected_one(
    signer: Signer, verifier: TokenVerifier
) -> None:
    token = signer.token(good_claims(aud=["https://other", AUDIENCE]))

    assert verifier.verify_token(token).audience == AUDIENCE


def test_without_an_expected_email_any_account_passes(
    signer: Signer, verifier: TokenVerifier
) -> None:
    anyone = dataclasses.replace(verifier, email=None)
    token = signer.token(good_claims(email="other@x.test", email_verified=False))

    assert anyone.verify_token(token).email == "other@x.test"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"aud": "https://other"}, TokenProblem.WRONG_AUDIENCE),
        ({"aud": ["https://a", "https://b"]}, TokenProblem.WRONG_AUDIENCE),
        ({"aud": 7}, TokenProblem.WRONG_AUDIENCE),
        ({"iss": "https://accounts.google.com"}, TokenProblem.WRONG_ISSUER),
        ({"iss": None}, TokenProblem.WRONG_ISSUER),
        ({"email": "other@p1.iam.gserviceaccount.com"}, TokenProblem.WRONG_EMAIL),
        ({"email": None}, TokenProblem.WRONG_EMAIL),
        ({"email_verified": False}, TokenProblem.EMAIL_NOT_VERIFIED),
        ({"email_verified": "true"}, TokenProblem.EMAIL_NOT_VERIFIED),
        ({"exp": int(time.time()) - 120}, TokenProblem.EXPIRED),
        ({"iat": int(time.time()) + 600}, TokenProblem.NOT_YET_VALID),
        ({"nbf": int(time.time()) + 600}, TokenProblem.NOT_YET_VALID),
        ({"exp": None}, TokenProblem.MALFORMED),
        ({"exp": True}, TokenProblem.MALFORMED),
        ({"exp": "1800000000"}, TokenProblem.MALFORMED),
        ({"exp": 1e400}, TokenProblem.MALFORMED),
        ({"iat": -1}, TokenProblem.MALFORMED),
    ],
)
def test_a_claim_that_fails_its_check_is_named(
    signer: Signer,
    verifier: TokenVerifier,
    changes: dict[str, Any],
    problem: TokenProblem,
) -> None:
    claims = good_claims(**changes)

    assert refused(verifier, signer.token(claims)).problem is problem


def test_expiry_allows_the_clock_skew_and_no_more(
    signer: Signer, verifier: TokenVerifier
) -> None:
    token = signer.token(good_claims(exp=1_800_000_000))

    def at(now: float) -> TokenVerifier:
        return dataclasses.replace(verifier, wall_clock=lambda: now)

    assert at(1_800_000_030).verify_token(token).email == SA
    error = refused(at(1_800_000_031), token)
    assert error.problem is TokenProblem.EXPIRED
    assert "expired: at 2027-01-15T08:00:00+00:00" in str(error)


def test_the_messages_say_what_was_expected(
    signer: Signer, verifier: TokenVerifier
) -> None:
    wrong = refused(verifier, signer.token(good_claims(aud="https://other")))

    assert str(wrong) == f"invalid OIDC token: wrong audience: expected {AUDIENCE}"
    assert "https://other" not in str(wrong)


def test_a_tampered_payload_fails_the_signature(
    signer: Signer, verifier: TokenVerifier
) -> None:
    header, _, signature = signer.token(good_claims()).split(".")
    forged = b64_json(good_claims(email="attacker@x.test"))

    error = refused(verifier, f"{header}.{forged}.{signature}")

    assert error.problem is TokenProblem.BAD_SIGNATURE


def test_a_tampered_signature_fails(signer: Signer, verifier: TokenVerifier) -> None:
    header, claims, signature = signer.token(good_claims()).split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = signature[:middle] + flipped + signature[middle + 1 :]

    error = refused(verifier, f"{header}.{claims}.{tampered}")

    assert error.problem is TokenProblem.BAD_SIGNATURE


def test_a_token_from_another_key_with_the_same_id_fails_the_signature(
    verifier: TokenVerifier,
) -> None:
    impostor = Signer(kid="test-key")

    error = refused(verifier, impostor.token(good_claims()))

    assert error.problem is TokenProblem.BAD_SIGNATURE


def test_an_unknown_key_id_is_refused(verifier: TokenVerifier) -> None:
    stranger = Signer(kid="stranger")

    error = refused(verifier, stranger.token(good_claims()))

    assert error.problem is TokenProblem.UNKNOWN_KEY
    assert "stranger" not in str(error)


def test_a_token_without_a_key_id_is_refused(
    signer: Signer, verifier: TokenVerifier
) -> None:
    error = refused(verifier, signer.token(good_claims(), kid=None))

    assert error.problem is TokenProblem.UNKNOWN_KEY


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", None])
def test_only_rs256_is_accepted(
    signer: Signer, verifier: TokenVerifier, alg: str | None
) -> None:
    error = refused(verifier, signer.token(good_claims(), alg=alg))

    assert error.problem is TokenProblem.UNSUPPORTED_ALGORITHM


def test_an_unsigned_token_is_malformed(verifier: TokenVerifier) -> None:
    token = f"{b64_json({'alg': 'none'})}.{b64_json(good_claims())}."

    assert refused(verifier, token).problem is TokenProblem.MALFORMED


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        "a.b",
        "a.b.c.d",
        "a.b.c",
        "e30.e30.+/==",
        f"{b64(b'[1]')}.{b64_json({})}.c2ln",
        f"{b64_json({'alg': 'RS256'})}.{b64(NAN_CLAIMS)}.c2ln",
        f"{b64_json({'alg': 'RS256'})}.{b64(b'{}') * 10_000}.c2ln",
    ],
)
def test_something_that_is_not_a_jwt_is_malformed(
    verifier: TokenVerifier, token: str
) -> None:
    assert refused(verifier, token).problem is TokenProblem.MALFORMED


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer  ", "Basic x"])
def test_a_missing_bearer_token_is_refused(
    verifier: TokenVerifier, authorization: str | None
) -> None:
    with pytest.raises(InvalidToken) as raised:
        verifier.verify(authorization)

    assert raised.value.problem is TokenProblem.MISSING


def test_the_google_verifier_uses_googles_keys_and_issuers() -> None:
    verifier = TokenVerifier.google(AUDIENCE, email=SA)

    assert verifier.keys == RemoteKeySet("https://www.googleapis.com/oauth2/v3/certs")
    assert verifier.issuers == {"https://accounts.google.com", "accounts.google.com"}
    assert verifier.audiences == {AUDIENCE} and verifier.email == SA


def test_the_emulator_verifier_follows_its_address_or_given_issuer() -> None:
    plain = TokenVerifier.emulator("127.0.0.1:8124", [AUDIENCE, "https://b"])
    named = TokenVerifier.emulator("127.0.0.1:8124", AUDIENCE, issuer=ISSUER)

    assert plain.keys == RemoteKeySet("http://127.0.0.1:8124/oauth2/v3/certs")
    assert plain.issuers == {"http://127.0.0.1:8124"}
    assert plain.audiences == {AUDIENCE, "https://b"}
    assert named.issuers == {ISSUER}
