"""Reading YAML into plain data plus the line of every key.

PyYAML's own constructors lose line numbers and silently keep the last of two
equal keys, so the document is composed into nodes and walked here: every
mapping key is checked for duplicates, every string is interpolated, and the
walk is bounded in nodes and depth so an alias bomb or a pathological nesting
costs milliseconds, not the machine. Nothing here raises on bad input: every
problem is recorded with its line.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from queuekeeper.errors import Problem
from queuekeeper.manifest.interpolate import (
    InterpolationError,
    has_reference,
    interpolate,
)

Path = tuple[str | int, ...]

# Enough for 10,000 queues of every field; far below what an alias bomb makes.
MAX_NODES = 500_000
# A manifest is six levels deep; anything far deeper is a mistake or an attack.
MAX_DEPTH = 64

STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
# Plain scalars holding `${...}`: their type is decided after interpolation.
INTERPOLATED_TAG = "tag:queuekeeper,2026:interpolated"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT: dict[str, list[tuple[str, Any]]] = yaml.SafeLoader.yaml_implicit_resolvers


def resolve_plain(value: str) -> str:
    """The tag YAML 1.1 gives an untagged plain scalar, as PyYAML's safe loader
    does, except that base-60 numbers (``1:30`` meaning 90) stay strings.

    PyYAML's own resolver also walks path resolvers, which the safe loader
    never has; skipping that halves the time of composing a large manifest.
    """
    for tag, pattern in _IMPLICIT.get(value[:1], ()):
        if pattern.match(value):
            return STR_TAG if tag in _NUMBER_TAGS and ":" in value else tag
    return STR_TAG


class _Loader(_BaseLoader):  # type: ignore[misc]
    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return INTERPOLATED_TAG if has_reference(value) else resolve_plain(value)
        return super().resolve(kind, value, implicit)


@dataclass
class Document:
    """What one file holds: plain data, key lines, and the problems found."""

    file: str
    data: Any = None
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Paths whose value could not be read: later checks skip them.
    tainted: set[Path] = field(default_factory=set)

    def line_of(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def problem(self, path: Path, message: str, hint: str | None = None) -> None:
        self.problems.append(
            Problem(self.file, self.line_of(path), dotted(path), message, hint)
        )


def dotted(path: Path) -> str:
    """``("queues", 2, "rate_limits")`` → ``queues[2].rate_limits``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


class TooLarge(Exception):
    pass


def load_document(file: str, text: str, environ: Mapping[str, str]) -> Document:
    """Parse ``text``; problems are recorded on the document, never raised."""
    # Parsing makes many small objects and no cycles: the cyclic collector's
    # passes only cost time here (half the load time of a large manifest).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_document(file, text, environ)
    finally:
        if collecting:
            gc.enable()


def _load_document(file: str, text: str, environ: Mapping[str, str]) -> Document:
    doc = Document(file)
    if _tab_problems(doc, text) or _empty(doc, text):
        return doc
    root = _compose(doc, text)
    if root is None:
        return doc
    try:
        doc.data = _Walker(doc, environ).walk(root, (), 0)
    except TooLarge:
        doc.data = None
        doc.problems.append(
            Problem(
                file,
                1,
                "",
                f"document expands to more than {MAX_NODES} nodes",
                "aliases that repeat aliases multiply; write the values out",
            )
        )
    if doc.data is None and not doc.problems:
        doc.problems.append(
            Problem(
                file,
                1,
                "",
                "the document is empty (null)",
                "a manifest needs version, project, location and queues",
            )
        )
    return doc


def _compose(doc: Document, text: str) -> yaml.Node | None:
    try:
        root: yaml.Node | None = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        doc.problems.append(
            Problem(doc.file, line, "", *_syntax_message(exc, text, line))
        )
        return None
    except (yaml.YAMLError, RecursionError) as exc:
        doc.problems.append(Problem(doc.file, 1, "", f"cannot read the YAML: {exc}"))
        return None
    if root is None:
        _empty(doc, "")
    return root


def _syntax_message(
    exc: yaml.MarkedYAMLError, text: str, line: int
) -> tuple[str, str | None]:
    problem = str(exc.problem or exc.context)
    if "another document" in problem:
        return (
            "a manifest is a single YAML document, but a second one starts here",
            "remove the '---' separator and what follows, or split the files",
        )
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if "${" in source:
        return (
            f"YAML syntax error: {problem}",
            "inside { } and [ ], quote values that hold ${...}, or use block style",
        )
    return f"YAML syntax error: {problem}", None


