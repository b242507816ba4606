"""Per-trial overhead of pytest-ecom, with baselines measured in the same run.

Prints, for the oracle on one typical task (3–5 customer turns):

1. the core's cost per trial without pytest (episode + scoring + record),
   next to a naive harness that deep-copies the store for every trial and
   compares whole stores (target: ours <= 0.3 ms);
2. the marginal wall time per trial through pytest (``--repeat`` large minus
   small, divided by the extra trials), next to pytest's own floor measured
   the same way on trivial Python tests (target: ours <= 1.5 ms).

Usage: python benchmarks/trial_overhead.py [--task PATH] [--trials N]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_ecom.agents import resolve_agent
from pytest_ecom.prepare.task import load_prepared
from pytest_ecom.runner import EpisodeSetup, agent_context, run_episode, run_trial
from pytest_ecom.store import Store
from pytest_ecom.users import ScriptedCustomer

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TASK = "tasks/home_appliances/returns/damaged_kettle.task.yaml"


def _materialise(store: Store) -> dict:
    return {t: dict(store.records(t)) for t in store.tables()}


async def ours(prepared, oracle, trials: int) -> float:
    start = time.perf_counter()
    for i in range(1, trials + 1):
        await run_trial(prepared, oracle, i, repeat=trials)  # what each trial item runs: episode, scores, record
    return (time.perf_counter() - start) / trials


async def naive(prepared, oracle, trials: int) -> float:
    """A deep copy of the whole store per trial and a whole-store comparison at the end."""
    expected = _materialise(prepared.expected)
    start = time.perf_counter()
    for i in range(1, trials + 1):
        context = agent_context(prepared, i, {})
        store = Store(copy.deepcopy(prepared.domain.base))
        setup = EpisodeSetup(oracle.target(context, prepared), prepared.domain.tools, store,
                             ScriptedCustomer(prepared.task.customer.script), context, 20, 30, 300.0)
        traj = await run_episode(setup)
        assert _materialise(traj.store) == expected
    return (time.perf_counter() - start) / trials


def _wall(args: list[str], cwd: Path, env: dict[str, str] | None = None, runs: int = 3) -> float:
    """Best of ``runs`` wall times of a pytest subprocess (the minimum is the least noisy)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=cwd,
                       env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def marginal_through_pytest(task: Path, small: int, large: int) -> tuple[float, float]:
    """Per-trial ms of ours and of pytest's trivial Python test: (time(large) - time(small)) / extra."""
    extra = large - small
    ours = (_wall([str(task), "--agent=oracle", f"--repeat={large}"], ROOT)
            - _wall([str(task), "--agent=oracle", f"--repeat={small}"], ROOT)) / extra
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_floor.py").write_text(
            "import os\nimport pytest\n\n@pytest.mark.parametrize('i', range(int(os.environ['N'])))\n"
            "def test_item(i):\n    pass\n")
        floor = (_wall([str(folder)], folder, {**os.environ, "N": str(large)})
                 - _wall([str(folder)], folder, {**os.environ, "N": str(small)})) / extra
    return ours * 1000, floor * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", default=DEFAULT_TASK)
    parser.add_argument("--trials", type=int, default=2000)
    args = parser.parse_args()
    task = (ROOT / args.task).resolve()
    prepared = load_prepared(task)
    oracle = resolve_agent("oracle")
    turns = len(prepared.task.customer.script)
    print(f"task {prepared.id}: {turns} customer turns, "
          f"{len(prepared.searches) + len(prepared.actions)} golden calls, "
          f"store of {sum(len(t) for t in prepared.domain.base.values())} records")
    loop = asyncio.new_event_loop()
    loop.run_until_complete(ours(prepared, oracle, 50))  # warm up imports and caches
    ours_s = loop.run_until_complete(ours(prepared, oracle, args.trials))
    naive_s = loop.run_until_complete(naive(prepared, oracle, args.trials))
    loop.close()
    print(f"core per trial, no pytest:   {ours_s * 1000:.3f} ms  (naive deep-copy harness: "
          f"{naive_s * 1000:.3f} ms, {naive_s / ours_s:.1f}x ours; target <= 0.3 ms)")
    ours_ms, floor_ms = marginal_through_pytest(task, 10, 1010)
    print(f"marginal per trial via pytest: {ours_ms:.3f} ms  (pytest's floor for a trivial item: "
          f"{floor_ms:.3f} ms; target <= 1.5 ms)")


if __name__ == "__main__":
    main()
