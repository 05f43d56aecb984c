"""`queuekeeper validate` against `check-jsonschema` on the same manifest.

Both run as subprocesses, as a pre-commit hook runs them, so interpreter
start-up and imports count: that is what a developer waits for. Wall time
and the children's CPU time are both measured; the median of several
interleaved runs is printed, with the ratio queuekeeper / check-jsonschema.

The script is also a check: it exits 1 if `queuekeeper validate` imports
grpc or google.cloud (the reason `validate` can start fast), or if either
tool rejects the generated manifest.

    .venv/bin/python benchmarks/validate_speed.py [--queues N] [--repeat N]
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workload import DEFAULT_QUEUES, write_manifest

BIN = Path(sys.executable).parent
SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "queues.schema.json"
QUEUEKEEPER = "queuekeeper validate"
CHECK_JSONSCHEMA = "check-jsonschema"
GOAL = 1.0  # queuekeeper / check-jsonschema, at most
FORBIDDEN = ("grpc", "google.cloud")


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--queues", type=int, default=DEFAULT_QUEUES)
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed runs per command (median)"
    )
    return parser.parse_args(argv)


def commands(manifest: Path) -> dict[str, list[str]]:
    return {
        QUEUEKEEPER: [str(BIN / "queuekeeper"), "validate", str(manifest)],
        CHECK_JSONSCHEMA: [
            str(BIN / "check-jsonschema"),
            "--schemafile",
            str(SCHEMA),
            str(manifest),
        ],
    }


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str]) -> Run:
    """One run; a rejected manifest stops the benchmark, as it measures nothing."""
    cpu_before, start = child_cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - start, child_cpu() - cpu_before
    if done.returncode != 0:
        sys.exit(f"{argv[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return Run(wall, cpu)


def measure(manifest: Path, repeat: int) -> dict[str, list[Run]]:
    """Interleaved runs of both tools; the first of each warms the caches."""
    argvs = commands(manifest)
    for argv in argvs.values():
        run_once(argv)
    runs: dict[str, list[Run]] = {name: [] for name in argvs}
    for _ in range(repeat):
        for name, argv in argvs.items():
            runs[name].append(run_once(argv))
    return runs


def report(title: str, runs: dict[str, list[Run]]) -> None:
    print(f"\n{title}")
    print(f"  {'':22}{'wall ms':>10}{'CPU ms':>10}   (medians)")
    wall = {name: statistics.median(r.wall for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in rs) for name, rs in runs.items()}
    for name in runs:
        print(f"  {name:22}{wall[name] * 1e3:10.1f}{cpu[name] * 1e3:10.1f}")
    for label, figures in (("wall", wall), ("CPU", cpu)):
        ratio = figures[QUEUEKEEPER] / figures[CHECK_JSONSCHEMA]
        print(
            f"  queuekeeper / check-jsonschema, {label:4}: {ratio:5.2f}"
            f"   (goal <= {GOAL})"
        )


def import_lines(manifest: Path) -> list[tuple[int, int, str]]:
    """(depth, cumulative microseconds, module) for every import `validate` made."""
    code = (
        "import sys; from queuekeeper.cli import main; "
        f"sys.exit(main(['validate', {str(manifest)!r}]))"
    )
    argv = [sys.executable, "-X", "importtime", "-c", code]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"validate failed under -X importtime:\n{done.stderr[-2000:]}")
    found = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or not parts[1].strip().isdigit():
            continue  # the header line, or a line of the command's own output
        name = parts[2][1:]  # one space after the bar, then two per level
        depth = (len(name) - len(name.lstrip())) // 2
        found.append((depth, int(parts[1]), name.strip()))
    return found


def is_forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f"{f}.") for f in FORBIDDEN)


def check_imports(manifest: Path) -> bool:
    """Print what `validate` imports; True if neither grpc nor google.cloud."""
    lines = import_lines(manifest)
    bad = sorted({name for _, _, name in lines if is_forbidden(name)})
    print(f"\nimports of `queuekeeper validate`: {len(lines)} modules")
    # Dotless names are packages; their cumulative time includes what they pull.
    packages = [(t, n) for _, t, n in lines if "." not in n and n != "queuekeeper"]
    listed = ", ".join(
        f"{name} {micros / 1e3:.0f} ms" for micros, name in sorted(packages)[-6:]
    )
    total = sum(t for depth, t, _ in lines if depth == 0)
    print(f"  import time {total / 1e3:.0f} ms; slowest packages: {listed}")
    if bad:
        print(f"  FAIL: imports {', '.join(bad[:10])} ({len(bad)} modules)")
    else:
        print("  ok: no grpc and no google.cloud module imported")
    return not bad


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"validate_speed: median of {args.repeat} runs per command; "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        big = write_manifest(Path(tmp) / "big.yaml", "us-central1", args.queues)
        # A one-queue file separates start-up cost from per-queue cost.
        small = write_manifest(Path(tmp) / "small.yaml", "us-central1", 1)
        lines = len(big.read_text(encoding="utf-8").splitlines())
        report(f"{args.queues} queues ({lines} lines)", measure(big, args.repeat))
        report("1 queue (start-up cost)", measure(small, args.repeat))
        ok = check_imports(big)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
