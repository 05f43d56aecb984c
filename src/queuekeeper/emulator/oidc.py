"""Authorization headers for dispatched tasks: OIDC ID tokens and OAuth stand-ins.

An OIDC token is a JWT signed RS256 (with `cryptography`) by a key the emulator
makes for itself.
Workers verify it the way they verify Google's: fetch the discovery document
(`DISCOVERY_PATH`), then the keys (`JWKS_PATH`, the path Google serves its own
keys on), and check the signature, `iss` and `aud`.

The key is made on first use (a 2048-bit key takes tens of milliseconds, which
every emulator start would otherwise pay) and lives in memory only: a private
key is not worth writing to disk for a local emulator, and a worker that
caches keys refetches them when it meets an unknown `kid` after a restart.

An OAuth token cannot be faked usefully (only Google's APIs accept one), so an
OAuth task carries an opaque bearer string that says what it stands for.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/oauth2/v3/certs"
DEFAULT_ISSUER = "http://queuekeeper-emulator"
DEFAULT_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
TOKEN_LIFETIME = 3600
_OAUTH_PREFIX = "queuekeeper-emulator-oauth."


class TokenMinter:
    """Mints the tokens tasks carry and publishes the keys that verify them.

    `issuer` is read at each mint, so it can follow the REST surface's base URL
    once that is known. Token times (`iat`, `exp`) come from `wall_clock`, not
    the emulator's clock: the worker checks them against its own wall clock.
    """

    def __init__(
        self,
        issuer: Callable[[], str],
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer = issuer
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._key_pair: tuple[rsa.RSAPrivateKey, str] | None = None

    def id_token(self, audience: str, email: str) -> str:
        """A signed OIDC ID token for service account `email`."""
        issued = int(self._wall_clock())
        claims = {
            "iss": self._issuer(),
            "aud": audience,
            "azp": _subject(email),
            "sub": _subject(email),
            "email": email,
            "email_verified": True,
            "iat": issued,
            "exp": issued + TOKEN_LIFETIME,
        }
        private, kid = self._key()
        header = {"alg": "RS256", "typ": "JWT", "kid": kid}
        signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode("ascii")
        signature = private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{_b64(signature)}"

    def access_token(self, email: str, scope: str) -> str:
        """An opaque stand-in for an OAuth access token (not a JWT)."""
        del email, scope  # opaque by design: nothing can verify it anyway
        return _OAUTH_PREFIX + secrets.token_urlsafe(24)

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set with the public key that signs ID tokens."""
        private, kid = self._key()
        numbers = private.public_key().public_numbers()
        key = {
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "kid": kid,
            "n": _b64_int(numbers.n),
            "e": _b64_int(numbers.e),
        }
        return {"keys": [key]}

    def openid_configuration(self, base_url: str) -> dict[str, Any]:
        """The discovery document, with keys at `base_url` + `JWKS_PATH`."""
        return {
            "issuer": self._issuer(),
            "jwks_uri": base_url.rstrip("/") + JWKS_PATH,
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": [
                "aud",
                "azp",
                "email",
                "email_verified",
                "exp",
                "iat",
                "iss",
                "sub",
            ],
        }

    def _key(self) -> tuple[rsa.RSAPrivateKey, str]:
        """The signing key and its `kid`, made on first use."""
        with self._lock:
            if self._key_pair is None:
                private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                modulus = private.public_key().public_numbers().n
                kid = hashlib.sha256(_b64_int(modulus).encode()).hexdigest()[:40]
                self._key_pair = (private, kid)
            return self._key_pair


def _subject(email: str) -> str:
    # Google's `sub` for a service account is its 21-digit unique ID; a digest
    # of the email gives a stable number of the same shape.
    digest = int.from_bytes(hashlib.sha256(email.encode()).digest()[:8], "big")
    return f"1{digest:020d}"


def _b64_int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _b64_json(data: dict[str, Any]) -> str:
    return _b64(json.dumps(data, separators=(",", ":")).encode())


def _b64(raw: bytes) -> str:
    # JOSE uses unpadded base64url (RFC 7515 §2).
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
