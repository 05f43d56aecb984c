"""The ``queuekeeper`` command: subcommands and the one place exit codes are set.

Exit codes: 0 success with nothing pending; 1 an error the user can fix;
2 only from ``plan --detailed-exitcode`` when changes are pending; 3 a crash.
"""

from __future__ import annotations

import sys
import traceback

import click

from queuekeeper import errors
from queuekeeper.cli.apply import apply_command
from queuekeeper.cli.common import verbose_option
from queuekeeper.cli.emulator import emulator_command
from queuekeeper.cli.plan import plan_command
from queuekeeper.cli.validate import validate_command

EXIT_CODES = (
    "Exit codes: 0 success (for plan: nothing pending); 1 an error you can fix; "
    "2 only with plan --detailed-exitcode: changes pending; 3 a crash (a bug)."
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 88},
    epilog=EXIT_CODES,
)
@click.version_option(package_name="queuekeeper")
@verbose_option
def cli() -> None:
    """Google Cloud Tasks queues as code: validate, plan and apply a manifest."""


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
