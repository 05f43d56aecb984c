"""``queuekeeper plan``: show what apply would change."""

from __future__ import annotations

import click

from queuekeeper.apply import read_live
from queuekeeper.cli.common import (
    connect,
    describe_target,
    target_flags,
    target_options,
    verbose_option,
)
from queuekeeper.errors import EXIT_CHANGES_PENDING, EXIT_OK
from queuekeeper.manifest import load_manifest
from queuekeeper.plan import make_plan
from queuekeeper.planfile import save_plan
from queuekeeper.render import RENDERERS


@click.command("plan")
@click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    required=True,
    type=click.Path(dir_okay=False),
    help="Manifest file (repeatable).",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="How to print the plan (json and markdown are for CI comments).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Save the plan for `queuekeeper apply PLAN`.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when changes are pending (0 when none).",
)
@target_options
@verbose_option
def plan_command(
    files: tuple[str, ...],
    output: str,
    out: str | None,
    detailed_exitcode: bool,
    use_emulator: bool,
    retry_deadline: float,
) -> int:
    """Compare the manifest with the live queues."""
    manifest = load_manifest(files)
    with connect(use_emulator, retry_deadline) as api:
        plan = make_plan(manifest, read_live(api, manifest.scopes()))
    click.echo(RENDERERS[output](plan))
    if out:
        save_plan(plan, out, describe_target(use_emulator))
        again = f"queuekeeper apply {out}{target_flags(use_emulator)}"
        click.echo(f"Saved the plan to {out}; run `{again}`.", err=True)
    return EXIT_CHANGES_PENDING if detailed_exitcode and plan.has_changes else EXIT_OK
