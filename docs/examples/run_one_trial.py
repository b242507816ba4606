"""Run and score trials of one task from a script, without pytest (docs/api.md)."""

import asyncio
import sys

from pytest_ecom import TrialSettings, run_trial

task = sys.argv[1] if len(sys.argv) > 1 else "tasks/home_appliances/returns/damaged_kettle.task.yaml"
verdict = {True: "ok", False: "FAILED", None: "not checked"}
for trial in (1, 2):
    record = asyncio.run(run_trial(task, "oracle", trial, repeat=2, settings=TrialSettings(timeout_s=60)))
    checks = ", ".join(f"{name} {verdict[d['passed']]}" for name, d in record["dimensions"].items())
    print(f"{record['task']} [{record['trial']}-{record['repeat']}]: {record['outcome']} ({checks})")
print("pytest imported:", "pytest" in sys.modules)