def _tab_problems(doc: Document, text: str) -> bool:
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            doc.problems.append(
                Problem(
                    doc.file,
                    number,
                    "",
                    "tab character in indentation",
                    "YAML indents with spaces only",
                )
            )
    return bool(doc.problems)


def _empty(doc: Document, text: str) -> bool:
    meaningful = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if meaningful:
        return False
    doc.problems.append(
        Problem(
            doc.file,
            1,
            "",
            "the file is empty",
            "a manifest needs version, project, location and queues",
        )
    )
    return True


def shown(value: Any) -> str:
    """A value as YAML would write it, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping {}"
    if isinstance(value, list):
        return "a list" if value else "an empty list []"
    return repr(value)


class _Walker:
    def __init__(self, doc: Document, environ: Mapping[str, str]) -> None:
        self.doc = doc
        self.environ = environ
        self.budget = MAX_NODES
        self.active: set[int] = set()
        self.constructor = yaml.SafeLoader("")

    def walk(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise TooLarge
        if depth > MAX_DEPTH:
            self._fail(path, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if id(node) in self.active:
            self._fail(path, "recursive alias: a value that contains itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth)
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.walk(item, (*path, i), depth + 1)
                    for i, item in enumerate(node.value)
                ]
            return self._scalar(node, path)
        finally:
            self.active.discard(id(node))

    def _fail(self, path: Path, message: str, hint: str | None = None) -> None:
        self.doc.problem(path, message, hint)
        self.doc.tainted.add(path)

    def _mapping(
        self, node: yaml.MappingNode, path: Path, depth: int
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            key = self._key(key_node, path)
            if key is None:
                continue
            child = (*path, key)
            if key in result:
                first = self.doc.lines[child]
                self.doc.problems.append(
                    Problem(
                        self.doc.file,
                        line,
                        dotted(child),
                        f"duplicate key {key!r} (first given on line {first})",
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            self.doc.lines[child] = line
            result[key] = self.walk(value_node, child, depth + 1)
        return result

    def _key(self, node: yaml.Node, path: Path) -> str | None:
        line = node.start_mark.line + 1
        self.doc.lines.setdefault(path, line)
        if node.tag == MERGE_TAG:
            self.doc.problems.append(
                Problem(
                    self.doc.file,
                    line,
                    dotted(path),
                    "merge keys (<<) are not supported",
                    "put settings shared by many queues under defaults:",
                )
            )
            return None
        key = self._scalar(node, path) if isinstance(node, yaml.ScalarNode) else node
        if not isinstance(key, str):
            kind = (
                "a list"
                if isinstance(node, yaml.SequenceNode)
                else ("a mapping" if isinstance(node, yaml.MappingNode) else shown(key))
            )
            self.doc.problems.append(
                Problem(
                    self.doc.file,
                    line,
                    dotted(path),
                    f"keys must be strings, not {kind}",
                )
            )
            return None
        return key

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        tag, value = node.tag, node.value
        if tag == STR_TAG:  # most scalars: no constructor needed
            return self._interpolated(value, path) if has_reference(value) else value
        if tag == INTERPOLATED_TAG:
            return self._typed(self._interpolated(value, path), node)
        return self._construct(node, path)

    def _construct(self, node: yaml.Node, path: Path) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            reason = getattr(exc, "problem", None) or str(exc)
            self._fail(path, f"cannot read {node.value!r} as {node.tag}: {reason}")
            return None

    def _interpolated(self, text: str, path: Path) -> str:
        try:
            return interpolate(text, self.environ)
        except InterpolationError as exc:
            self._fail(path, str(exc))
            return text

    def _typed(self, text: str, node: yaml.Node) -> Any:
        # An unquoted reference takes the type its substituted text would have
        # had, so `max_attempts: ${ATTEMPTS:-3}` is the number 3.
        tag = resolve_plain(text)
        if tag == STR_TAG:
            return text
        return self.constructor.construct_object(
            yaml.ScalarNode(tag, text, node.start_mark, node.end_mark), deep=True
        )
