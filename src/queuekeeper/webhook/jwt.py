"""A compact JWT, taken apart and its RS256 signature checked (RFC 7515, 7519).

Only what an OIDC ID token from Cloud Tasks needs: three base64url parts,
a JSON header and claims, an RSA PKCS#1 v1.5 SHA-256 signature. Errors say
what is wrong, never what the token holds.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .errors import InvalidToken, TokenProblem

# An ID token is about 1 KB; anything far larger is not one, and is refused
# before any decoding work is spent on it.
MAX_TOKEN_LENGTH = 16_384
_SEGMENT = r"[A-Za-z0-9_-]+"
_COMPACT = re.compile(rf"({_SEGMENT})\.({_SEGMENT})\.({_SEGMENT})")


@dataclass(frozen=True)
class Jwt:
    """A token's parts, not yet trusted: nothing here is verified."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes

    def verify_signature(self, key: RSAPublicKey) -> None:
        """Raise `InvalidToken` unless `key` made the signature (RS256)."""
        try:
            key.verify(
                self.signature, self.signing_input, padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            raise InvalidToken(TokenProblem.BAD_SIGNATURE) from None


def bearer_token(authorization: str | None) -> str:
    """The token in an ``Authorization: Bearer <token>`` header value."""
    if not authorization:
        raise InvalidToken(TokenProblem.MISSING, "no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    # The scheme is case-insensitive (RFC 9110 §11.1).
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken(TokenProblem.MISSING, "not a Bearer authorization")
    return token.strip()


def parse_jwt(token: str) -> Jwt:
    """Split and decode a compact JWT; raise `InvalidToken` if it is not one."""
    match = _COMPACT.fullmatch(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if match is None:
        raise InvalidToken(TokenProblem.MALFORMED, "not a compact JWT")
    header, claims, signature = match.groups()
    return Jwt(
        header=_json_object(header, "header"),
        claims=_json_object(claims, "claims"),
        signing_input=f"{header}.{claims}".encode("ascii"),
        signature=_b64decode(signature),
    )


def _json_object(segment: str, part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment), parse_constant=_no_constant)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidToken(TokenProblem.MALFORMED, f"the {part} is not a JSON object")
    return value


def _no_constant(name: str) -> Any:
    # json.loads reads NaN and Infinity, which JSON (RFC 8259) does not have.
    raise ValueError(name)


def _b64decode(segment: str) -> bytes:
    # Unpadded base64url (RFC 7515 §2); the regex above admits only its
    # alphabet, so only a bad length can fail here.
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        raise InvalidToken(TokenProblem.MALFORMED, "bad base64url") from None
