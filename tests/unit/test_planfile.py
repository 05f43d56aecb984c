"""Saved plans: a round trip, redaction, and refusal of foreign files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from queuekeeper.errors import PlanFileError
from queuekeeper.fields import REDACTED, format_duration, format_rate, format_value
from queuekeeper.plan import make_plan
from queuekeeper.planfile import load_plan, plan_to_dict, save_plan
from queuekeeper.render import plan_markdown, plan_text
from tests.unit.helpers import manifest

SECRET_QUEUE = """
queues:
  - name: q
    state: paused
    rate_limits: {max_dispatches_per_second: 1/m}
    retry_config: {min_backoff: 0.5s, max_attempts: unlimited}
    http_target:
      uri_override: {host: h.example.com, port: 8443}
      header_overrides: {Authorization: Bearer s3cr3t, X-Plain: visible}
      oidc_token: {service_account_email: sa@p.iam, audience: https://a}
"""


def test_a_saved_plan_loads_back_equal(tmp_path: Path) -> None:
    plan = make_plan(manifest(SECRET_QUEUE), [])
    target = tmp_path / "plan.json"
    save_plan(plan, str(target), "Google Cloud")
    assert load_plan(str(target)) == (plan, "Google Cloud")
    assert target.stat().st_mode & 0o077 == 0


def test_rendered_plans_never_show_a_credential() -> None:
    plan = make_plan(manifest(SECRET_QUEUE), [])
    for text in (plan_text(plan), plan_markdown(plan), json.dumps(plan_to_dict(plan))):
        assert "s3cr3t" not in text
        assert REDACTED in text
        assert "visible" in text


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"format": "other"}',
        '{"format": "queuekeeper-plan", "format_version": 99, "changes": []}',
        '{"format": "queuekeeper-plan", "format_version": 1, "changes": [{}]}',
    ],
)
def test_a_foreign_or_damaged_plan_file_is_refused(
    tmp_path: Path, content: str
) -> None:
    target = tmp_path / "plan.json"
    target.write_text(content)
    with pytest.raises(PlanFileError):
        load_plan(str(target))


def test_values_are_shown_in_the_units_they_are_written_in() -> None:
    assert format_duration(90 * 10**9) == "90s"
    assert format_duration(3600 * 10**9) == "1h"
    assert format_duration(10**8) == "0.1s"
    assert format_rate(1 / 60) == "1/m"
    assert format_rate(2.5) == "2.5/s"
    assert format_rate(0.5) == "30/m"
    assert format_value("retry_config.max_attempts", -1) == "unlimited"
