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


def _saved(tmp_path: Path, changes: list[dict[str, object]], **extra: object) -> str:
    data = {
        "format": "queuekeeper-plan",
        "format_version": 1,
        "target": "Google Cloud",
        "changes": changes,
        **extra,
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    return str(path)


def _change(
    action: str,
    fingerprint: str | None = "f",
    name: str = "q",
    diffs: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    return {
        "action": action,
        "queue": {"project": "p", "location": "europe-west1", "name": name},
        "diffs": diffs or [],
        "settings": {},
        "fingerprint": fingerprint,
    }


ATTEMPTS = {"path": "retry_config.max_attempts", "old": 1, "new": 2}


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ([_change("update", None, diffs=[ATTEMPTS])], "fingerprint does not fit"),
        ([_change("create", "f")], "fingerprint does not fit"),
        (
            [_change("create", None), _change("update", None, diffs=[ATTEMPTS])],
            "cannot go together",
        ),
        ([_change("pause"), _change("resume")], "cannot go together"),
        ([_change("update", diffs=[ATTEMPTS, ATTEMPTS])], "one field twice"),
        ([_change("pause", name="a/../../b")], "damaged"),
        ([_change("pause", name="q" * 101)], "damaged"),
    ],
)
def test_a_hand_edited_plan_that_make_plan_could_not_produce_is_refused(
    tmp_path: Path, changes: list[dict[str, object]], words: str
) -> None:
    with pytest.raises(PlanFileError, match=words):
        load_plan(_saved(tmp_path, changes))


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_the_format_version_must_be_the_integer_one(
    tmp_path: Path, version: object
) -> None:
    with pytest.raises(PlanFileError, match="version"):
        load_plan(_saved(tmp_path, [], format_version=version))


def test_malformed_notes_and_deep_nesting_are_damage_not_crashes(
    tmp_path: Path,
) -> None:
    bad_note = {
        "kind": "unmanaged",
        "message": "m",
        "queue": {"project": "p", "location": "l", "name": "n", "x": 1},
    }
    with pytest.raises(PlanFileError, match="damaged"):
        load_plan(_saved(tmp_path, [], notes=[bad_note]))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(PlanFileError, match="not a plan file"):
        load_plan(str(deep))


def test_saving_over_a_readable_file_leaves_it_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")
    target.chmod(0o644)
    save_plan(make_plan(manifest(SECRET_QUEUE), []), str(target), "Google Cloud")
    assert target.stat().st_mode & 0o077 == 0
