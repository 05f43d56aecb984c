"""``${VAR}`` interpolation."""

from __future__ import annotations

import pytest

from queuekeeper.manifest.interpolate import InterpolationError, interpolate


def test_a_set_variable_is_substituted() -> None:
    assert interpolate("p-${ENV}-x", {"ENV": "prod"}) == "p-prod-x"


def test_a_default_is_used_only_when_the_variable_is_unset() -> None:
    assert interpolate("${A:-dflt}", {}) == "dflt"
    assert interpolate("${A:-dflt}", {"A": ""}) == ""
    assert interpolate("${A:-}", {}) == ""


def test_an_undefined_variable_without_default_names_the_variable() -> None:
    with pytest.raises(InterpolationError, match="MISSING_ONE"):
        interpolate("${MISSING_ONE}", {})


def test_a_doubled_dollar_escapes_a_reference() -> None:
    assert interpolate("$${NOT}", {}) == "${NOT}"


def test_a_malformed_reference_is_an_error() -> None:
    with pytest.raises(InterpolationError, match="malformed"):
        interpolate("${1BAD}", {})
