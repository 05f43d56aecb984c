"""The emulator's throughput: CreateTask, dispatch, and memory per queued task.

create:   CreateTask calls through the real google-cloud-tasks client, from one
          thread and from eight, against the emulator (record-only, so no
          dispatch competes) and against a trivial gRPC server of the same
          service in the same run. Goal: emulator / trivial >= 0.8.
dispatch: tasks per second delivered to a local HTTP target by a queue with
          max_dispatches_per_second 500 and max_concurrent_dispatches 100
          (goal: the rate, 500/s), then by several such queues at once.
memory:   the emulator's resident memory, in a child process, holding
          100,000 tasks in a paused queue. Goal: under 300 MB.

Only figures and ratios are printed; nothing here asserts a timing. The exit
status is 1 only when the setup went wrong (calls or tasks missing, tasks
delivered twice), because then the figures measure the wrong thing.

    .venv/bin/python benchmarks/emulator_throughput.py [--tasks N] [--repeat N]
        [--threads N] [--client shared|per-thread] [--emulator thread|process]
        [--dispatch-tasks N] [--dispatch-queues N] [--memory-tasks N]
        [--memory-db memory|file|both] [--skip create,dispatch,memory]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.cloud import tasks_v2
from google.cloud.tasks_v2.services.cloud_tasks.transports import (
    CloudTasksGrpcTransport,
)

from emulator_host import MODES
from http_target import Arrivals, HttpTarget
from servers import EMULATOR, TRIVIAL, Hosted, hosted

LOCATION = "projects/bench/locations/us-central1"
CREATE_GOAL = 0.8  # emulator CreateTask rate / trivial server's, at least
RATE = 500.0  # max_dispatches_per_second of the dispatch queues (the API's cap)
CONCURRENCY = 100  # their max_concurrent_dispatches
BURST = 100  # the max_burst_size the emulator derives for 500/s (implied_burst)
MEMORY_GOAL_MB = 300.0
BATCH = 100  # tasks per BatchCreateTasks call: the API's maximum
ENQUEUE_THREADS = 4
WARM_UP_CALLS = 400  # in all, from every client thread, before any timing
BODY = b'{"job": "resize", "image": "gs://bench/in/0001.png", "width": 640}'
NOWHERE = "http://127.0.0.1:9/never-sent"  # tasks that are never dispatched
PARTS = ("create", "dispatch", "memory")

Client = tasks_v2.CloudTasksClient
Figures = tuple[float, float]  # tasks/s, server CPU µs per call
Samples = dict[str, list[Figures]]


def parts(text: str) -> set[str]:
    """The parts named by `--skip`, e.g. "dispatch,memory"."""
    named = set(filter(None, text.split(",")))
    if named - set(PARTS):
        raise argparse.ArgumentTypeError(f"parts are {', '.join(PARTS)}")
    return named


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add = parser.add_argument
    add("--tasks", type=int, default=2000, help="CreateTask calls per timed run")
    add("--repeat", type=int, default=5, help="timed runs per figure (median)")
    add("--threads", type=int, default=8, help="client threads of the parallel runs")
    add(
        "--client",
        choices=("shared", "per-thread"),
        default="shared",
        help="one client (one channel) for all threads, or one client per thread",
    )
    add(
        "--emulator",
        choices=MODES,
        default="process",
        help="run the servers in threads of this process or in child processes",
    )
    add("--dispatch-tasks", type=int, default=5000, help="tasks per dispatch run")
    add(
        "--dispatch-queues",
        type=int,
        default=4,
        help="queues of the second dispatch run, sharing its tasks (1: no 2nd run)",
    )
    add("--memory-tasks", type=int, default=100_000)
    add("--memory-db", choices=("memory", "file", "both"), default="both")
    add("--skip", type=parts, default="", help="comma-separated parts to skip")
    return parser.parse_args(argv)


def connect(address: str) -> Client:
    """A client on an insecure channel, as a developer points one at the emulator."""
    channel = grpc.insecure_channel(address)
    return Client(transport=CloudTasksGrpcTransport(channel=channel))


def close(client: Client) -> None:
    client.transport.close()  # type: ignore[no-untyped-call]


def http_task(url: str) -> tasks_v2.Task:
    return tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=url, body=BODY))


def create_queue(client: Client, name: str, *, paused: bool = False) -> str:
    """A queue at the dispatch limits; paused, it holds its tasks."""
    queue = tasks_v2.Queue(
        name=f"{LOCATION}/queues/{name}",
        rate_limits=tasks_v2.RateLimits(
            max_dispatches_per_second=RATE, max_concurrent_dispatches=CONCURRENCY
        ),
    )
    created = client.create_queue(parent=LOCATION, queue=queue)
    if paused:
        client.pause_queue(name=created.name)
    return str(created.name)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def print_figure(label: str, value: float, note: str) -> None:
    print(f"  {label:<50} {value:8.2f}   ({note})")


# --- create ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One server under test, with the client threads that call it."""

    label: str
    server: Hosted
    clients: list[Client]  # one per thread; the same client when shared
    queue: str


