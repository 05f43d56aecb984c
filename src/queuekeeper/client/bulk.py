"""What ``run_many`` takes and gives: :class:`TaskSpec` in, :class:`Outcomes`
out, one outcome per task, in input order.

Every task is checked as ``run`` checks it before anything is sent; a task
that fails a check becomes its outcome (an ``InvalidTask``) and is not sent.
A task id given twice in one call makes the later tasks ``TaskAlreadyExists``
without sending them, as the service would answer them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, overload

from queuekeeper.client.options import (
    KEYWORDS,
    OAuthToken,
    OidcToken,
    TaskOption,
    TaskSettings,
    resolve,
)
from queuekeeper.client.request import TaskRequest, TaskResult
from queuekeeper.errors import QueuekeeperError, TaskAlreadyExists

Outcome = TaskResult | QueuekeeperError
# Builds the checked request for (queue, path, settings), as run() does.
RequestMaker = Callable[[str, str, TaskSettings], TaskRequest]


@dataclass(frozen=True)
class TaskSpec:
    """One task for ``run_many``: the arguments of one ``run`` call.

    ``options`` (a TaskOption, which ``+`` composes, or a sequence of them)
    apply first, then the keyword fields, as in ``run``. A mapping with
    these keys works too.
    """

    queue: str
    path: str
    options: Sequence[TaskOption] | TaskOption = ()
    payload: object = field(default=None, repr=False)
    method: str | None = None
    delay: timedelta | float | None = None
    schedule_time: datetime | None = None
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    name: str | None = None
    dispatch_deadline: timedelta | float | None = None
    oidc_token: OidcToken | str | None = None
    oauth_token: OAuthToken | str | None = None

    def settings(self, shared: Sequence[TaskOption]) -> TaskSettings:
        """The settings ``run`` would resolve, after the ``shared`` options."""
        options = self.options
        own = (options,) if isinstance(options, TaskOption) else tuple(options)
        keywords = {name: getattr(self, name) for name in KEYWORDS}
        return resolve((*shared, *own), keywords)


@dataclass(frozen=True)
class Item:
    """A checked task, ready to send; ``index`` is its place in the input."""

    index: int
    path: str
    request: TaskRequest


@dataclass(frozen=True)
class Prepared:
    items: tuple[Item, ...]
    refused: Mapping[int, QueuekeeperError]  # by index: never sent
    count: int


@dataclass(frozen=True, repr=False)
class Outcomes(Sequence[Outcome]):
    """One outcome per task, in input order: a ``TaskResult`` for a task
    Cloud Tasks accepted (or test mode recorded), else the error that task
    met: ``InvalidTask``, ``TaskAlreadyExists``, or any other
    :class:`~queuekeeper.errors.QueuekeeperError`."""

    items: tuple[Outcome, ...]

    @overload
    def __getitem__(self, index: int) -> Outcome: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | Sequence[Outcome]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        failed = len(self.failed)
        return f"<Outcomes: {len(self) - failed} delivered, {failed} failed>"

    @property
    def ok(self) -> bool:
        """Whether every task was accepted."""
        return all(isinstance(item, TaskResult) for item in self.items)

    @property
    def delivered(self) -> list[TaskResult]:
        """The accepted tasks' results, in input order."""
        return [item for item in self.items if isinstance(item, TaskResult)]

    @property
    def failed(self) -> dict[int, QueuekeeperError]:
        """The errors, by the index of their task in the input."""
        return {
            index: item
            for index, item in enumerate(self.items)
            if isinstance(item, QueuekeeperError)
        }


def prepare(
    tasks: Iterable[TaskSpec | Mapping[str, Any]],
    shared: Sequence[TaskOption],
    make_request: RequestMaker,
) -> Prepared:
    """Every task checked. A task that is neither a TaskSpec nor a mapping of
    its fields is a TypeError (a bug, as an unknown keyword to ``run`` is),
    raised before anything is sent."""
    specs = [_spec(task) for task in tasks]
    items: list[Item] = []
    refused: dict[int, QueuekeeperError] = {}
    names: set[str] = set()
    for index, spec in enumerate(specs):
        try:
            request = make_request(spec.queue, spec.path, spec.settings(shared))
        except QueuekeeperError as exc:
            refused[index] = exc
            continue
        name = request.task_name
        if name is not None and name in names:
            refused[index] = TaskAlreadyExists(name)
            continue
        if name is not None:
            names.add(name)
        items.append(Item(index, spec.path, request))
    return Prepared(tuple(items), refused, len(specs))


_FIELDS = frozenset(f.name for f in fields(TaskSpec))


def _spec(task: object) -> TaskSpec:
    if isinstance(task, TaskSpec):
        return task
    if isinstance(task, Mapping):
        unknown = sorted(set(task) - _FIELDS, key=str)
        if unknown:
            raise TypeError(f"a task has unknown fields: {', '.join(unknown)}")
        return TaskSpec(**task)
    raise TypeError(
        f"run_many takes TaskSpec values or mappings, not {type(task).__name__}"
    )
