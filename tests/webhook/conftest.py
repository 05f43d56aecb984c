"""Fixtures: a signing key made once per session (RSA keys take a while)."""

from __future__ import annotations

import pytest

from queuekeeper.webhook import TokenVerifier
from tests.webhook.signing import AUDIENCE, ISSUER, SA, Signer


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer()


@pytest.fixture
def verifier(signer: Signer) -> TokenVerifier:
    """Trusts `signer` for ISSUER and AUDIENCE, and wants the SA's email."""
    return TokenVerifier.from_jwks(
        signer.jwks(), issuer=ISSUER, audience=AUDIENCE, email=SA
    )
