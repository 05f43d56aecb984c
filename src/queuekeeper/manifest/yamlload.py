"""Reading YAML into plain data plus the line of every key.

PyYAML's own constructors lose line numbers and silently keep the last of two
equal keys, so the document is composed into nodes and walked here: every
mapping key is checked for duplicates, every string is interpolated, and the
walk is bounded so an alias bomb costs a few milliseconds, not the machine.
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

STR_TAG = "tag:yaml.org,2002:str"
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT: dict[str, list[tuple[str, Any]]] = yaml.SafeLoader.yaml_implicit_resolvers


def resolve_plain(value: str) -> str:
    """The tag YAML 1.1 gives an untagged plain scalar (as PyYAML's safe loader).

    PyYAML's own resolver also walks path resolvers, which the safe loader
    never has; skipping that halves the time of composing a large manifest.
    """
    for tag, pattern in _IMPLICIT.get(value[:1], ()):
        if pattern.match(value):
            return tag
    return STR_TAG


class _Loader(_BaseLoader):  # type: ignore[misc]
    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return resolve_plain(value)
        return super().resolve(kind, value, implicit)


@dataclass
class Document:
    """What one file holds: plain data, key lines, and the problems found."""

    file: str
    data: Any = None
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # Paths whose value could not be interpolated: later checks skip them.
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
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        message = f"YAML syntax error: {exc.problem or exc.context}"
        doc.problems.append(Problem(file, line, "", message))
        return doc
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(file, 1, "", f"YAML error: {exc}"))
        return doc
    if root is None:
        _empty(doc, "")
        return doc
    try:
        doc.data = _Walker(doc, environ).walk(root, ())
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
    return doc


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


class _Walker:
    def __init__(self, doc: Document, environ: Mapping[str, str]) -> None:
        self.doc = doc
        self.environ = environ
        self.budget = MAX_NODES
        self.active: set[int] = set()
        self.constructor = yaml.SafeLoader("")

    def walk(self, node: yaml.Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise TooLarge
        if id(node) in self.active:
            self.doc.problem(path, "recursive alias")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.walk(item, (*path, i)) for i, item in enumerate(node.value)
                ]
            return self._scalar(node, path)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = (
                self._scalar(key_node, path)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                self.doc.problems.append(
                    Problem(
                        self.doc.file,
                        line,
                        dotted(path),
                        f"keys must be strings, not {key_node.value!r}",
                    )
                )
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
            result[key] = self.walk(value_node, child)
        return result

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        self.doc.lines.setdefault(path, node.start_mark.line + 1)
        if node.tag == STR_TAG:  # most scalars: no constructor needed
            value = node.value
            return self._interpolated(node, path) if has_reference(value) else value
        return self.constructor.construct_object(node, deep=True)

    def _interpolated(self, node: yaml.Node, path: Path) -> Any:
        try:
            text = interpolate(node.value, self.environ)
        except InterpolationError as exc:
            self.doc.problem(path, str(exc))
            self.doc.tainted.add(path)
            return node.value
        # Quoted scalars stay strings. The plain style is None in PyYAML's
        # Python parser and "" in its C parser.
        if getattr(node, "style", None):
            return text
        # A plain scalar takes the type its substituted text would have had,
        # so `max_attempts: ${ATTEMPTS:-3}` is the number 3.
        tag = resolve_plain(text)
        if tag == STR_TAG:
            return text
        return self.constructor.construct_object(
            yaml.ScalarNode(tag, text, node.start_mark, node.end_mark), deep=True
        )
