"""``queuekeeper emulator``: a local Cloud Tasks until Ctrl-C."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import click

from queuekeeper.cli.common import verbose_option
from queuekeeper.errors import EXIT_OK, QueuekeeperError


@click.command("emulator")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (loopback unless you mean to share it).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8123,
    show_default=True,
    help="gRPC port (0: any free port).",
)
@click.option(
    "--rest-port",
    type=click.IntRange(0, 65535),
    default=8124,
    show_default=True,
    help="REST/JSON port for gcloud (0: any free port).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="SQLite file for the state (default: in memory).",
)
@click.option(
    "--no-dispatch",
    is_flag=True,
    help="Keep tasks without sending them (inspect them with list/get).",
)
@click.option(
    "--queue-tombstone",
    type=click.FloatRange(0),
    default=7 * 24 * 3600.0,
    show_default=True,
    help="Seconds a deleted queue's name stays unusable, as in Cloud Tasks.",
)
@verbose_option
def emulator_command(
    host: str,
    port: int,
    rest_port: int,
    db: str | None,
    no_dispatch: bool,
    queue_tombstone: float,
) -> int:
    """Serve the Cloud Tasks v2 API locally, over gRPC and REST.

    Tasks are sent to their URLs with the queue's rate, concurrency and retry
    settings; OIDC tokens verify against the keys at /oauth2/v3/certs on the
    REST port.
    """
    from queuekeeper.emulator import Emulator

    emulator = Emulator(
        db_path=Path(db) if db else None,
        host=host,
        port=port,
        rest_port=rest_port,
        dispatch=not no_dispatch,
        queue_tombstone=timedelta(seconds=queue_tombstone),
    )
    try:
        emulator.start()
    except (RuntimeError, OSError, sqlite3.Error) as exc:
        raise QueuekeeperError(
            f"cannot start the emulator (gRPC port {port}, REST port "
            f"{rest_port}): {exc}",
            hint="choose a free --port and --rest-port (0: any free port), and "
            "a --db that is a writable SQLite file",
        ) from exc
    for line in _banner(emulator.address, emulator.rest_address):
        click.echo(line)
    try:
        emulator.wait()
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        emulator.stop()
    return EXIT_OK


def _banner(grpc_address: str, rest_address: str) -> list[str]:
    return [
        f"Cloud Tasks emulator: gRPC on {grpc_address}, REST on http://{rest_address}/",
        "Point clients at it with:",
        f"export CLOUD_TASKS_EMULATOR_HOST={grpc_address}",
        f"export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDTASKS=http://{rest_address}/",
        "export CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true",
    ]
