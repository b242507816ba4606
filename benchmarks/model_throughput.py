"""Trials per minute when every model call waits on the network, against the ideal latency allows.

Starts the tests' loopback OpenAI-compatible stub with a fixed latency per call (default 200 ms),
then runs the built-in litellm agent on four copies of a mini task (tests/mini, order_status: two
model calls a trial) through pytest in a subprocess, for 1 and 2 xdist workers and
``--ecom-concurrency`` 1, 8 and 32. The ideal is what the latency alone allows: ``P`` trials at
once, each taking ``calls × latency``. A task's trials run together on one worker (its siblings
start at once, up to the concurrency), tasks one after another, so ``P`` is workers × the
smaller of the concurrency and the trials per task. Process
start-up — the interpreter, collection and litellm's import on the first call (several seconds)
— is measured in the same run (the same command for a single trial, less that trial's ideal
time) and left out, so the figure is the steady-state rate. The same runs with no latency show
the harness's and litellm's own cost per trial. Target: >= 0.8 of the ideal.

Usage: python benchmarks/model_throughput.py [--latency 0.2] [--repeat 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from openai_stub import OpenAIStub  # noqa: E402  (the tests' stub, a sibling folder)

CALLS_PER_TRIAL = 2  # order_status: look the order up, then answer
TASKS = 4  # copies of it, so that two workers have work


def pytest_seconds(project: Path, args: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(project), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=project,
                          env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"pytest failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds every model call waits")
    parser.add_argument("--repeat", type=int, default=8, help="trials of each task")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, OpenAIStub() as stub:
        project = Path(tmp) / "mini"
        shutil.copytree(ROOT / "tests" / "mini", project, ignore=shutil.ignore_patterns("__pycache__"))
        status = (project / "tasks" / "status.task.yaml").read_text(encoding="utf-8")
        for n in range(2, TASKS + 1):
            copy = status.replace("id: order_status", f"id: order_status_{n}", 1)
            (project / "tasks" / f"status_{n}.task.yaml").write_text(copy, encoding="utf-8")
        trials = TASKS * opts.repeat
        stub.server.latency_s = opts.latency
        base = ["--agent=litellm", "--agent-model=openai/stub-agent", f"--agent-base-url={stub.base_url}",
                "--ecom-progress=0"]
        common = [*base, f"--repeat={opts.repeat}", "-k", "order_status"]
        print(f"{trials} trials ({TASKS} tasks x {opts.repeat}), {CALLS_PER_TRIAL} model calls each, "
              f"{opts.latency * 1000:.0f} ms a call (the loopback stub)")
        print(f"{'workers':>7} {'concurrency':>11} {'trials/min':>10} {'ideal':>8} {'ratio':>6}   where time goes "
              "(no-latency run: the harness and litellm alone)")
        for workers in (1, 2):
            xdist = ["-n", str(workers)] if workers > 1 else []
            one = [*base, "--repeat=1", "tasks/status.task.yaml"]  # one trial of one task
            startup = pytest_seconds(project, [*one, *xdist]) - CALLS_PER_TRIAL * opts.latency
            for concurrency in (1, 8, 32):
                report = Path(tmp) / f"r-{workers}-{concurrency}.json"
                took = pytest_seconds(project, [*common, *xdist, f"--ecom-concurrency={concurrency}",
                                                f"--ecom-report={report}"])
                stub.server.latency_s = 0.0
                bare = pytest_seconds(project, [*common, *xdist, f"--ecom-concurrency={concurrency}"])
                stub.server.latency_s = opts.latency
                records = json.loads(report.read_text(encoding="utf-8"))["trials"]
                assert len(records) == trials and all(t["outcome"] == "pass" for t in records)
                parallel = workers * min(concurrency, opts.repeat)
                ideal = 60 * parallel / (CALLS_PER_TRIAL * opts.latency)
                running = max(took - startup, 1e-9)
                rate = 60 * trials / running
                own = max(bare - startup, 0.0) / trials * 1000
                print(f"{workers:>7} {concurrency:>11} {rate:>10.0f} {ideal:>8.0f} {rate / ideal:>6.2f}   "
                      f"{took:.1f} s in all, {startup:.1f} s start-up; with no latency {bare:.1f} s, "
                      f"{own:.0f} ms a trial of our and litellm's own work")


if __name__ == "__main__":
    main()
