"""Hostile and mistaken input: every case is a located problem, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuekeeper.manifest import check_files
from tests.unit.helpers import parse

Q = "queues:\n  - name: q\n"

# (manifest body after the header, line of the problem, words it must contain)
CASES = {
    "merge-key": (
        "common: &c {max_attempts: 3}\n" + Q + "    retry_config:\n      <<: *c\n",
        8,
        ["merge keys"],
    ),
    "custom-tag": (Q + "    state: !foo running\n", 6, ["!foo"]),
    "bad-int-tag": (Q + "    retry_config: {max_attempts: !!int abc}\n", 6, ["abc"]),
    "deep-nesting": ("deep: " + "[" * 300 + "]" * 300 + "\n" + Q, 4, ["nested"]),
    "nan-rate": (
        Q + "    rate_limits: {max_dispatches_per_second: .nan}\n",
        6,
        ["finite"],
    ),
    "nan-ratio": (
        Q + "    stackdriver_logging_config: {sampling_ratio: .nan}\n",
        6,
        ["finite"],
    ),
    "int32-attempts": (
        Q + "    retry_config: {max_attempts: 3000000000}\n",
        6,
        ["3000000000"],
    ),
    "huge-doublings": (
        Q + "    retry_config: {max_doublings: 99999999999}\n",
        6,
        ["maximum"],
    ),
    "huge-duration": (
        Q + "    retry_config: {max_retry_duration: 999999999999999d}\n",
        6,
        ["out of range"],
    ),
    "base-60-rate": (
        Q + "    rate_limits: {max_dispatches_per_second: 1:30}\n",
        6,
        ["'1:30'"],
    ),
    "units-out-of-order": (
        Q + "    retry_config: {min_backoff: 1s1m}\n",
        6,
        ["largest first"],
    ),
    "nested-default": ("queues:\n  - name: ${A:-${B}}\n", 5, ["nested"]),
    "escaped-project": (Q + "    project: $${FOO}\n", 6, ["not a valid project"]),
    "dash-location": (Q + "    location: '-'\n", 6, ["not a valid location"]),
    "header-line-break": (
        Q + '    http_target:\n      header_overrides: {X-A: "a\\nb"}\n',
        7,
        ["one line"],
    ),
    "header-twice": (
        Q + "    http_target:\n      header_overrides:\n"
        "        X-Trace: a\n        x-trace: b\n",
        7,
        ["twice"],
    ),
    "list-key": ("? [a, b]\n: 1\n" + Q, 4, ["keys must be strings, not a list"]),
    "int-key": (Q + "    1: x\n", 6, ["keys must be strings"]),
    "second-document": (Q + "---\nversion: 1\n", 6, ["single YAML document"]),
    "flow-reference": (Q + "    retry_config: {max_attempts: ${N:-5}}\n", 6, ["quote"]),
    "explicit-str-reference": (
        Q + "    retry_config:\n      max_attempts: !!str ${N:-5}\n",
        7,
        ["'5'"],
    ),
    "null-defaults": ("defaults: null\n" + Q, 4, ["expected a mapping, got null"]),
    "queues-mapping": ("queues: {}\n", 4, ["expected a list, got an empty mapping"]),
}


@pytest.mark.parametrize(("body", "line", "words"), CASES.values(), ids=CASES.keys())
def test_bad_input_is_a_problem_at_its_line(
    body: str, line: int, words: list[str]
) -> None:
    _, problems = parse(body)
    matching = [
        p for p in problems if p.line == line and all(w in str(p) for w in words)
    ]
    assert matching, problems


@pytest.mark.parametrize("text", ["null\n", "~\n", "---\n", "--- !!null\n"])
def test_a_document_that_is_only_null_is_empty(text: str) -> None:
    _, problems = parse(text, header=False)
    assert [p.message for p in problems] == ["the document is empty (null)"]


def test_a_header_value_is_never_repeated_in_an_error() -> None:
    _, problems = parse(
        Q + "    http_target:\n      header_overrides:\n"
        "        Authorization: ${TOKEN}\n        X-Key: [Bearer s3cr3t]\n",
        {"TOKEN": "1234567890123"},
    )
    assert len(problems) == 2
    text = " ".join(str(p) for p in problems)
    assert "1234567890123" not in text and "s3cr3t" not in text


def test_a_bad_default_is_reported_once_however_many_queues_inherit_it() -> None:
    _, problems = parse(
        "defaults:\n  retry_config: {max_attempts: 0}\nqueues:\n"
        "  - name: a\n  - name: b\n  - name: c\n"
    )
    assert [p.line for p in problems] == [5]


def test_a_bad_default_is_reported_even_with_no_queues() -> None:
    _, problems = parse(
        "defaults:\n  rate_limits: {max_dispatches_per_second: .nan}\nqueues: []\n"
    )
    assert [p.line for p in problems] == [5]


def test_a_file_that_is_not_utf8_is_reported_at_the_line_of_the_bad_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(
        b"version: 1\nproject: demo\nlocation: x\nqueues:\n  - name: caf\xe9\n"
    )
    (problem,) = check_files([str(path)])
    assert problem.line == 5
    assert "UTF-8" in problem.message


def test_an_endless_file_is_read_only_up_to_a_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"#" * (17 * 1024 * 1024))
    (problem,) = check_files([str(path)])
    assert "larger than 16 MB" in problem.message


def test_a_directory_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (problem,) = check_files([str(tmp_path)])
    assert "cannot read the file" in problem.message


def test_a_control_character_in_a_header_value_is_one_problem() -> None:
    _, problems = parse(
        Q + '    http_target:\n      header_overrides: {X-B: "a\\x1bb"}\n'
    )
    assert len(problems) == 1
    assert "control characters" in problems[0].message


def test_bare_scalars_get_a_hint_to_add_a_unit_or_quotes() -> None:
    _, problems = parse(
        Q + "    retry_config: {max_backoff: 5}\n"
        "    http_target:\n      header_overrides: {X-Id: 123}\n"
    )
    hints = sorted(p.hint or "" for p in problems)
    assert hints[0].startswith("durations need a unit: 5s")
    assert hints[1].startswith("quote it")
