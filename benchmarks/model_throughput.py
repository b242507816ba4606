"""Simulations per hour when every model call waits on the network, against the latency ideal.

Starts the tests' loopback OpenAI-compatible stub with a fixed latency per call (default 200 ms)
and runs, through pytest in a subprocess, the built-in litellm agent against the stub's simulated
customer (``--user-model``) on copies of a mini task (tests/mini, order_status: six model calls a
simulation, one after another — the customer opens, the agent asks for the order, the customer
gives it, the agent looks it up and answers, the customer thanks it). Two shapes:

- 33 tasks x 1 trial (``--repeat=1``, the most common run: only trials of *different* tasks can
  overlap), and
- 4 tasks x 8 trials,

for ``--ecom-concurrency`` 1, 8, 32 and 64, with 1 and 2 xdist workers.

The ideal is what the latency alone allows: a process with ``n`` simulations and ``P =
min(concurrency, n)`` in flight needs ``ceil(n / P)`` rounds of ``calls x latency``. Figures are per
process (a run's simulations per hour divided by its workers). The time counted is the span during
which the stub was being asked: from the first request's arrival to the last one's answer. Process
start-up — the interpreter, collection, xdist's workers, litellm's import (seconds, and very
variable on a loaded machine) — is thereby left out, so the figures are the steady-state rates.
Targets: >= 0.8 of the ideal at concurrency 32 in one process, >= 0.6 at 64.

The machine's other load shows in these figures: the stub, litellm's CPU per call (see
benchmarks/litellm_overhead.py) and pytest share the cores, and on a machine shared with other
work the wall-clock ratio falls with the load. So the CPU the run itself used is shown too (pytest
and its workers, not the stub; less the CPU of a run of one simulation per worker, i.e. start-up): ``CPU/sim``,
and ``cpu-bound`` — the ratio to the ideal that CPU alone would allow a process with a core of its
own, ``min(1, (3600 / CPU per sim) / ideal)``.

Usage: python benchmarks/model_throughput.py [--latency 0.2] [--quick] [--rounds 1] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from openai_stub import OpenAIStub  # noqa: E402  (the tests' stub, a sibling folder)

SHAPES = ((33, 1), (4, 8))  # (tasks, trials each)
CONCURRENCY = (1, 8, 32, 64)
WORKERS = (1, 2)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished subprocesses and theirs (xdist workers)
    return usage.ru_utime + usage.ru_stime


def pytest_seconds(project: Path, args: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           *args], cwd=project, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"pytest failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return took


def make_project(folder: Path, tasks: int) -> Path:
    """The mini project with ``tasks`` copies of order_status (and the original two other tasks removed)."""
    project = folder / f"mini-{tasks}"
    shutil.copytree(ROOT / "tests" / "mini", project, ignore=shutil.ignore_patterns("__pycache__"))
    status = (project / "tasks" / "status.task.yaml").read_text(encoding="utf-8")
    for other in ("address", "cancel"):
        (project / "tasks" / f"{other}.task.yaml").unlink()
    for n in range(2, tasks + 1):
        copy = status.replace("id: order_status", f"id: order_status_{n:02d}", 1)
        (project / "tasks" / f"status_{n:02d}.task.yaml").write_text(copy, encoding="utf-8")
    return project


def ideal_seconds(sims: int, concurrency: int, calls: float, latency: float) -> float:
    return math.ceil(sims / max(1, min(concurrency, sims))) * calls * latency


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds every model call waits")
    parser.add_argument("--quick", action="store_true", help="one worker, concurrency 8 and 32 only")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each point; the fastest is shown")
    parser.add_argument("--workers", type=int, nargs="+", choices=WORKERS, default=None,
                        help="only these worker counts (default: 1 and 2; --quick: 1)")
    opts = parser.parse_args()
    workers_list = tuple(opts.workers) if opts.workers else (1,) if opts.quick else WORKERS
    concurrencies = (8, 32) if opts.quick else CONCURRENCY
    with tempfile.TemporaryDirectory() as tmp, OpenAIStub() as stub:
        stub.server.latency_s = opts.latency
        models = ["--agent=litellm", "--agent-model=openai/stub-agent", f"--agent-base-url={stub.base_url}",
                  "--user-model=openai/stub-customer", f"--user-base-url={stub.base_url}", "--ecom-progress=0"]
        projects = {tasks: make_project(Path(tmp), tasks) for tasks, _ in SHAPES}
        print(f"loopback stub, {opts.latency * 1000:.0f} ms a call; sims/hour per process "
              f"(a run's rate / its workers), start-up left out; {os.cpu_count()} CPU(s)")
        print(f"{'shape':>12} {'workers':>7} {'conc.':>5} {'sims/h':>8} {'ideal':>8} {'ratio':>6}   "
              f"{'calls/sim':>9} {'CPU/sim':>10} {'cpu-bound':>9}  model time of wall time")
        for workers in workers_list:
            xdist = ["-n", str(workers)] if workers > 1 else []
            for tasks, repeat in SHAPES:
                sims = tasks * repeat
                per_process = math.ceil(sims / workers)
                for concurrency in concurrencies:
                    best = None
                    cpu = children_cpu()
                    # start-up and one simulation per worker (each worker imports litellm on its first call)
                    firsts = ["tasks/status.task.yaml", *(f"tasks/status_{n:02d}.task.yaml" for n in range(2, workers + 1))]
                    pytest_seconds(projects[tasks], [*models, *xdist, "--repeat=1", f"--ecom-concurrency={concurrency}",
                                                     *firsts])
                    base_cpu = children_cpu() - cpu
                    for _ in range(opts.rounds):
                        cpu = children_cpu()
                        report = Path(tmp) / f"r-{tasks}-{workers}-{concurrency}.json"
                        stub.server.arrivals.clear()
                        took = pytest_seconds(projects[tasks], [*models, *xdist, f"--repeat={repeat}",
                                                                f"--ecom-concurrency={concurrency}",
                                                                f"--ecom-report={report}"])
                        used = children_cpu() - cpu
                        records = json.loads(report.read_text(encoding="utf-8"))["trials"]
                        assert len(records) == sims and all(t["outcome"] == "pass" for t in records), \
                            [t["outcome"] for t in records]
                        arrivals = [t for _, t in stub.server.arrivals]
                        span = max(arrivals) + opts.latency - min(arrivals)
                        if best is None or span < best[0]:
                            best = (span, took, len(arrivals) / sims, max(0.0, used - base_cpu) / (sims - workers))
                    assert best is not None
                    span, took, calls, cpu_per_sim = best
                    rate = 3600 * sims / span / workers
                    ideal = 3600 * per_process / ideal_seconds(per_process, concurrency, calls, opts.latency)
                    bound = min(1.0, 3600 / max(cpu_per_sim, 1e-9) / ideal)
                    print(f"{f'{tasks} x {repeat}':>12} {workers:>7} {concurrency:>5} {rate:>8.0f} {ideal:>8.0f} "
                          f"{rate / ideal:>6.2f}   {calls:>9.1f} {cpu_per_sim * 1000:>7.0f} ms {bound:>9.2f}  "
                          f"{span:.1f} s of {took:.1f} s", flush=True)

if __name__ == "__main__":
    main()
