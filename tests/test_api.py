"""The public core API: ``pytest_ecom.run_trial`` from a script, and the report's JSON Schema."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from pytest_ecom import run_trial

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "examples" / "run_one_trial.py"
KETTLE = "tasks/home_appliances/returns/damaged_kettle.task.yaml"


def _without_timings(record: dict) -> dict:
    out = {k: v for k, v in record.items() if k != "timings"}
    if out.get("transcript"):
        out["transcript"] = [{k: v for k, v in e.items() if k not in ("t_ms", "ms")} for e in out["transcript"]]
    return out


def test_the_documented_script_runs_trials_without_importing_pytest() -> None:
    assert len(SCRIPT.read_text(encoding="utf-8").splitlines()) <= 15, "docs/api.md promises at most 15 lines"
    proc = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "damaged_kettle [1-2]: pass (state ok, searches ok, outputs ok, procedure ok)",
        "damaged_kettle [2-2]: pass (state ok, searches ok, outputs ok, procedure ok)",
        "pytest imported: False",
    ]


def test_run_trial_gives_the_record_a_pytest_run_gives(tmp_path: Path) -> None:
    """The trial item calls the same function: the records agree but for the timings (the report
    keeps a passing trial's transcript and trajectory with --ecom-transcripts=all, as the record has them)."""
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", f"{KETTLE}::damaged_kettle[2-3]", "--agent=oracle",
                           "-q", "-p", "no:cacheprovider", f"--ecom-report={report}", "--ecom-transcripts=all"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [from_pytest] = json.loads(report.read_text(encoding="utf-8"))["trials"]
    from_script = asyncio.run(run_trial(ROOT / KETTLE, "oracle", 2, repeat=3))
    assert _without_timings(from_script) == _without_timings(from_pytest)


def test_run_trial_reports_an_agents_failure_and_a_providers_error_in_the_record() -> None:
    def silent(messages, tools, context):
        return "Sorry, I cannot help."

    failed = asyncio.run(run_trial(ROOT / KETTLE, silent))
    assert failed["outcome"] == "fail" and failed["dimensions"]["state"]["passed"] is False
    assert failed["transcript"], "a failing trial keeps its conversation"

    def down(messages, tools, context):
        from pytest_ecom import ProviderError

        raise ProviderError("503 from the model")

    errored = asyncio.run(run_trial(ROOT / KETTLE, down))
    assert errored["outcome"] == "error"
    assert errored["error"]["source"] == "provider" and "503" in errored["error"]["message"]


def test_the_report_schema_is_printable_and_validates_real_reports(mini_project) -> None:
    mini_project.run("--agent=mini_agents:half_oracle", "--repeat=2", "--ecom-report=half.json")
    mini_project.run("--agent=mini_agents:provider_down_on_trial_2", "--repeat=2", "--ecom-report=down.json",
                     "--ecom-transcripts=all", "--ecom-log=down.jsonl")  # every trajectory, errors' too
    printed = subprocess.run([sys.executable, "-m", "pytest_ecom.cli", "schema", "--report"], capture_output=True,
                             text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    schema = json.loads(printed.stdout)
    assert schema["title"] == "pytest-ecom report (pytest-ecom/report, version 1)"
    outcomes = set()
    for name in ("half.json", "down.json"):
        report = mini_project.report(name)
        jsonschema.validate(report, schema)
        outcomes |= {t["outcome"] for t in report["trials"]}
    assert outcomes == {"pass", "fail", "error"}
    assert all("trajectory" in t for t in mini_project.report("down.json")["trials"])
    record_schema = {"$defs": schema["$defs"], "$ref": "#/$defs/TrialRecord"}  # what each --ecom-log line is
    for line in (mini_project.path / "down.jsonl").read_text(encoding="utf-8").splitlines()[1:]:
        jsonschema.validate(json.loads(line), record_schema)
    broken = mini_project.report("half.json")
    broken["trials"][0]["outcome"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_api_page_shows_the_script_as_it_is() -> None:
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    shown = page.split("```python\n", 1)[1].split("```", 1)[0]
    assert shown == SCRIPT.read_text(encoding="utf-8")
