"""The ``queuekeeper`` command: subcommands and the one place exit codes are set.

Exit codes: 0 success with nothing pending; 1 an error the user can fix;
2 only from ``plan --detailed-exitcode`` when changes are pending; 3 a crash.
"""

from __future__ import annotations

import logging
import sys
import traceback

import click

from queuekeeper import errors
from queuekeeper.cli.apply import apply_command
from queuekeeper.cli.emulator import emulator_command
from queuekeeper.cli.plan import plan_command
from queuekeeper.cli.validate import validate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="queuekeeper")
@click.option("-v", "--verbose", count=True, help="Log API calls (-v) and more (-vv).")
def cli(verbose: int) -> None:
    """Google Cloud Tasks queues as code."""
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(name)s: %(message)s")


cli.add_command(validate_command)
cli.add_command(plan_command)
cli.add_command(apply_command)
cli.add_command(emulator_command)


def _report(error: errors.QueuekeeperError) -> None:
    if isinstance(error, errors.ManifestError):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    click.secho(f"error: {error.message}", fg="red", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script exits with it)."""
    try:
        code = cli.main(args=argv, prog_name="queuekeeper", standalone_mode=False)
    except errors.QueuekeeperError as exc:
        _report(exc)
        return errors.EXIT_ERROR
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        return errors.EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return errors.EXIT_ERROR
    except Exception:  # a bug: say so plainly, with the trace to report
        traceback.print_exc()
        click.echo("queuekeeper crashed: this is a bug, please report it", err=True)
        return errors.EXIT_CRASH
    return int(code or 0)


def run() -> None:
    sys.exit(main())
