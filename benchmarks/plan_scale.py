"""`plan` and `apply` at 1,000 queues, next to the raw client in the same run.

plan:  `queuekeeper plan -f FILE` run in-process against 1,000 live queues that
       match the manifest, versus a bare paged ListQueues of the same queues.
apply: `queuekeeper apply -f FILE --auto-approve` creating 1,000 new queues,
       versus a sequential loop of CreateQueue calls for the same queues.

Only figures and ratios are printed; nothing here asserts a timing. The exit
status is 1 only when a command failed or the setup is not what the figures
assume (a plan that is not empty, queues missing), because then the figures
measure the wrong thing.

    .venv/bin/python benchmarks/plan_scale.py [--queues N] [--repeat N]
        [--emulator thread|process] [--rtt-ms MS]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from google.cloud import tasks_v2

import rawclient
from emulator_host import MODES, EmulatorLike, running_emulator
from latency_proxy import reachable
from queuekeeper.apply import read_live
from queuekeeper.cli import main as cli_main
from queuekeeper.cloudtasks import EMULATOR_HOST_ENV, CloudTasks, make_client
from queuekeeper.manifest import load_manifest
from queuekeeper.plan import Plan, make_plan
from queuekeeper.render import plan_text
from workload import DEFAULT_QUEUES, write_manifest

PLAN_LOCATION = "us-central1"
PLAN_GOAL = 1.5  # plan wall time / raw list time, at most
APPLY_GOAL = 2.0  # raw sequential create time / apply time, at least

PLAN_CLI = "queuekeeper plan (CLI in-process)"
RAW_LIST_WARM = "raw list_queues, warm client"
RAW_LIST_NEW = "raw list_queues, new client"
APPLY_CLI = "queuekeeper apply (CLI in-process)"
RAW_CREATE = "raw create_queue x N, sequential"
LOAD_STAGE = "  library: load_manifest"
PLAN_LESS_LOAD = "  plan minus load_manifest (paired)"
APPLY_LESS_LOAD = "  apply minus load_manifest (paired)"

T = TypeVar("T")
Samples = dict[str, list[float]]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--queues", type=int, default=DEFAULT_QUEUES)
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed runs per figure (median)"
    )
    parser.add_argument(
        "--emulator",
        choices=MODES,
        default="process",
        help="run the emulator in a thread of this process or in a child process",
    )
    parser.add_argument(
        "--rtt-ms",
        type=float,
        default=0.0,
        help="add this round-trip time to every timed call, through a local proxy",
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Bench:
    """What every measurement needs: the emulator and how to reach it."""

    emulator: EmulatorLike
    address: str  # the emulator's, or the latency proxy's in front of it
    client: tasks_v2.CloudTasksClient  # a raw client on `address`
    tmp: Path
    queues: int
    repeat: int


def timed(call: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def run_cli(argv: list[str]) -> tuple[int, str]:
    """The real CLI in-process; its stdout captured rather than printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(argv)
    return code, out.getvalue()


def median(samples: Samples, name: str) -> float:
    return statistics.median(samples[name])


def print_samples(samples: Samples) -> None:
    width = max(len(name) for name in samples)
    print(f"  {'':{width}}  {'median ms':>10}  {'best ms':>9}")
    for name, values in samples.items():
        line = f"{statistics.median(values) * 1e3:10.1f}  {min(values) * 1e3:9.1f}"
        print(f"  {name:{width}}  {line}")


def print_ratio(label: str, value: float, goal: str) -> None:
    print(f"  {label:<52} {value:7.2f}   (goal {goal})")


# --- plan -----------------------------------------------------------------


def library_plan(path: Path, address: str) -> tuple[dict[str, float], Plan]:
    """The calls `plan` makes, timed one by one."""
    stages: dict[str, float] = {}
    stages["load_manifest"], manifest = timed(lambda: load_manifest([str(path)]))
    stages["connect"], api = timed(lambda: CloudTasks(make_client(address)))
    stages["list_queues (adapter)"], live = timed(
        lambda: read_live(api, manifest.scopes())
    )
    stages["make_plan"], plan = timed(lambda: make_plan(manifest, live))
    stages["plan_text"], _ = timed(lambda: plan_text(plan))
    api.close()
    return stages, plan