def call_in_threads(
    clients: list[Client], queue: str, task: tasks_v2.Task, n: int
) -> float:
    """`n` CreateTask calls split over one thread per client; seconds taken."""
    barrier = threading.Barrier(len(clients) + 1)

    def work(client: Client, calls: int) -> None:
        barrier.wait()
        for _ in range(calls):
            client.create_task(parent=queue, task=task)

    shares = [n // len(clients) + (i < n % len(clients)) for i in range(len(clients))]
    threads = [
        threading.Thread(target=work, args=(client, share))
        for client, share in zip(clients, shares, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def make_target(label: str, server: Hosted, args: argparse.Namespace) -> Target:
    count = args.threads if args.client == "per-thread" else 1
    clients = [connect(server.address) for _ in range(count)]
    queue = f"{LOCATION}/queues/create"
    if label == EMULATOR:
        queue = create_queue(clients[0], "create")
    return Target(label, server, clients * (args.threads // count), queue)


def timed_run(target: Target, threads: int, task: tasks_v2.Task, n: int) -> Figures:
    """One timed run: tasks/s, and the server's CPU time per call in µs."""
    cpu = cpu_seconds(target.server.pid)
    seconds = call_in_threads(target.clients[:threads], target.queue, task, n)
    return n / seconds, 1e6 * (cpu_seconds(target.server.pid) - cpu) / n


def create_rounds(targets: list[Target], args: argparse.Namespace) -> Samples:
    """Interleaved timed runs, so drift hits both servers alike."""
    task = http_task(NOWHERE)
    for target in targets:
        call_in_threads(target.clients, target.queue, task, WARM_UP_CALLS)
    samples: Samples = {}
    for index in range(args.repeat):
        order = targets if index % 2 == 0 else targets[::-1]
        for threads in (1, args.threads):
            for target in order:
                figures = timed_run(target, threads, task, args.tasks)
                key = f"{target.label}, {threads} thread(s)"
                samples.setdefault(key, []).append(figures)
    return samples


def print_samples(samples: Samples, server_cpu: bool) -> None:
    """Median and best rate; the server's CPU per call when it has a process."""
    width = max(len(name) for name in samples)
    cpu = f"  {'server CPU µs/call':>18}" if server_cpu else ""
    print(f"  {'':{width}}  {'median tasks/s':>14}  {'best':>6}{cpu}")
    for name, runs in sorted(samples.items()):
        rates = [rate for rate, _ in runs]
        line = f"{statistics.median(rates):14.0f}  {max(rates):6.0f}"
        if server_cpu:
            line += f"  {statistics.median(us for _, us in runs):18.0f}"
        print(f"  {name:{width}}  {line}")


def print_create_ratios(samples: Samples, threads: int) -> None:
    def rate(label: str) -> float:
        return statistics.median(r for r, _ in samples[f"{label}, {threads} thread(s)"])

    ratio = rate(EMULATOR) / rate(TRIVIAL)
    label = f"emulator / trivial server, {threads} thread(s)"
    print_figure(label, ratio, f"goal >= {CREATE_GOAL}")


def bench_create(args: argparse.Namespace) -> bool:
    print(
        f"\ncreate: {args.tasks} CreateTask calls per run, 1 and {args.threads} "
        f"threads, {args.client} client; emulator record-only (dispatch=False)"
    )
    with (
        hosted(EMULATOR, args.emulator, dispatch=False) as emulator,
        hosted(TRIVIAL, args.emulator) as trivial,
    ):
        targets = [
            make_target(EMULATOR, emulator, args),
            make_target(TRIVIAL, trivial, args),
        ]
        samples = create_rounds(targets, args)
        ok = calls_received(targets, WARM_UP_CALLS + 2 * args.repeat * args.tasks)
    print_samples(samples, server_cpu=args.emulator == "process")
    for threads in (1, args.threads):
        print_create_ratios(samples, threads)
    return ok


def calls_received(targets: list[Target], expected: int) -> bool:
    """Print the CreateTask calls each server counted; True if all arrived."""
    ok = True
    for target in targets:
        calls = target.server.counts().get("CreateTask", 0)
        print(f"  {target.label} received {calls} CreateTask (expected {expected})")
        ok = ok and calls == expected
        for client in set(target.clients):
            close(client)
    return ok


# --- enqueueing, for dispatch and memory -----------------------------------


def enqueue(client: Client, queue: str, url: str, count: int) -> float:
    """Create `count` tasks with BatchCreateTasks from several threads; tasks/s."""
    requests = [tasks_v2.CreateTaskRequest(task=http_task(url))] * BATCH
    sizes = [min(BATCH, count - start) for start in range(0, count, BATCH)]

    def batch(size: int) -> int:
        operation = client.batch_create_tasks(
            parent=queue, requests=requests[:size], timeout=120
        )
        # The emulator answers a finished operation: result() does not poll.
        response = operation.result()  # type: ignore[no-untyped-call]
        return len(response.tasks)

    start = time.perf_counter()
    with ThreadPoolExecutor(ENQUEUE_THREADS) as pool:
        created = sum(pool.map(batch, sizes))
    seconds = time.perf_counter() - start
    if created != count:
        raise RuntimeError(f"asked for {count} tasks, the emulator created {created}")
    return count / seconds


# --- dispatch ---------------------------------------------------------------


def paused_queues(client: Client, queues: int, tasks: int, url: str) -> list[str]:
    """`queues` new paused queues sharing `tasks` tasks that go to `url`."""
    names = [
        create_queue(client, f"dispatch-{queues}-{i}", paused=True)
        for i in range(queues)
    ]
    shares = [tasks // queues + (i < tasks % queues) for i in range(queues)]
    for name, share in zip(names, shares, strict=True):
        enqueue(client, name, url, share)
    return names


def dispatch_run(client: Client, server: Hosted, queues: int, tasks: int) -> bool:
    """Enqueue into paused queues, resume them, time the arrivals."""
    print(f"\n  {queues} queue(s), {tasks} tasks in all, enqueued paused")
    with HttpTarget() as target:
        names = paused_queues(client, queues, tasks, target.url)
        cpu_before = cpu_seconds(server.pid), cpu_seconds(target.pid)
        resumed = time.monotonic()
        for name in names:
            client.resume_queue(name=name)
        target.wait_for(tasks, timeout=tasks / RATE + 60)
        arrivals = target.arrivals()
        cpu = cpu_seconds(server.pid) - cpu_before[0]
        target_cpu = cpu_seconds(target.pid) - cpu_before[1]

    print_arrivals(arrivals, resumed, queues)
    print(f"    CPU seconds used: emulator {cpu:.1f}, target {target_cpu:.1f}")
    if server.pid == os.getpid():
        print("    (the emulator runs in this process: its CPU includes the client's)")
    print(
        f"    delivered {len(arrivals.times)} requests for {arrivals.tasks} tasks, "
        f"at most {arrivals.most_in_flight} at once"
    )
    return len(arrivals.times) == tasks == arrivals.tasks


def print_arrivals(arrivals: Arrivals, resumed: float, queues: int) -> None:
    times = arrivals.times
    if len(times) < 4:
        print("    fewer than four tasks arrived: no rate")
        return
    half = len(times) // 2
    spans = {
        "resume to last arrival": len(times) / (times[-1] - resumed),
        "first to last arrival": (len(times) - 1) / (times[-1] - times[0]),
        "second half of the arrivals": (len(times) - 1 - half)
        / (times[-1] - times[half]),
    }
    cap = f"the rate caps it at {RATE * queues:.0f}"
    for label, rate in spans.items():
        print_figure(f"tasks/s, {label}", rate, cap)
    # Each queue starts with a full bucket: BURST tasks at once, then the rate.
    ideal = len(times) / max(len(times) - queues * BURST, 1) * RATE * queues
    print(f"    expected resume to last: {ideal:.0f} (a burst of {BURST} per queue)")
    print(f"    first arrival {1e3 * (times[0] - resumed):.0f} ms after the resume")


def bench_dispatch(args: argparse.Namespace) -> bool:
    print(
        f"\ndispatch: queues at {RATE:.0f}/s and {CONCURRENCY} concurrent dispatches, "
        "to a local HTTP target in a child process"
    )
    with hosted(EMULATOR, args.emulator) as server:
        client = connect(server.address)
        ok = dispatch_run(client, server, 1, args.dispatch_tasks)
        if args.dispatch_queues > 1:
            runs = args.dispatch_queues
            ok = dispatch_run(client, server, runs, args.dispatch_tasks) and ok
        close(client)
    return ok


# --- memory ---------------------------------------------------------------


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (resident at peak) of a process, in MB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024  # the kernel writes kB
    return found


def memory_run(args: argparse.Namespace, db_path: Path | None) -> None:
    where = "an in-memory DB" if db_path is None else "a SQLite file"
    print(f"\n  {where}")
    with hosted(EMULATOR, "process", db_path=db_path) as server:
        client = connect(server.address)
        queue = create_queue(client, "memory", paused=True)
        idle = memory_mb(server.pid)
        rate = enqueue(client, queue, NOWHERE, args.memory_tasks)
        held = memory_mb(server.pid)
        close(client)
    print(f"    enqueued {args.memory_tasks} tasks at {rate:.0f} tasks/s")
    print(f"    resident before: {idle['VmRSS']:.1f} MB")
    grown = 1024 * 1024 * (held["VmRSS"] - idle["VmRSS"]) / args.memory_tasks
    print(f"    growth per task: {grown:.0f} bytes")
    if db_path is not None:
        size = sum(path.stat().st_size for path in db_path.parent.iterdir())
        print(f"    database files: {size / 1024 / 1024:.1f} MB")
    goal = f"goal < {MEMORY_GOAL_MB:.0f}"
    print_figure("resident holding them, MB (VmRSS)", held["VmRSS"], goal)
    print_figure("peak resident, MB (VmHWM)", held["VmHWM"], goal)


def bench_memory(args: argparse.Namespace) -> bool:
    print(
        f"\nmemory: {args.memory_tasks} tasks in a paused queue, emulator in a "
        f"child process (dispatch on), BatchCreateTasks of {BATCH} "
        f"from {ENQUEUE_THREADS} threads"
    )
    if args.memory_db in ("memory", "both"):
        memory_run(args, None)
    if args.memory_db in ("file", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            memory_run(args, Path(tmp) / "emulator.db")
    return True  # enqueue() raises if a task is missing


def print_header(args: argparse.Namespace) -> None:
    print(
        f"emulator_throughput: servers in a {args.emulator}, median of "
        f"{args.repeat} runs; Python {platform.python_version()}, "
        f"grpcio {grpc.__version__}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print_header(args)
    steps: dict[str, Callable[[argparse.Namespace], bool]] = {
        "create": bench_create,
        "dispatch": bench_dispatch,
        "memory": bench_memory,
    }
    ok = True
    for name, step in steps.items():
        if name not in args.skip:
            ok = step(args) and ok
    # Other work on the machine shows here: the figures assume it was quiet.
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
