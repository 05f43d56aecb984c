"""Reading YAML: lines, duplicates, tabs, empty files and alias bombs."""

from __future__ import annotations

import time

from queuekeeper.manifest.yamlload import MAX_NODES, load_document
from tests.unit.helpers import parse


def test_every_key_has_the_line_it_was_written_on() -> None:
    doc = load_document("f.yaml", "a: 1\nb:\n  c: 2\n", {})
    assert doc.lines[("a",)] == 1
    assert doc.lines[("b", "c")] == 3


def test_a_duplicate_key_is_reported_at_its_second_occurrence() -> None:
    doc = load_document("f.yaml", "a: 1\nb: 2\na: 3\n", {})
    assert [(p.line, "duplicate" in p.message) for p in doc.problems] == [(3, True)]
    assert "line 1" in doc.problems[0].message


def test_tabs_in_indentation_are_reported_on_every_line() -> None:
    doc = load_document("f.yaml", "a:\n\tb: 1\n\tc: 2\n", {})
    assert [p.line for p in doc.problems] == [2, 3]


def test_a_tab_inside_a_quoted_value_is_fine() -> None:
    doc = load_document("f.yaml", 'a: "x\ty"\n', {})
    assert doc.problems == []
    assert doc.data == {"a": "x\ty"}


def test_a_file_of_only_comments_is_empty() -> None:
    doc = load_document("f.yaml", "# nothing\n\n", {})
    assert "empty" in doc.problems[0].message


def test_a_second_document_is_a_syntax_error() -> None:
    doc = load_document("f.yaml", "a: 1\n---\nb: 2\n", {})
    assert doc.problems and doc.problems[0].line == 2


def test_an_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    started = time.process_time()
    doc = load_document("bomb.yaml", "\n".join(lines) + "\n", {})
    elapsed = time.process_time() - started
    assert any(str(MAX_NODES) in p.message for p in doc.problems)
    assert doc.data is None
    assert elapsed < 5, "expansion must be bounded"


def test_a_recursive_alias_is_refused() -> None:
    doc = load_document("f.yaml", "a: &x\n  b: *x\n", {})
    assert any("recursive" in p.message for p in doc.problems)


def test_a_quoted_reference_stays_a_string() -> None:
    specs, problems = parse(
        """
        queues:
          - name: q
            retry_config:
              max_attempts: "${N:-4}"
        """
    )
    assert [p.path for p in problems] == ["queues[0].retry_config.max_attempts"]
    assert specs == [] or "retry_config.max_attempts" not in specs[0].settings


def test_an_unquoted_reference_becomes_a_number() -> None:
    specs, problems = parse(
        """
        queues:
          - name: q
            retry_config:
              max_attempts: ${N:-4}
        """,
        {"N": "7"},
    )
    assert problems == []
    assert specs[0].settings["retry_config.max_attempts"] == 7
