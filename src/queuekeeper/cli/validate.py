"""``queuekeeper validate``: offline checks of manifest files."""

from __future__ import annotations

import os

import click

from queuekeeper.cli.common import verbose_option
from queuekeeper.errors import EXIT_ERROR, EXIT_OK
from queuekeeper.manifest import check_files
from queuekeeper.render import problems_text


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@verbose_option
def validate_command(files: tuple[str, ...]) -> int:
    """Check manifest FILES offline, reporting every problem at file:line."""
    problems = check_files(files)
    if problems:
        click.echo(problems_text(problems), err=True)
        noun = "problem" if len(problems) == 1 else "problems"
        click.secho(f"{len(problems)} {noun} found", fg="red", err=True)
        return EXIT_ERROR
    count = len({os.path.realpath(f) for f in files})
    click.echo(f"{count} manifest{'s' if count != 1 else ''} valid")
    return EXIT_OK