def describe_plan(plan: Plan) -> bool:
    """Print what the plan holds; True when it is empty, as the setup intends."""
    print(f"  plan: {len(plan.changes)} changes, {len(plan.notes)} notes")
    for change in plan.changes[:5]:
        fields = ", ".join(diff.path for diff in change.diffs)
        print(f"    {change.action.value} {change.key.name} {fields}".rstrip())
    for note in plan.notes[:5]:
        print(f"    note {note.kind.value} {note.key.name}")
    return not plan.changes and not plan.notes


def plan_samples(bench: Bench, path: Path) -> Samples:
    """Interleaved runs of `plan` and both baselines, so drift hits all alike."""
    argv = ["plan", "-f", str(path)]
    calls: dict[str, Callable[[], object]] = {
        PLAN_CLI: lambda: run_cli(argv),
        RAW_LIST_WARM: lambda: rawclient.list_all(bench.client, PLAN_LOCATION),
        RAW_LIST_NEW: lambda: rawclient.list_all_new_client(
            bench.address, PLAN_LOCATION
        ),
    }
    samples: Samples = {name: [] for name in calls}
    for _ in range(bench.repeat):
        for name, call in calls.items():
            samples[name].append(timed(call)[0])
        stages = library_plan(path, bench.address)[0]
        for stage, seconds in stages.items():
            samples.setdefault(f"  library: {stage}", []).append(seconds)
        # Paired within one round: a difference of medians would be noisier.
        samples.setdefault(PLAN_LESS_LOAD, []).append(
            samples[PLAN_CLI][-1] - stages["load_manifest"]
        )
    return samples


def plan_call_counts(emulator: EmulatorLike, path: Path) -> bool:
    """Run `plan` once and print the API calls it made; True if it succeeded."""
    emulator.reset_call_counts()
    code, out = run_cli(["plan", "-f", str(path)])
    counts = emulator.call_counts
    lists, gets = counts.get("ListQueues", 0), counts.get("GetQueue", 0)
    print(f"  one plan made ListQueues {lists}, GetQueue {gets} (goal 1 and 0)")
    print(f"  every call it made: {counts}")
    first = out.splitlines()[0] if out else ""
    print(f"  exit code {code}, output begins: {first}")
    return code == 0


def plan_ratios(samples: Samples) -> None:
    plan, rest = median(samples, PLAN_CLI), median(samples, PLAN_LESS_LOAD)
    for label, baseline in (("warm", RAW_LIST_WARM), ("new", RAW_LIST_NEW)):
        raw = median(samples, baseline)
        goal = f"<= {PLAN_GOAL}"
        print_ratio(f"plan / raw list ({label} client)", plan / raw, goal)
        print_ratio(
            f"(plan - manifest load) / raw list ({label} client)", rest / raw, goal
        )


def create_directly(bench: Bench, location: str) -> float:
    """Create the workload without the proxy: setup, not a measurement."""
    client = rawclient.connect(bench.emulator.address)
    seconds, _ = timed(lambda: rawclient.create_all(client, location, bench.queues))
    rawclient.close(client)
    return seconds


def bench_plan(bench: Bench) -> bool:
    print(f"\nplan: {bench.queues} live queues in {PLAN_LOCATION}, declared alike")
    setup = create_directly(bench, PLAN_LOCATION)
    print(f"  setup: {bench.queues} raw CreateQueue calls took {setup:.2f} s")
    path = write_manifest(bench.tmp / "plan.yaml", PLAN_LOCATION, bench.queues)

    # These first runs check the setup and also warm every path up.
    ok = describe_plan(library_plan(path, bench.address)[1])
    ok = plan_call_counts(bench.emulator, path) and ok
    rawclient.list_all(bench.client, PLAN_LOCATION)
    rawclient.list_all_new_client(bench.address, PLAN_LOCATION)

    samples = plan_samples(bench, path)
    print_samples(samples)
    plan_ratios(samples)
    return ok


# --- apply ----------------------------------------------------------------


