"""Collection at scale: `pytest --collect-only` on N generated task files, against pytest
collecting N one-line Python tests (one per file, like one task per file) in the same run.

Task files are copies of the shipped tasks with unique ids, so every file is parsed,
validated and checked against its store like a real one. Each collection runs twice:
cold (no cache) and warm (validated specs cached in pytest's cache folder by content).

Usage: python benchmarks/collection_scale.py [--files N]    (target: tasks <= 0.6x Python)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_tasks(folder: Path, n: int) -> None:
    sources = sorted((ROOT / "tasks").rglob("*.task.yaml"))
    shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    shutil.copytree(ROOT / "personas", folder / "personas")
    texts = [(p.read_text(encoding="utf-8"), re.search(r"^id: (\w+)", p.read_text(encoding="utf-8"), re.M).group(1))
             for p in sources]
    for i in range(n):
        text, task_id = texts[i % len(texts)]
        sub = folder / "tasks" / f"d{i // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        new_id = f"{task_id}_{i:05d}"
        (sub / f"{new_id}.task.yaml").write_text(text.replace(f"id: {task_id}", f"id: {new_id}", 1), encoding="utf-8")


def make_python_tests(folder: Path, n: int) -> None:
    for i in range(n):
        sub = folder / "tests" / f"d{i // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"test_{i:05d}.py").write_text(f"def test_{i}():\n    assert True\n")


# Both sides load the same plugins: none but pytest's own and ours (others installed here would
# add the same fixed cost to both and blur the ratio).
ENV = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def collect(folder: Path, target: str, *extra: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "pytest_ecom.pytest_plugin.plugin", "--collect-only", "-q",
                           target, *extra], cwd=folder, capture_output=True, text=True, env=ENV)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"collection failed in {folder}/{target}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    n = args.files
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_tasks(folder, n)
        make_python_tests(folder, n)
        py_cold = collect(folder, "tests")  # compiles every file (and writes its bytecode)
        py_warm = min(collect(folder, "tests"), collect(folder, "tests"))  # reads the bytecode
        ours_cold = collect(folder, "tasks", "-p", "no:cacheprovider")
        collect(folder, "tasks")  # fills the cache of validated specs
        ours_warm = min(collect(folder, "tasks"), collect(folder, "tasks"))
    print(f"{n} files, pytest --collect-only:")
    print(f"  Python tests (1 per file):  {py_cold:6.2f} s first run, {py_warm:6.2f} s again")
    print(f"  task files:                 {ours_cold:6.2f} s no cache ({ours_cold / py_cold:.2f}x first run), "
          f"{ours_warm:6.2f} s cached ({ours_warm / py_warm:.2f}x again); target <= 0.6x")


if __name__ == "__main__":
    main()
