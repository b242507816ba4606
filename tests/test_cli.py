"""The ``pytest-ecom`` command: validate, schema, tools."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pytest_ecom.cli import main
from pytest_ecom.spec.schema import SCHEMA_FILE


@pytest.fixture
def in_copy(mini_copy, monkeypatch):
    """Work inside a private copy of the mini project (paths are printed relative to it)."""
    monkeypatch.chdir(mini_copy)
    return mini_copy


def test_validate_good_files(in_copy, capsys):
    assert main(["validate", "tasks"]) == 0
    out, err = capsys.readouterr()
    assert out == "3 of 3 task file(s) valid\n" and err == ""


def test_validate_a_single_file(in_copy, capsys):
    assert main(["validate", "tasks/status.task.yaml"]) == 0
    assert capsys.readouterr().out == "1 of 1 task file(s) valid\n"


def test_validate_bad_files_prints_file_line_and_fix(in_copy, capsys, find_line):
    text = (in_copy / "tasks" / "cancel.task.yaml").read_text()
    (in_copy / "tasks" / "cancel.task.yaml").write_text(text.replace("store: mini", "store: mini\ncolour: red"))
    (in_copy / "tasks" / "nested").mkdir()
    bad_tool = text.replace("id: cancel_kettle", "id: other").replace("- cancel_order:", "- refund_order:")
    (in_copy / "tasks" / "nested" / "tool.task.yaml").write_text(bad_tool)
    (in_copy / "tasks" / "ci.yaml").write_text("on: [push\n")  # not a task file: not read
    assert main(["validate", "tasks"]) == 1
    out, err = capsys.readouterr()
    assert out == "2 of 4 task file(s) valid\n"
    colour = find_line((in_copy / "tasks" / "cancel.task.yaml").read_text(), "colour: red")
    refund = find_line(bad_tool, "refund_order")
    assert err.splitlines() == [
        f"tasks/cancel.task.yaml:{colour}: colour: Extra inputs are not permitted",
        "  fix: remove it or check its spelling (see `pytest-ecom schema`)",
        f"tasks/nested/tool.task.yaml:{refund}: unknown tool 'refund_order' in store 'mini'",
        "  fix: use one of: get_user, get_order, cancel_order, change_address",
    ]


def test_validate_refuses_a_required_amount_the_agent_cannot_find(in_copy, capsys, find_line):
    """A digit in a required phrase must be in something the agent sees; the order id is, the refund
    amount of a plain cancellation is not (only an agent told the answer could say it)."""
    path = in_copy / "tasks" / "cancel.task.yaml"
    text = path.read_text().replace('    - "cancelled"', '    - "order 100001"\n    - "$129.99 refund"')
    path.write_text(text)
    assert main(["validate", "tasks"]) == 1
    out, err = capsys.readouterr()
    assert out == "2 of 3 task file(s) valid\n"
    line = find_line(text, "$129.99 refund")
    assert err.splitlines()[0] == (f"tasks/cancel.task.yaml:{line}: required phrase '$129.99 refund' contains "
                                   "'129.99', but nothing the agent can see holds it: no golden call's result, the "
                                   "store's policy, the customer's goal or script, nor the agent context")
    path.write_text(text.replace("$129.99 refund", "refund"))
    assert main(["validate", "tasks"]) == 0


def test_validate_missing_path_or_no_task_files_is_exit_2(in_copy, capsys):
    assert main(["validate", "nowhere"]) == 2
    assert "no such file or directory: nowhere" in capsys.readouterr().err
    assert main(["validate", "fixtures"]) == 2
    assert "no *.task.yaml or *.sample.yaml files found in fixtures" in capsys.readouterr().err


def test_schema_prints_the_committed_task_schema(capsys):
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["title"] == "pytest-ecom task (*.task.yaml)"
    assert out == SCHEMA_FILE.read_text(encoding="utf-8")


def test_schema_of_personas(capsys):
    assert main(["schema", "--persona"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "id" in schema["required"] and "emotion" in schema["properties"]


def test_schema_as_a_command_prints_valid_json():
    proc = subprocess.run([sys.executable, "-m", "pytest_ecom.cli", "schema"], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["additionalProperties"] is False


def test_tools_shows_types_allowed_values_and_required_arguments(in_copy, capsys):
    assert main(["tools", "mini"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "store mini: 4 tools; no fixed today"
    assert "writes  cancel_order(order_id*, reason)" in "\n".join(out)
    assert '          reason: "no_longer_needed" | "ordered_by_mistake", default "no_longer_needed"' in out
    assert "          user_id*: string" in out
    assert main(["tools", "mini", "--json"]) == 0
    assert [t["function"]["name"] for t in json.loads(capsys.readouterr().out)][:2] == ["get_user", "get_order"]
    assert main(["tools", "no_such_store"]) == 2
    assert "unknown store 'no_such_store'; known stores: " in capsys.readouterr().err


def test_tools_shows_the_stores_today_and_array_limits(capsys):
    assert main(["tools", "home_appliances"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("store home_appliances: ") and "today is 2026-03-10" in out.splitlines()[0]
    assert "product_ids*: list of string, at least 2 items, at most 4 items, no repeats" in out
    assert 'service_type*: "installation" | "repair"' in out


def test_data_lists_tables_then_records_then_one_record(in_copy, capsys):
    assert main(["data", "mini"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == ["users                        1 record(s)", "orders                       3 record(s)"]
    assert main(["data", "mini", "orders"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["100001", "100002", "100003"]
    assert lines[2] == '100003  user_id="u1"  status="shipped"  +items,shipping,history'
    assert main(["data", "mini", "orders", "100003"]) == 0
    assert json.loads(capsys.readouterr().out)["shipping"]["tracking"] == "TRK42"


@pytest.mark.parametrize(("args", "expected"), [
    (["orders", "--grep", "TOASTER"], ["100002"]),  # any case, in nested fields
    (["--grep", "ada@"], ["users/u1"]),  # every table, ids prefixed with their table
    (["--grep", "10000"], ["users/u1", "orders/100001", "orders/100002", "orders/100003"]),  # ids match too
])
def test_data_grep_keeps_matching_records(in_copy, capsys, args, expected):
    assert main(["data", "mini", *args]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == expected


def test_data_refuses_unknown_names_listing_the_valid_ones(in_copy, capsys):
    assert main(["data", "nope"]) == 2
    assert "unknown store 'nope'; known stores: " in capsys.readouterr().err
    assert main(["data", "mini", "order"]) == 2
    assert "error: store 'mini' has no table 'order'; its tables: users, orders" in capsys.readouterr().err
    assert main(["data", "mini", "orders", "1"]) == 2
    assert "table 'orders' has no record '1'; ids: 100001, 100002, 100003" in capsys.readouterr().err
    assert main(["data", "mini", "orders", "--grep", "no such text"]) == 1
    assert "no record matches 'no such text'" in capsys.readouterr().err


def test_data_reads_nested_stores_by_path(capsys):
    assert main(["data", "ecom_bench", "orders", "--grep", "313021098954"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    rid = line.split()[0]
    assert rid.startswith("jd/") and rid.endswith("/313021098954")
    assert main(["data", "ecom_bench", "orders", rid]) == 0
    assert json.loads(capsys.readouterr().out)["订单ID"] == "313021098954"


def test_tools_and_data_survive_a_closed_pipe(in_copy, monkeypatch):
    class ClosedPipe:  # what `pytest-ecom data ... | head` leaves stdout as once head has quit
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["data", "mini", "orders"]) == 0
    assert main(["tools", "mini", "--json"]) == 0


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
