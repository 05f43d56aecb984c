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
exactly N; a retry or an auto-create would show here).

Then `run_many`: the same N tasks as TaskSpecs in one `tm.run_many(...)`
call (BatchCreateTasks, 100 tasks a call, up to P calls at once, for each P
of --parallel) against the same sequential raw create_task loop; printed:
tasks per second of each, the speed-up raw loop time / run_many time (goal
>= 10), and the calls each side made (expected: N/100 BatchCreateTasks and
no CreateTask, and N CreateTask). For reference, a sequential loop of raw
batch_create_tasks calls (built as the samples build tasks) shows what
BatchCreateTasks itself costs on this emulator. --rtt-ms puts a proxy that adds that
round-trip time to every call in front of the emulator, for both sides.
Nothing asserts a timing; the exit status is 1 only if the calls were not
what the figures assume, or a task was not delivered.

    .venv/bin/python benchmarks/run_overhead.py [--tasks 1000] [--repeat 5]
        [--emulator process|thread] [--threads 1] [--parallel 4,1]
        [--rtt-ms 0] [--only run,run_many]
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
from latency_proxy import reachable
from queuekeeper import TaskManager, TaskSpec

PROJECT = "bench"
LOCATION = "us-central1"
QUEUE = "run-overhead"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}/queues/{QUEUE}"
BASE_URL = "https://api.example.com"
PATH = "/api/webhooks/send"
API_KEY = "bench-api-key"
GOAL = 0.9  # run() throughput / raw create_task throughput, at least
MANY_GOAL = 10.0  # raw loop time / run_many time, at least

RUN = "TaskManager.run()"
RAW = "raw create_task"
MANY = "TaskManager.run_many()"
RAW_BATCH = "raw batch_create_tasks"


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
    parser.add_argument(
        "--parallel",
        type=numbers,
        default=[4, 1],
        help="run_many's calls at once, one figure each (4 is its default)",
    )
    parser.add_argument(
        "--rtt-ms", type=float, default=0.0, help="round-trip time to add"
    )
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=["run", "run_many"],
        help="the benchmarks to run",
    )
    return parser.parse_args(argv)


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


@dataclass(frozen=True)
class Bench:
    emulator: EmulatorLike
    client: tasks_v2.CloudTasksClient  # raw, on the same emulator
    manager: TaskManager
    tasks: int
    threads: int
    parallel: list[int]


def raw_task(index: int) -> tasks_v2.Task:
    """One task the way Google's samples make it."""
    body = json.dumps({"user_id": index}).encode()
    request = tasks_v2.HttpRequest(
        url=BASE_URL + PATH,
        http_method=tasks_v2.HttpMethod.POST,
        headers={"Content-Type": "application/json", "X-API-Key": API_KEY},
        body=body,
    )
    return tasks_v2.Task(http_request=request)


def raw_create(client: tasks_v2.CloudTasksClient, index: int) -> None:
    client.create_task(parent=PARENT, task=raw_task(index))


def run_create(manager: TaskManager, index: int) -> None:
    manager.run(QUEUE, PATH, payload={"user_id": index})


def create_all(bench: Bench, create: Callable[[int], None]) -> None:
    """N creates, one after the other or from --threads threads."""
    if bench.threads == 1:
        for index in range(bench.tasks):
            create(index)
    else:
        with ThreadPoolExecutor(bench.threads) as pool:
            list(pool.map(create, range(bench.tasks)))


def timed(bench: Bench, work: Callable[[], object]) -> tuple[float, dict[str, int]]:
    """Seconds ``work`` took, and the calls the emulator saw meanwhile."""
    bench.emulator.reset_call_counts()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return seconds, bench.emulator.call_counts


def timed_round(bench: Bench, create: Callable[[int], None]) -> tuple[float, int]:
    """Seconds for N creates, and the CreateTask calls the emulator saw."""
    seconds, counts = timed(bench, lambda: create_all(bench, create))
    return seconds, counts.get("CreateTask", 0)


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


def run_many_all(bench: Bench, parallel: int) -> bool:
    """N tasks in one run_many; True if every one was delivered."""
    tasks = (
        TaskSpec(QUEUE, PATH, payload={"user_id": index})
        for index in range(bench.tasks)
    )
    return bench.manager.run_many(tasks, parallel=parallel).ok