def apply_round(bench: Bench, index: int) -> tuple[dict[str, float], str, str]:
    """Create the workload twice, with `apply` and with raw calls.

    Returns the times, the calls `apply` made and how it ended. Odd rounds
    run the raw loop first, so neither side always meets the larger store.
    """
    location = f"apply-{index}"
    path = write_manifest(bench.tmp / f"{location}.yaml", location, bench.queues)
    argv = ["apply", "-f", str(path), "--auto-approve"]
    times: dict[str, float] = {}

    def raw() -> None:
        times[RAW_CREATE] = timed(
            lambda: rawclient.create_all(bench.client, f"raw-{index}", bench.queues)
        )[0]

    if index % 2:
        raw()
    bench.emulator.reset_call_counts()
    times[APPLY_CLI], (code, out) = timed(lambda: run_cli(argv))
    counts = dict(sorted(bench.emulator.call_counts.items()))
    if not index % 2:
        raw()
    times[LOAD_STAGE] = timed(lambda: load_manifest([str(path)]))[0]
    times[APPLY_LESS_LOAD] = times[APPLY_CLI] - times[LOAD_STAGE]
    last = out.splitlines()[-1] if out else ""
    return times, str(counts), f"exit code {code}: {last}"


def apply_ratios(samples: Samples) -> None:
    apply, raw = median(samples, APPLY_CLI), median(samples, RAW_CREATE)
    rest = median(samples, APPLY_LESS_LOAD)
    goal = f">= {APPLY_GOAL}"
    print_ratio("speed-up: raw sequential creates / apply", raw / apply, goal)
    print_ratio("speed-up: raw sequential creates / (apply - load)", raw / rest, goal)


def same_queues(client: tasks_v2.CloudTasksClient, index: int) -> bool:
    """Print how the queues of `apply` and of the raw loop compare.

    False only if a queue is missing on one side. Fields that differ are
    printed, not counted as a failure: the work (one CreateQueue per queue)
    was the same, and the difference is worth reading, not hiding.
    """
    applied = rawclient.queues_by_name(client, f"apply-{index}")
    created = rawclient.queues_by_name(client, f"raw-{index}")
    differing: dict[str, int] = {}
    for name in created.keys() & applied.keys():
        for path in rawclient.differing_fields(applied[name], created[name]):
            differing[path] = differing.get(path, 0) + 1
    both = len(created.keys() & applied.keys())
    print(f"  queues both made: {both} ({len(applied)} by apply, {len(created)} raw)")
    for path, count in sorted(differing.items()):
        print(f"    differs from the raw loop's in {count} queues: {path}")
    return created.keys() == applied.keys()


def bench_apply(bench: Bench) -> bool:
    print(f"\napply: {bench.queues} new queues per run, a new location each time")
    samples: Samples = {
        name: [] for name in (APPLY_CLI, RAW_CREATE, LOAD_STAGE, APPLY_LESS_LOAD)
    }
    outcomes: set[str] = set()
    call_counts: set[str] = set()
    for index in range(bench.repeat + 1):
        times, counts, outcome = apply_round(bench, index)
        outcomes.add(outcome)
        call_counts.add(counts)
        if index == 0:
            continue  # the warm-up round: checked, not timed
        for name, seconds in times.items():
            samples[name].append(seconds)
    print(f"  apply result: {' | '.join(sorted(outcomes))}")
    print(f"  calls made by each apply: {' | '.join(sorted(call_counts))}")
    ok = same_queues(bench.client, bench.repeat)
    print_samples(samples)
    apply_ratios(samples)
    return ok and all(o.startswith("exit code 0") for o in outcomes)


def print_header(args: argparse.Namespace) -> None:
    network = f"{args.rtt_ms:g} ms added RTT" if args.rtt_ms else "loopback"
    print(
        f"plan_scale: {args.queues} queues, median of {args.repeat} runs, "
        f"emulator in a {args.emulator}, {network}; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print_header(args)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_emulator(args.emulator) as emulator,
        reachable(emulator.address, args.rtt_ms) as address,
    ):
        # `plan` and `apply` without --emulator read the address from here.
        os.environ[EMULATOR_HOST_ENV] = address
        client = rawclient.connect(address)
        bench = Bench(emulator, address, client, Path(tmp), args.queues, args.repeat)
        ok = bench_plan(bench)
        ok = bench_apply(bench) and ok
        rawclient.close(client)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
