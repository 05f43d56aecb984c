"""api_key_matches and require_api_key: a shared secret in a header."""

from __future__ import annotations

import pytest

from queuekeeper.webhook import InvalidApiKey, api_key_matches, require_api_key

KEY = "s3cret-key-\u00e9"  # non-ASCII, which compare_digest refuses as str


def test_the_expected_key_matches_in_any_header_case() -> None:
    assert api_key_matches({"X-API-Key": KEY}, KEY)
    assert api_key_matches({"x-api-key": KEY}, KEY)
    assert api_key_matches([("X-Api-Key", KEY)], KEY)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": ""},
        {"X-API-Key": "s3cret-key-"},
        {"X-API-Key": KEY + "x"},
        {"Authorization": KEY},
        [("X-API-Key", KEY), ("X-API-Key", KEY)],
    ],
)
def test_anything_else_does_not_match(headers: dict[str, str]) -> None:
    assert not api_key_matches(headers, KEY)


def test_another_header_can_carry_the_key() -> None:
    headers = {"X-Worker-Secret": KEY}

    assert api_key_matches(headers, KEY, header="x-worker-secret")
    assert not api_key_matches(headers, KEY)


def test_an_empty_expected_key_is_a_configuration_bug() -> None:
    with pytest.raises(ValueError, match="empty"):
        api_key_matches({"X-API-Key": ""}, "")


def test_require_raises_without_showing_either_key() -> None:
    presented = "wrong-key-value"

    with pytest.raises(InvalidApiKey) as e:
        require_api_key({"X-API-Key": presented}, KEY)

    shown = str(e.value) + repr(e.value) + repr(e.value.args)
    assert "X-API-Key header is missing or wrong" in shown
    assert KEY not in shown and presented not in shown


def test_require_passes_quietly_on_a_match() -> None:
    require_api_key({"X-API-Key": KEY}, KEY)
