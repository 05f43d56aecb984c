"""Inputs a new user tried: each is a clear error of ours, never a raw crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuekeeper import TaskManager
from queuekeeper.errors import ConfigError, InvalidTask


@pytest.mark.parametrize("delay", [float("nan"), float("inf"), -float("inf"), 1e300])
def test_a_delay_that_is_not_a_usable_number_is_an_invalid_task(delay: float) -> None:
    with (
        TaskManager(
            project="p1",
            location="us-central1",
            base_url="http://127.0.0.1:9/v1",
            test_mode=True,
        ) as tm,
        pytest.raises(InvalidTask, match="delay"),
    ):
        tm.run("q", "/x", delay=delay)


def test_a_config_with_a_bad_rate_reports_every_problem_by_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "task_manager:\n  project: my-project\n  location: us-central1\n"
        "  base_url: http://127.0.0.1:1/v1\n"
        "  queue_options:\n    max_dispatches_per_second: fast\n"
    )
    with pytest.raises(ConfigError) as raised:
        TaskManager.from_config(str(path))
    assert "6" in str(raised.value) and "fast" in str(raised.value)
