"""What TaskManager.run() costs over a raw create_task, on the same emulator.

Both sides enqueue the same task, N times in a row, onto one queue of an
in-memory emulator that keeps tasks without dispatching them: a POST to
https://api.example.com/api/webhooks/send with a small JSON body, its
Content-Type and an X-API-Key header. The raw side builds the request with
the official client's types as Google's samples do, serialising the JSON
itself; `run()` also checks every limit, joins the URL and logs a line (to
no handler, as in an application that has not configured logging). Rounds
alternate which side goes first; round 0 warms both up and is not timed.

Printed: tasks per second of each side (median of the rounds), the ratio
run / raw (goal >= 0.9), and the CreateTask calls each side made (expected:
exactly N; a retry or an auto-create would show here). Nothing asserts a
timing; the exit status is 1 only if the calls were not what the figures
assume.

    .venv/bin/python benchmarks/run_overhead.py [--tasks 1000] [--repeat 5]
        [--emulator process|thread] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from google.cloud import tasks_v2

import rawclient
from emulator_host import MODES, EmulatorLike, running_emulator
from queuekeeper import TaskManager

PROJECT = "bench"
LOCATION = "us-central1"
QUEUE = "run-overhead"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}/queues/{QUEUE}"
BASE_URL = "https://api.example.com"
PATH = "/api/webhooks/send"
API_KEY = "bench-api-key"
GOAL = 0.9  # run() throughput / raw create_task throughput, at least

RUN = "TaskManager.run()"
RAW = "raw create_task"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per round")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds")
    parser.add_argument(
        "--emulator",
        choices=MODES,
        default="process",
        help="run the emulator in a thread of this process or in a child process",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="callers sharing one client"
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Bench:
    emulator: EmulatorLike
    client: tasks_v2.CloudTasksClient  # raw, on the same emulator
    manager: TaskManager
    tasks: int
    threads: int


def raw_create(client: tasks_v2.CloudTasksClient, index: int) -> None:
    """One task the way Google's samples make it."""
    body = json.dumps({"user_id": index}).encode()
    request = tasks_v2.HttpRequest(
        url=BASE_URL + PATH,
        http_method=tasks_v2.HttpMethod.POST,
        headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
        body=body,
    )
    client.create_task(parent=PARENT, task=tasks_v2.Task(http_request=request))


def run_create(manager: TaskManager, index: int) -> None:
    manager.run(QUEUE, PATH, payload={"user_id": index})


def timed_round(bench: Bench, create: Callable[[int], None]) -> tuple[float, int]:
    """Seconds for N creates, and the CreateTask calls the emulator saw."""
    bench.emulator.reset_call_counts()
    started = time.perf_counter()
    if bench.threads == 1:
        for index in range(bench.tasks):
            create(index)
    else:
        with ThreadPoolExecutor(bench.threads) as pool:
            list(pool.map(create, range(bench.tasks)))
    seconds = time.perf_counter() - started
    return seconds, bench.emulator.call_counts.get("CreateTask", 0)


def bench_run(bench: Bench, repeat: int) -> bool:
    """run() against raw create_task; True if each made exactly N calls."""
    sides: dict[str, Callable[[int], None]] = {
        RUN: lambda i: run_create(bench.manager, i),
        RAW: lambda i: raw_create(bench.client, i),
    }
    rates: dict[str, list[float]] = {name: [] for name in sides}
    calls: dict[str, set[int]] = {name: set() for name in sides}
    for round_index in range(repeat + 1):
        order = list(sides) if round_index % 2 else list(reversed(sides))
        for name in order:
            seconds, made = timed_round(bench, sides[name])
            calls[name].add(made)
            if round_index:  # round 0 warms up
                rates[name].append(bench.tasks / seconds)
    report(rates, calls)
    return all(made == {bench.tasks} for made in calls.values())


def report(rates: dict[str, list[float]], calls: dict[str, set[int]]) -> None:
    width = max(len(name) for name in rates)
    print(f"  {'':{width}}  {'tasks/s median':>14}  {'best':>8}  CreateTask calls")
    for name, values in rates.items():
        made = ", ".join(str(n) for n in sorted(calls[name]))
        line = f"{statistics.median(values):14.0f}  {max(values):8.0f}  {made}"
        print(f"  {name:{width}}  {line}")
    ratio = statistics.median(rates[RUN]) / statistics.median(rates[RAW])
    print(
        f"  {'throughput ratio run / raw':<{width + 26}} {ratio:5.2f}  (goal >= {GOAL})"
    )


# --- run_many (BatchCreateTasks) ------------------------------------------
# TODO: bench_run_many belongs here once TaskManager.run_many exists (the
# bulk issue): the same tasks through one BatchCreateTasks per 100, against
# the same raw create_task loop, added to BENCHES below.

BENCHES: dict[str, Callable[[Bench, int], bool]] = {"run": bench_run}


def print_header(args: argparse.Namespace) -> None:
    print(
        f"run_overhead: {args.tasks} tasks per round, median of {args.repeat} "
        f"rounds, {args.threads} thread(s), emulator in a {args.emulator} "
        f"(dispatch off); Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print_header(args)
    with running_emulator(args.emulator, rest_port=None, dispatch=False) as emu:
        client = rawclient.connect(emu.address)
        client.create_queue(
            parent=f"projects/{PROJECT}/locations/{LOCATION}",
            queue={"name": PARENT},
        )
        manager = TaskManager(
            project=PROJECT,
            location=LOCATION,
            base_url=BASE_URL,
            auth_key=API_KEY,
            emulator_host=emu.address,
            test_mode=False,
        )
        bench = Bench(emu, client, manager, args.tasks, args.threads)
        ok = True
        for name, measure in BENCHES.items():
            print(f"\n{name}:")
            ok = measure(bench, args.repeat) and ok
        manager.close()
        rawclient.close(client)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
