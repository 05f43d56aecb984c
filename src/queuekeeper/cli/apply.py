"""``queuekeeper apply``: make the live queues match a manifest or saved plan."""

from __future__ import annotations

import sys

import click

from queuekeeper.apply import (
    DEFAULT_PARALLELISM,
    Outcome,
    apply_plan,
    check_fresh,
    read_live,
)
from queuekeeper.cli.common import (
    connect,
    describe_target,
    target_options,
    verbose_option,
)
from queuekeeper.errors import (
    EXIT_ERROR,
    EXIT_OK,
    ApprovalError,
    PlanFileError,
    QueuekeeperError,
)
from queuekeeper.manifest import load_manifest
from queuekeeper.plan import Plan, make_plan
from queuekeeper.planfile import load_plan
from queuekeeper.render import plan_text, results_text


@click.command("apply")
@click.argument("plan_file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "-f",
    "--file",
    "files",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Manifest file (repeatable).",
)
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=DEFAULT_PARALLELISM,
    show_default=True,
    help="Queues changed at the same time.",
)
@target_options
@verbose_option
def apply_command(
    plan_file: str | None,
    files: tuple[str, ...],
    auto_approve: bool,
    parallelism: int,
    use_emulator: bool,
    retry_deadline: float,
) -> int:
    """Apply a manifest (-f FILE) or a saved PLAN_FILE."""
    if bool(plan_file) == bool(files):
        raise QueuekeeperError("give either -f MANIFEST or a saved PLAN_FILE")
    saved = _load_saved(plan_file, use_emulator) if plan_file else None
    manifest = load_manifest(files) if files else None
    with connect(use_emulator, retry_deadline) as api:
        if saved is not None:
            check_fresh(api, saved)
            plan = saved
        else:
            assert manifest is not None
            plan = make_plan(manifest, read_live(api, manifest.scopes()))
        click.echo(plan_text(plan))
        if not plan.has_changes:
            return EXIT_OK
        _approve(auto_approve)
        results = apply_plan(api, plan, parallelism=parallelism)
    click.echo(results_text(results))
    failed = any(r.outcome is not Outcome.DONE for r in results)
    return EXIT_ERROR if failed else EXIT_OK


def _load_saved(plan_file: str, use_emulator: bool) -> Plan:
    plan, target = load_plan(plan_file)
    here = describe_target(use_emulator)
    if target != here:
        raise PlanFileError(
            f"{plan_file} was made against {target}; this apply targets {here}",
            hint="apply it with the target options the plan was made with",
        )
    return plan


def _approve(auto_approve: bool) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise ApprovalError(
            "not applying: no terminal to ask for approval",
            hint="review the plan, then pass --auto-approve",
        )
    if not click.confirm("Apply these changes?", default=False):
        raise ApprovalError("apply cancelled")