def run_many_side(
    bench: Bench, parallel: int, delivered: list[bool]
) -> Callable[[], None]:
    return lambda: delivered.append(run_many_all(bench, parallel))


def raw_loop(bench: Bench) -> None:
    """The baseline: a sequential loop of raw create_task calls."""
    for index in range(bench.tasks):
        raw_create(bench.client, index)


def raw_batches(bench: Bench) -> None:
    """For reference: the same tasks in sequential raw BatchCreateTasks."""
    for start in range(0, bench.tasks, 100):
        requests = [
            tasks_v2.CreateTaskRequest(parent=PARENT, task=raw_task(index))
            for index in range(start, min(start + 100, bench.tasks))
        ]
        bench.client.batch_create_tasks(parent=PARENT, requests=requests).result()


def bench_run_many(bench: Bench, repeat: int) -> bool:
    """run_many against the raw loop; True if every task was delivered and
    each side made the calls expected."""
    delivered: list[bool] = []
    sides: dict[str, Callable[[], object]] = {
        many(p): run_many_side(bench, p, delivered) for p in bench.parallel
    }
    sides[RAW_BATCH] = lambda: raw_batches(bench)
    sides[RAW] = lambda: raw_loop(bench)
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    calls: dict[str, set[str]] = {name: set() for name in sides}
    for round_index in range(repeat + 1):
        order = list(sides) if round_index % 2 else list(reversed(sides))
        for name in order:
            took, counts = timed(bench, sides[name])
            calls[name].add(", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
            if round_index:  # round 0 warms up
                seconds[name].append(took)
    report_many(bench, seconds, calls)
    batches = -(-bench.tasks // 100)
    expected = {name: {f"BatchCreateTasks {batches}"} for name in sides}
    expected[RAW] = {f"CreateTask {bench.tasks}"}
    return all(delivered) and calls == expected


def many(parallel: int) -> str:
    return f"{MANY} parallel={parallel}"


def report_many(
    bench: Bench, seconds: dict[str, list[float]], calls: dict[str, set[str]]
) -> None:
    width = max(len(name) for name in seconds)
    print(f"  {'':{width}}  {'tasks/s median':>14}  {'best':>8}  calls per round")
    for name, values in seconds.items():
        rates = [bench.tasks / s for s in values]
        made = "; ".join(sorted(calls[name]))
        line = f"{statistics.median(rates):14.0f}  {max(rates):8.0f}  {made}"
        print(f"  {name:{width}}  {line}")
    loop = statistics.median(seconds[RAW])
    for parallel in bench.parallel:
        ratio = loop / statistics.median(seconds[many(parallel)])
        label = f"speed-up raw loop / run_many parallel={parallel}"
        print(f"  {label:<{width + 26}} {ratio:5.1f}  (goal >= {MANY_GOAL:g})")
    ratio = loop / statistics.median(seconds[RAW_BATCH])
    label = "for reference: raw loop / raw batches"
    print(f"  {label:<{width + 26}} {ratio:5.1f}")


BENCHES: dict[str, Callable[[Bench, int], bool]] = {
    "run": bench_run,
    "run_many": bench_run_many,
}


def print_header(args: argparse.Namespace) -> None:
    network = f"{args.rtt_ms:g} ms added RTT" if args.rtt_ms else "loopback"
    print(
        f"run_overhead: {args.tasks} tasks per round, median of {args.repeat} "
        f"rounds, {args.threads} thread(s), emulator in a {args.emulator} "
        f"(dispatch off), {network}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print_header(args)
    with (
        running_emulator(args.emulator, rest_port=None, dispatch=False) as emu,
        reachable(emu.address, args.rtt_ms) as address,
    ):
        client = rawclient.connect(address)
        client.create_queue(
            parent=f"projects/{PROJECT}/locations/{LOCATION}",
            queue={"name": PARENT},
        )
        manager = TaskManager(
            project=PROJECT,
            location=LOCATION,
            base_url=BASE_URL,
            auth_key=API_KEY,
            emulator_host=address,
            test_mode=False,
        )
        bench = Bench(emu, client, manager, args.tasks, args.threads, args.parallel)
        ok = True
        for name in args.only:
            measure = BENCHES[name]
            print(f"\n{name}:")
            ok = measure(bench, args.repeat) and ok
        manager.close()
        rawclient.close(client)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
