"""Verify the OIDC ID token Cloud Tasks puts in a task's Authorization header.

A `TokenVerifier` holds what a worker expects (keys, issuers, audiences,
optionally the service account) and checks, in this order: the token's form,
its algorithm (RS256 only), its key ID, its signature, the issuer, the
audience, the expiry and issue times (allowing `clock_skew`), then the email.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .errors import InvalidToken, TokenProblem
from .headers import HeaderSource, normalize_headers
from .jwt import Jwt, bearer_token, parse_jwt
from .keys import (
    DEFAULT_CACHE,
    GOOGLE_CERTS_URL,
    JwksCache,
    KeySet,
    KeySource,
    RemoteKeySet,
    emulator_certs_url,
)

# Google's ID tokens name either form of its issuer.
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})
DEFAULT_CLOCK_SKEW = 30.0
_LATEST = 253_402_300_799  # 9999-12-31T23:59:59Z, datetime's last second


@dataclass(frozen=True)
class TokenClaims:
    """The claims of a verified token; `claims` holds all of them, read-only.

    `audience` is the expected audience the token matched.
    """

    issuer: str
    audience: str
    subject: str | None
    email: str | None
    email_verified: bool
    issued_at: datetime
    expires_at: datetime
    claims: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class TokenVerifier:
    """Checks OIDC tokens against `keys`, `issuers` and `audiences`, and the
    service account `email` if given (with `email_verified`).

    `wall_clock` gives the time in epoch seconds that `exp` and `iat` are
    compared with, allowing `clock_skew` seconds either way.
    """

    keys: KeySource
    issuers: frozenset[str]
    audiences: frozenset[str]
    email: str | None = None
    clock_skew: float = DEFAULT_CLOCK_SKEW
    wall_clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def google(
        cls,
        audience: str | Iterable[str],
        *,
        email: str | None = None,
        cache: JwksCache = DEFAULT_CACHE,
    ) -> TokenVerifier:
        """For tokens minted by Google: its published keys and issuers."""
        keys = RemoteKeySet(GOOGLE_CERTS_URL, cache)
        return cls(keys, GOOGLE_ISSUERS, _names(audience), email)

    @classmethod
    def emulator(
        cls,
        rest_address: str,
        audience: str | Iterable[str],
        *,
        email: str | None = None,
        issuer: str | None = None,
        cache: JwksCache = DEFAULT_CACHE,
    ) -> TokenVerifier:
        """For tokens minted by the emulator whose REST surface is at
        `host:port`; its issuer is ``http://host:port`` unless it was started
        with another (`issuer`). The emulator, like Cloud Tasks, sets the
        audience to the task's URL unless the task names one."""
        keys = RemoteKeySet(emulator_certs_url(rest_address), cache)
        if issuer is None:
            issuer = f"http://{rest_address}"
        issuers = _names(issuer)
        return cls(keys, issuers, _names(audience), email)

    @classmethod
    def from_jwks(
        cls,
        jwks: Mapping[str, Any],
        *,
        issuer: str | Iterable[str],
        audience: str | Iterable[str],
        email: str | None = None,
    ) -> TokenVerifier:
        """For tokens signed by the keys of a JWKS document at hand."""
        keys = KeySet.from_jwks(jwks)
        return cls(keys, _names(issuer), _names(audience), email)

    def verify_headers(self, headers: HeaderSource) -> TokenClaims:
        """Verify the bearer token in the request's Authorization header."""
        return self.verify(normalize_headers(headers).get("authorization"))

    def verify(self, authorization: str | None) -> TokenClaims:
        """Verify the token in an ``Authorization`` header value (``Bearer …``)."""
        return self.verify_token(bearer_token(authorization))

    def verify_token(self, token: str) -> TokenClaims:
        """Verify a bare token; its claims, or `InvalidToken` saying what failed."""
        jwt = parse_jwt(token)
        jwt.verify_signature(self._key(jwt))
        claims = jwt.claims
        issuer = self._issuer(claims)
        audience = self._audience(claims)
        expires_at, issued_at = self._times(claims)
        email = self._email(claims)
        return TokenClaims(
            issuer=issuer,
            audience=audience,
            subject=_optional_str(claims, "sub"),
            email=email,
            email_verified=claims.get("email_verified") is True,
            issued_at=issued_at,
            expires_at=expires_at,
            claims=MappingProxyType(claims),
        )

    def _key(self, jwt: Jwt) -> RSAPublicKey:
        # Checking `alg` before anything else closes the "none" and HS256
        # confusions: only RS256 is ever verified, whatever the token says.
        if jwt.header.get("alg") != "RS256":
            raise InvalidToken(TokenProblem.UNSUPPORTED_ALGORITHM, "expected RS256")
        kid = jwt.header.get("kid")
        key = self.keys.key(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken(TokenProblem.UNKNOWN_KEY, f"not in {self._source()}")
        return key

    def _issuer(self, claims: Mapping[str, Any]) -> str:
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise InvalidToken(TokenProblem.WRONG_ISSUER, _expected(self.issuers))
        return issuer

    def _audience(self, claims: Mapping[str, Any]) -> str:
        # `aud` is one string or a list of them (RFC 7519 §4.1.3).
        aud = claims.get("aud")
        for audience in aud if isinstance(aud, list) else [aud]:
            if isinstance(audience, str) and audience in self.audiences:
                return audience
        raise InvalidToken(TokenProblem.WRONG_AUDIENCE, _expected(self.audiences))

    def _times(self, claims: Mapping[str, Any]) -> tuple[datetime, datetime]:
        now = self.wall_clock()
        expires, issued = _epoch(claims, "exp"), _epoch(claims, "iat")
        if now > expires + self.clock_skew:
            raise InvalidToken(TokenProblem.EXPIRED, f"at {_utc(expires).isoformat()}")
        not_before = _epoch(claims, "nbf") if "nbf" in claims else issued
        if now < not_before - self.clock_skew:
            detail = f"until {_utc(not_before).isoformat()}"
            raise InvalidToken(TokenProblem.NOT_YET_VALID, detail)
        return _utc(expires), _utc(issued)

    def _email(self, claims: Mapping[str, Any]) -> str | None:
        email = _optional_str(claims, "email")
        if self.email is None:
            return email
        if email != self.email:
            raise InvalidToken(TokenProblem.WRONG_EMAIL, f"expected {self.email}")
        if claims.get("email_verified") is not True:
            raise InvalidToken(TokenProblem.EMAIL_NOT_VERIFIED)
        return email

    def _source(self) -> str:
        if isinstance(self.keys, RemoteKeySet):
            return f"the keys at {self.keys.url}"
        return "the key set"


def _names(value: str | Iterable[str]) -> frozenset[str]:
    return frozenset({value} if isinstance(value, str) else value)


def _expected(names: frozenset[str]) -> str:
    return "expected " + " or ".join(sorted(names))


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) else None


def _epoch(claims: Mapping[str, Any], name: str) -> float:
    value = claims.get(name)
    # bool is an int to Python, but never a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(TokenProblem.MALFORMED, f"no numeric {name!r} claim")
    if not 0 <= value <= _LATEST:  # NaN fails this too
        raise InvalidToken(TokenProblem.MALFORMED, f"{name!r} is out of range")
    return float(value)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
