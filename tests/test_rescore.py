"""Every trajectory kept, and scored again: ``--ecom-log`` lines carry each trial's trajectory,
``--ecom-transcripts=all`` puts them in the report, ``pytest-ecom rescore`` scores them with today's files."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom import run_trial
from pytest_ecom.cli import main
from pytest_ecom.prepare.task import load_prepared
from pytest_ecom.reporting.terminal import summary_lines
from pytest_ecom.runner.rescore import rescore_record
from pytest_ecom.trajectory import KEPT_FIELDS, Trajectory, trajectory_from_record

ROOT = Path(__file__).resolve().parents[1]
HALF = ("--agent=mini_agents:half_oracle", "--repeat=3")  # odd trials solve the task, even ones do nothing


def _log_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _records(path: Path) -> list[dict[str, Any]]:
    return [e for e in _log_lines(path) if "task" in e]


def _verdicts(records: list[dict[str, Any]]) -> dict[tuple[str, int], tuple[str, dict[str, Any]]]:
    return {(r["task"], r["trial"]): (r["outcome"], {n: d["passed"] for n, d in r["dimensions"].items()})
            for r in records}


def test_the_trajectory_record_keeps_every_field_of_a_trajectory():
    """A field added to Trajectory must be logged too, or a logged trial could not be scored again."""
    assert {f.name for f in dataclasses.fields(Trajectory)} == set(KEPT_FIELDS)


def test_every_trial_is_logged_with_a_trajectory_that_rebuilds_it(mini_project):
    mini_project.run(*HALF, "--ecom-log=run.jsonl", "--ecom-report=r.json")
    records = _records(mini_project.path / "run.jsonl")
    assert len(records) == 9
    for r in records:  # passing trials too
        traj = r["trajectory"]
        assert r["transcript"] and traj["messages"][0]["role"] == "system"
        assert traj["end_reason"] == r["end_reason"] and traj["turns"] == r["turns"]
        assert len(traj["calls"]) == r["tool_calls"]
    cancel = next(r for r in records if r["task"] == "cancel_kettle" and r["outcome"] == "pass")
    calls = cancel["trajectory"]["calls"]
    assert [c["name"] for c in calls] == ["get_order", "cancel_order"] and all(c["ok"] for c in calls)
    tool_results = [m for m in cancel["trajectory"]["messages"] if m["role"] == "tool"]
    assert len(tool_results) == 2 and "100001" in tool_results[0]["content"]
    # the final store as the records written, not the whole store
    [write] = cancel["trajectory"]["store_overlay"]
    assert (write["table"], write["key"], write["record"]["status"]) == ("orders", "100001", "cancelled")
    # the default report stays compact: no trajectories, no passing transcripts
    report = mini_project.report("r.json")
    assert all("trajectory" not in t for t in report["trials"])
    assert all(t["transcript"] is None for t in report["trials"] if t["outcome"] == "pass")


def test_ecom_transcripts_all_keeps_every_trial_s_conversation_in_the_report(mini_project):
    mini_project.run(*HALF, "--ecom-transcripts=all", "--ecom-report=r.json", "--ecom-html=r.html")
    trials = mini_project.report("r.json")["trials"]
    assert all(t["transcript"] and t["trajectory"]["messages"] for t in trials)
    assert "Is there anything else" in (mini_project.path / "r.html").read_text(encoding="utf-8")  # a pass's reply
    result = mini_project.run("--agent=oracle", "--ecom-transcripts=some")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_a_rebuilt_trajectory_scores_like_the_original(tmp_path):
    kettle = ROOT / "tasks/home_appliances/returns/damaged_kettle.task.yaml"
    record = asyncio.run(run_trial(kettle, "oracle"))
    prepared = load_prepared(kettle)
    traj = trajectory_from_record(record["trajectory"], prepared.new_store(), record["transcript"], record["timings"])
    assert traj.store is not None and not traj.store.diff_keys(prepared.expected)
    again = rescore_record(record, prepared)
    assert again == record


def test_rescore_reproduces_the_run_and_prints_its_summary(mini_project, capsys, monkeypatch):
    mini_project.run(*HALF, "--ecom-log=run.jsonl", "--ecom-report=r.json")
    monkeypatch.chdir(mini_project.path)
    capsys.readouterr()  # the run's own output
    assert main(["rescore", "run.jsonl", "--report", "again.json"]) == 0
    out = capsys.readouterr().out.splitlines()
    report = mini_project.report("r.json")
    expected = summary_lines(report["summary"], "mini_agents:half_oracle")
    assert out[:len(expected)] == expected  # the summary the run printed, line for line
    assert "rescored 9 of 9 logged trial(s) from run.jsonl" in out
    assert "no trial changed outcome" in out and not any("changed since" in line for line in out)
    again = mini_project.report("again.json")
    assert _verdicts(again["trials"]) == _verdicts(report["trials"])
    assert again["summary"] == report["summary"]


def test_editing_a_task_changes_the_verdicts_and_flags_its_file(mini_project, capsys, monkeypatch):
    mini_project.run(*HALF, "--ecom-log=run.jsonl")
    before = _verdicts(_records(mini_project.path / "run.jsonl"))
    assert before[("cancel_kettle", 1)][0] == "pass"
    # the required phrase is now one the oracle never said
    mini_project.write("tasks/cancel.task.yaml",
                       mini_project.task_text("cancel").replace('- "cancelled"', '- "cancellation confirmed"'))
    monkeypatch.chdir(mini_project.path)
    capsys.readouterr()  # the run's own output
    assert main(["rescore", "run.jsonl", "--tasks", "tasks", "--report", "again.json"]) == 0
    out = capsys.readouterr().out
    assert "task file changed since the run: 1 task(s)" in out and "  cancel_kettle (3 trial(s))" in out
    assert "2 trial(s) changed outcome:" in out
    assert "  cancel_kettle [1]: pass -> fail" in out and "  cancel_kettle [3]: pass -> fail" in out
    after = _verdicts(mini_project.report("again.json")["trials"])
    assert after[("cancel_kettle", 1)] == ("fail", {"state": True, "searches": True, "outputs": False, "procedure": True})
    assert {k: v for k, v in after.items() if k[0] != "cancel_kettle"} == \
        {k: v for k, v in before.items() if k[0] != "cancel_kettle"}


STUFFER = """\
import json

