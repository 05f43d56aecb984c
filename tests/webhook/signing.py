"""A test signing key: a JWKS for it, and tokens signed RS256 with it, so the
verifier's checks can be driven one claim at a time."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = "https://issuer.test"
AUDIENCE = "https://worker.test/tasks"
SA = "tasks@p1.iam.gserviceaccount.com"


class Signer:
    """An RSA key with an ID, able to sign any header and claims."""

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        numbers = self._private.public_key().public_numbers()
        key = {"kty": "RSA", "kid": self.kid, "n": b64_int(numbers.n)}
        return {"keys": [{**key, "e": b64_int(numbers.e), "alg": "RS256"}]}

    def token(self, claims: dict[str, Any], **header: Any) -> str:
        fields = {"alg": "RS256", "typ": "JWT", "kid": self.kid, **header}
        signing_input = f"{b64_json(fields)}.{b64_json(claims)}"
        signature = self._private.sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{b64(signature)}"


def good_claims(**changes: Any) -> dict[str, Any]:
    """Claims that pass every check of a verifier made by `verifier_for`."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "100000000000000000001",
        "email": SA,
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(changes)
    return claims


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64_json(data: dict[str, Any]) -> str:
    return b64(json.dumps(data).encode())


def b64_int(value: int) -> str:
    return b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))
