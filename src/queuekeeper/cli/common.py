"""Options and plumbing that ``plan`` and ``apply`` share."""

from __future__ import annotations

import logging
import math
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from queuekeeper.errors import QueuekeeperError

if TYPE_CHECKING:
    from queuekeeper.cloudtasks import CloudTasks

EMULATOR_DB_ENV = "QUEUEKEEPER_EMULATOR_DB"
DEFAULT_EMULATOR_DB = ".queuekeeper/emulator.sqlite3"


def set_verbosity(ctx: click.Context, param: click.Parameter, count: int) -> None:
    """``-v`` logs every API call, ``-vv`` the planner too; to stderr."""
    if not count:
        return
    level = logging.INFO if count == 1 else logging.DEBUG
    logging.basicConfig(format="%(name)s: %(message)s")
    logger = logging.getLogger("queuekeeper")
    logger.setLevel(min(logger.getEffectiveLevel(), level))


def verbose_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-v",
        "--verbose",
        count=True,
        expose_value=False,
        is_eager=True,
        callback=set_verbosity,
        help="Log API calls (-v) and planning details (-vv) to stderr.",
    )(command)


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not math.isfinite(value):  # FloatRange lets NaN through
        raise click.BadParameter("must be a number of seconds")
    return value


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--emulator`` and ``--retry-deadline``: the same for every command."""
    command = click.option(
        "--retry-deadline",
        type=click.FloatRange(0, 3600),
        default=60.0,
        callback=_finite,
        show_default=True,
        help="Seconds to keep retrying UNAVAILABLE, DEADLINE_EXCEEDED and "
        "RESOURCE_EXHAUSTED answers of one call.",
    )(command)
    return click.option(
        "--emulator",
        "use_emulator",
        is_flag=True,
        help="Run against an embedded emulator (state in $QUEUEKEEPER_EMULATOR_DB, "
        f"else {DEFAULT_EMULATOR_DB}). Without it: $CLOUD_TASKS_EMULATOR_HOST, "
        "else Google Cloud with application default credentials.",
    )(command)


def describe_target(use_emulator: bool) -> str:
    """Which Cloud Tasks a command talks to, as recorded in saved plans."""
    if use_emulator:
        db = os.environ.get(EMULATOR_DB_ENV) or DEFAULT_EMULATOR_DB
        return f"embedded emulator at {Path(db).resolve()}"
    host = os.environ.get("CLOUD_TASKS_EMULATOR_HOST")
    if host:
        return f"emulator at {host}"
    return "Google Cloud"


def target_flags(use_emulator: bool) -> str:
    """The command-line flags that select the same target again."""
    return " --emulator" if use_emulator else ""


@contextmanager
def connect(use_emulator: bool, retry_deadline: float = 60.0) -> Iterator[CloudTasks]:
    """The API the command talks to, open for the ``with`` block."""
    # Imported here so `validate` never loads grpc or google-cloud-tasks.
    from queuekeeper.cloudtasks import CloudTasks, make_client

    if not use_emulator:
        api = CloudTasks(make_client(), retry_deadline=retry_deadline)
        try:
            yield api
        finally:
            api.close()
        return

    from queuekeeper.emulator import Emulator

    db = Path(os.environ.get(EMULATOR_DB_ENV) or DEFAULT_EMULATOR_DB)
    # Only the queue API is needed: no REST surface, and no dispatch of tasks
    # the database may hold while a plan or an apply runs.
    emulator = Emulator(db_path=db, rest_port=None, dispatch=False)
    try:
        emulator.start()
    except (OSError, RuntimeError, sqlite3.Error) as exc:
        raise QueuekeeperError(
            f"cannot open the emulator database {db}: {exc}",
            hint=f"point ${EMULATOR_DB_ENV} at a SQLite file that can be written",
        ) from exc
    api = CloudTasks(make_client(emulator.address), retry_deadline=retry_deadline)
    try:
        yield api
    finally:
        api.close()
        emulator.stop()
