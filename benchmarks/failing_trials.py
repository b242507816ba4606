"""What a failing trial costs next to a passing one, on the shipped tasks, in one run.

The same items run twice: with the oracle (every trial passes) and with an agent that does
nothing (every end-to-end trial fails on state, searches or outputs; every stage-wise sample
fails its answer). A failure is explained from the fields that differ, walked only where values
differ, so a failing trial should cost about what a passing one does. Target: <= 1.5x.

Printed: the core's CPU per trial without pytest (``run_trial`` over every shipped unit), and the
wall and CPU time of ``pytest tasks/ --repeat=N`` in a subprocess (best of ``--runs``), where a
failing trial also prints its story.

Usage: python benchmarks/failing_trials.py [--repeat 3] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_ecom.runner import load_unit, run_trial
from pytest_ecom.spec import TASK_SUFFIX
from pytest_ecom.spec.samples import SAMPLE_SUFFIX

ROOT = Path(__file__).resolve().parents[1]
DO_NOTHING = '''def agent(messages, tools, context):
    return "Sorry, I cannot help with that."
'''


def do_nothing(messages, tools, context):  # noqa: ANN001, ANN201 - the agent contract
    return "Sorry, I cannot help with that."


def core_cpu_per_trial(units: list, agent: object, repeat: int) -> tuple[float, dict[str, int]]:
    outcomes: dict[str, int] = {}

    async def run() -> None:
        for unit in units:
            for trial in range(1, repeat + 1):
                record = await run_trial(unit, agent, trial, repeat=repeat)
                outcomes[record["outcome"]] = outcomes.get(record["outcome"], 0) + 1

    start = time.process_time()
    asyncio.run(run())
    return (time.process_time() - start) / (len(units) * repeat) * 1000, outcomes


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pytest_run(agent: str, repeat: int, path: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), str(path),
                                                                     os.environ.get("PYTHONPATH")]))}
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "tasks/", "-q", "-p", "no:cacheprovider", f"--agent={agent}",
                    f"--repeat={repeat}", "--ecom-progress=0"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - start, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=2)
    opts = parser.parse_args()
    files = sorted(p for p in (ROOT / "tasks").rglob("*") if p.name.endswith((TASK_SUFFIX, SAMPLE_SUFFIX)))
    units = [load_unit(p) for p in files]
    core_cpu_per_trial(units, "oracle", 1)  # warm up caches and imports
    passing, pass_outcomes = core_cpu_per_trial(units, "oracle", opts.repeat)
    failing, fail_outcomes = core_cpu_per_trial(units, do_nothing, opts.repeat)
    print(f"{len(units)} shipped units x {opts.repeat} trials; oracle {pass_outcomes}, do-nothing {fail_outcomes}")
    print(f"core, CPU per trial:  passing {passing:.2f} ms   failing {failing:.2f} ms   "
          f"ratio {failing / passing:.2f} (target <= 1.5)")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bench_do_nothing.py").write_text(DO_NOTHING, encoding="utf-8")
        best: dict[str, tuple[float, float]] = {}
        for _ in range(opts.runs):
            for name, agent in (("passing", "oracle"), ("failing", "bench_do_nothing:agent")):
                wall, cpu = pytest_run(agent, opts.repeat, Path(tmp))
                best[name] = min(best.get(name, (wall, cpu)), (wall, cpu))
    (pw, pc), (fw, fc) = best["passing"], best["failing"]
    print(f"pytest tasks/, whole run: passing {pw:.1f} s wall / {pc:.1f} s CPU   failing {fw:.1f} s wall / "
          f"{fc:.1f} s CPU   ratio {fw / pw:.2f} wall, {fc / pc:.2f} CPU (start-up included)")


if __name__ == "__main__":
    main()