def stuffer(messages, tools, context):
    if not any(m["role"] == "tool" for m in messages):
        args = json.dumps({"order_id": "100003"})
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_order", "arguments": args}}]}
    return {"role": "assistant", "content": "TRK42. Your order has been cancelled and refunded."}
"""


def test_a_logged_stuffing_reply_fails_outputs_once_the_task_forbids_its_claim(mini_project, capsys, monkeypatch):
    mini_project.write("stuffing.py", STUFFER)
    mini_project.run("--agent=stuffing:stuffer", "tasks/status.task.yaml", "--ecom-log=run.jsonl")
    [logged] = _records(mini_project.path / "run.jsonl")
    assert logged["outcome"] == "pass"  # it said the tracking number, and more
    mini_project.write("tasks/status.task.yaml", mini_project.task_text("status")
                       + '  forbidden:\n    - "has been cancelled"\n')
    monkeypatch.chdir(mini_project.path)
    capsys.readouterr()  # the run's own output
    assert main(["rescore", "run.jsonl", "--report", "again.json"]) == 0
    assert "  order_status [1]: pass -> fail" in capsys.readouterr().out
    [trial] = mini_project.report("again.json")["trials"]
    assert trial["dimensions"]["outputs"]["detail"] == {"forbidden_said": ["has been cancelled"]}


def test_errors_and_records_without_a_trajectory_keep_their_verdict(mini_project, capsys, monkeypatch):
    mini_project.run("--agent=mini_agents:provider_down_on_trial_2", "--repeat=2", "--ecom-log=run.jsonl")
    log = mini_project.path / "run.jsonl"
    lines = _log_lines(log)
    for entry in lines:  # an older pytest-ecom's passing trials had no trajectory
        if entry.get("task") == "order_status" and entry.get("outcome") == "pass":
            del entry["trajectory"]
    log.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    monkeypatch.chdir(mini_project.path)
    capsys.readouterr()  # the run's own output
    assert main(["rescore", "run.jsonl"]) == 0
    out = capsys.readouterr().out
    assert "rescored 2 of 6 logged trial(s)" in out
    assert "  kept as logged: 3 trial(s): errors (nothing to score)" in out
    assert "  kept as logged: 1 trial(s): no trajectory in the log" in out


def test_rescore_refuses_what_it_cannot_read(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tasks").mkdir()
    assert main(["rescore", "missing.jsonl"]) == 2
    assert "missing.jsonl: cannot read the log" in capsys.readouterr().err
    (tmp_path / "notes.jsonl").write_text('{"hello": 1}\n', encoding="utf-8")
    assert main(["rescore", "notes.jsonl"]) == 2
    assert "no pytest-ecom run in this file" in capsys.readouterr().err
    assert main(["rescore", "notes.jsonl", "--tasks", "nowhere"]) == 2
    assert "--tasks: no such folder: nowhere" in capsys.readouterr().err


def test_rescore_calls_no_model_and_never_imports_litellm(tmp_path):
    log = tmp_path / "run.jsonl"
    kettle = "tasks/home_appliances/returns/damaged_kettle.task.yaml"
    subprocess.run([sys.executable, "-m", "pytest", kettle, "--agent=oracle", "-q", "-p", "no:cacheprovider",
                    f"--ecom-log={log}"], cwd=ROOT, check=True, capture_output=True, timeout=120)
    script = ("import sys\nfrom pytest_ecom.cli import main\n"
              f"code = main(['rescore', {str(log)!r}, '--tasks', 'tasks'])\n"
              "assert 'litellm' not in sys.modules, 'litellm was imported'\nsys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "rescored 1 of 1 logged trial(s)" in proc.stdout


def test_a_logged_trajectory_is_cleaned_like_the_rest_of_the_record(monkeypatch):
    """Whatever an agent said goes through results/clean.py: secrets and control characters too."""
    monkeypatch.setenv("SHOP_API_KEY", "s3cr3t-value-123")

    def leaky(messages, tools, context):
        return "Your key is s3cr3t-value-123 and sk-abcdefghijklmnopqrstuv\x07"

    from pytest_ecom.results.clean import forget_secrets

    forget_secrets()
    record = asyncio.run(run_trial(ROOT / "tasks/home_appliances/returns/damaged_kettle.task.yaml", leaky))
    forget_secrets()
    text = json.dumps(record["trajectory"])
    assert "s3cr3t" not in text and "sk-abcdefghijklmnop" not in text and "\\\\x07" in text


def test_task_files_are_found_as_collection_finds_them_and_a_shared_id_is_a_problem(tmp_path):
    from pytest_ecom.runner.rescore import task_files

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.task.yaml").write_text('id: "shared"\n', encoding="utf-8")
    (tmp_path / "two.task.yaml").write_text("id: shared  # the same id\n", encoding="utf-8")
    (tmp_path / "three.sample.yaml").write_text("id: alone\n", encoding="utf-8")
    (tmp_path / "node_modules").mkdir()  # a folder pytest does not look into
    (tmp_path / "node_modules" / "x.task.yaml").write_text("id: hidden\n", encoding="utf-8")
    problems: list[str] = []
    assert task_files(tmp_path, problems) == {"alone": tmp_path / "three.sample.yaml"}
    assert len(problems) == 1 and "task id 'shared' is used by 2 files" in problems[0]
