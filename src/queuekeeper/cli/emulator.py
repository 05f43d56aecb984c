"""``queuekeeper emulator``: a local Cloud Tasks until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import click

from queuekeeper.errors import EXIT_OK


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8123, show_default=True)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="SQLite file for the state (default: in memory).",
)
def emulator_command(host: str, port: int, db: str | None) -> int:
    """Serve the Cloud Tasks v2 API locally."""
    from queuekeeper.emulator import Emulator

    emulator = Emulator(db_path=Path(db) if db else None, host=host, port=port)
    emulator.start()
    click.echo(f"Cloud Tasks emulator listening on {emulator.address} (gRPC)")
    click.echo(f"export CLOUD_TASKS_EMULATOR_HOST={emulator.address}")
    try:
        emulator.wait()
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        emulator.stop()
    return EXIT_OK
