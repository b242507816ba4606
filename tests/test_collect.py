"""Collection: which files become items, their ids, markers, selection, and collection errors."""

from __future__ import annotations

import re

import pytest

from pytest_ecom.spec import SpecError
from pytest_ecom.spec.models import Emotion, Level

ALL_TASKS = [
    "tasks/address.task.yaml::change_address",
    "tasks/cancel.task.yaml::cancel_kettle",
    "tasks/status.task.yaml::order_status",
]


def ids(tasks: list[str], n: int) -> list[str]:
    return [f"{task}[{i}-{n}]" for task in tasks for i in range(1, n + 1)]


def test_only_task_yaml_files_are_collected(mini_project):
    mini_project.write("tasks/ci.yaml", "on: [push]\njobs: {}\n")
    mini_project.write("tasks/foo.yaml", "schema_version: 1\nid: not_a_task\n")
    mini_project.write(".github/workflows/ci.yaml", "jobs: [unclosed\n")  # broken, but not ours
    mini_project.write("compose.yaml", "services: {web: {image: nginx}}\n")
    result = mini_project.run("--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK
    assert mini_project.collected_ids(result) == ids(ALL_TASKS, 1)


def test_repeat_gives_one_item_per_trial_with_path_id_and_index(mini_project):
    result = mini_project.run("--collect-only", "-q", "--repeat=3")
    assert mini_project.collected_ids(result) == ids(ALL_TASKS, 3)
    result.stdout.fnmatch_lines(["9 tests collected*"])


@pytest.mark.parametrize("value", ["0", "-1", "three"])
def test_repeat_must_be_a_positive_integer(mini_project, value: str):
    result = mini_project.run("--collect-only", f"--repeat={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--repeat" in result.stderr.str()


def test_without_agent_items_are_skipped_with_a_reason_naming_agent(mini_project):
    result = mini_project.run("-rs", "--repeat=2")
    result.assert_outcomes(skipped=6)
    skipped = [line for line in result.stdout.lines if line.startswith("SKIPPED")]
    assert len(skipped) == 3  # grouped per file: [2] trials each
    assert all(line.startswith("SKIPPED [2] tasks/") and "no --agent given" in line and "--agent=oracle" in line
               for line in skipped), skipped
    assert not any(re.fullmatch(r"=+ pytest-ecom =+", line) for line in result.stdout.lines)  # nothing ran


def test_tags_are_markers_selectable_with_m_under_strict_markers(mini_project):
    result = mini_project.run("--collect-only", "-q", "--strict-markers", "-m", "cancellation or status")
    assert result.ret == pytest.ExitCode.OK
    assert mini_project.collected_ids(result) == ids(ALL_TASKS[1:], 1)
    result = mini_project.run("--strict-markers", "-m", "not cancellation", "--agent=oracle")
    result.assert_outcomes(passed=2, deselected=1)


def test_k_selects_by_task_id_and_trial(mini_project):
    result = mini_project.run("--collect-only", "-q", "-k", "address")
    assert mini_project.collected_ids(result) == ids(ALL_TASKS[:1], 1)
    result = mini_project.run("--collect-only", "-q", "--repeat=3", "-k", "cancel_kettle and 2-3")
    assert mini_project.collected_ids(result) == ["tasks/cancel.task.yaml::cancel_kettle[2-3]"]


@pytest.mark.parametrize("tag", ["skip", "xfail"])
def test_a_tag_named_like_a_pytest_marker_does_not_change_the_outcome(mini_project, tag):
    """A task tagged ``skip`` or ``xfail`` must be refused at collection or run as usual:
    a skipped or xfailed trial silently changes what pytest and pass^k report."""
    mini_project.write("tasks/status.task.yaml", mini_project.task_text("status").replace("[status]", f"[{tag}]"))
    result = mini_project.run("--agent=oracle", "-rsx")
    outcomes = set(result.parseoutcomes()) - {"warnings"}
    assert outcomes <= {"passed", "errors"}, result.stdout.str()


# -- collection errors: file:line, what is wrong, and the fix --------------------------

CANCEL_ACTION = "    - cancel_order: {order_id: 100001, reason: no_longer_needed}"
GOAL = "  goal: Cancel order 100001 (a kettle); you no longer need it."

# name: (edit of cancel.task.yaml, expected message, a fragment of the line it must name, expected fix)
BAD_TASKS = {
    "yaml_syntax": (lambda t: t.replace("store: mini", "store: mini: extra"),
                    "invalid YAML: mapping values are not allowed", "store: mini: extra",
                    "check indentation and quoting"),
    "unknown_field": (lambda t: t.replace("store: mini", "store: mini\ncolour: red"),
                      "colour: Extra inputs are not permitted", "colour: red", "remove it or check its spelling"),
    "unknown_nested_field": (lambda t: t.replace("  persona: calm_clear", "  persona: calm_clear\n  mood: grumpy"),
                             "customer.mood: Extra inputs are not permitted", "mood: grumpy",
                             "remove it or check its spelling"),
    "missing_field": (lambda t: t.replace(GOAL + "\n", ""), "customer.goal: Field required", "customer:",
                      "add `goal:`"),
    "missing_top_level_field": (lambda t: t.replace("scenario: cancel_before_shipping\n", ""),
                                "scenario: Field required", "schema_version: 1", "add `scenario:`"),
    "wrong_type": (lambda t: t.replace("tags: [cancellation]", "tags: cancellation"),
                   "tags: Input should be a valid list", "tags: cancellation", "pytest-ecom schema"),
    "unknown_store": (lambda t: t.replace("store: mini", "store: nowhere"),
                      "unknown store 'nowhere'; known stores:", "store: nowhere", "fix `store:`"),
    "unknown_tool": (lambda t: t.replace(CANCEL_ACTION, "    - refund_order: {order_id: 100001}"),
                     "unknown tool 'refund_order' in store 'mini'", "refund_order",
                     "use one of: get_user, get_order, cancel_order, change_address"),
    "misspelt_tool": (lambda t: t.replace("- cancel_order:", "- cancel_ordr:"),
                      "unknown tool 'cancel_ordr' in store 'mini'", "cancel_ordr", "did you mean cancel_order?"),
    "misspelt_field": (lambda t: t.replace("expect:", "expcet:"),
                       "expcet: Extra inputs are not permitted", "expcet:", "did you mean `expect`?"),
    "marker_named_tag": (lambda t: t.replace("tags: [cancellation]", "tags: [cancellation, flaky]"),
                         "tags.1: Value error, tag 'flaky' is a pytest marker name", "tags:", "pytest-ecom schema"),
    "unknown_persona": (lambda t: t.replace("persona: calm_clear", "persona: nobody_like_this"),
                        "unknown persona 'nobody_like_this'", "persona: nobody_like_this",
                        "add personas/nobody_like_this.yaml"),
    "invalid_golden_arguments": (lambda t: t.replace("reason: no_longer_needed", "reason: bored"),
                                 "cancel_order: invalid arguments: reason: 'bored' is not one of", "reason: bored",
                                 "match the tool's argument schema"),
    "read_listed_as_action": (lambda t: t.replace(CANCEL_ACTION, "    - get_user: {user_id: u1}"),
                              "get_user only reads", "- get_user:", "move it to expect.searches"),
    "golden_action_fails": (lambda t: t.replace("100001", "100003"),
                            "golden call cancel_order fails when replayed: order 100003 cannot be cancelled: "
                            "it is shipped", "- cancel_order:", "fix the arguments or the order"),
    "actions_leave_store_unchanged": (
        lambda t: t.replace(CANCEL_ACTION, '    - change_address: {order_id: "100001", street: 1 Main St, '
                                           'city: Springfield}').replace(GOAL, "  goal: Keep 100001 at 1 Main St."),
        "replaying the golden actions leaves the store unchanged", "  actions:", "should list no actions"),
    "checks_nothing": (lambda t: t.split("expect:")[0] + "expect: {}\n", "the task checks nothing",
                       "expect: {}", "add expect.actions"),
    "passes_by_doing_nothing": (
        lambda t: t.split("expect:")[0] + 'expect:\n  state:\n    - {table: orders, key: "100001", '
                                          'match: {status: paid}}\n',
        "an agent that does nothing would pass this task", "expect:", "require a search or a phrase"),
    "value_nobody_supplies": (lambda t: t.replace(CANCEL_ACTION, '    - cancel_order: {order_id: "100002"}'),
                              "cancel_order needs order_id='100002', but nothing the agent can see supplies it",
                              "- cancel_order:", "mention it in customer.goal/script, put it in agent context"),
    # The example: a refund amount on a plain cancellation, in no tool result, policy or goal.
    "ungrounded_digit_phrase": (lambda t: t.replace('    - "cancelled"', '    - "$129.99 refund"'),
                                "required phrase '$129.99 refund' contains '129.99', but nothing the agent can see "
                                "holds it", '"$129.99 refund"', "fix the phrase if it contradicts the golden actions"),
    "forbidden_inside_a_required_phrase": (
        lambda t: t.replace('    - "cancelled"', '    - "cancelled"\n  forbidden:\n    - "CANCELLED"'),
        "forbidden phrase 'CANCELLED' is part of the required phrases: no reply can pass", '"CANCELLED"',
        "remove it from expect.forbidden"),
}


@pytest.mark.parametrize("case", BAD_TASKS)
def test_bad_task_is_a_collection_error_naming_file_line_and_fix(mini_project, case: str):
    edit, message, line_fragment, fix = BAD_TASKS[case]
    text = edit(mini_project.task_text("cancel"))
    assert text != mini_project.task_text("cancel")
    mini_project.write("tasks/cancel.task.yaml", text)
    result = mini_project.run("--collect-only", "-q")
    out = mini_project.output(result)
    assert result.ret == pytest.ExitCode.INTERRUPTED, out
    location = f"tasks/cancel.task.yaml:{mini_project.line_of(text, line_fragment)}: "
    lines = result.stdout.lines
    [at] = [i for i, line in enumerate(lines) if line.startswith("tasks/cancel.task.yaml:")]
    assert lines[at].startswith(location + message), out
    assert lines[at + 1].startswith("  fix: ") and fix in lines[at + 1], out
    # the good tasks next to it are still collected
    assert mini_project.collected_ids(result) == ids([ALL_TASKS[0], ALL_TASKS[2]], 1)


def test_a_duplicate_yaml_key_is_a_collection_error(mini_project):
    """YAML forbids duplicate keys; PyYAML keeps the last one, which would silently drop
    the first block of expectations (here: the required get_order search)."""
    text = mini_project.task_text("cancel").replace(
        '  outputs:\n    - "cancelled"\n', '  outputs:\n    - "cancelled"\n  searches:\n    - get_user: {user_id: u1}\n')
    mini_project.write("tasks/cancel.task.yaml", text)
    result = mini_project.run("--collect-only", "-q", "tasks/cancel.task.yaml")
    assert result.ret == pytest.ExitCode.INTERRUPTED, mini_project.output(result)
    second = [i for i, line in enumerate(text.splitlines(), 1) if line == "  searches:"][1]
    [error] = [line for line in result.stdout.lines if line.startswith("tasks/cancel.task.yaml:")]
    assert error.startswith(f"tasks/cancel.task.yaml:{second}: ") and "searches" in error, error


def test_a_broken_store_fixture_is_a_collection_error_naming_the_fixture_and_line(mini_project):
    store = mini_project.path / "fixtures" / "mini" / "store.json"
    text = store.read_text().replace('"u1": {', '"u1" {')
    store.write_text(text)
    result = mini_project.run("--collect-only", "-q", "tasks/status.task.yaml")
    out = mini_project.output(result)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    line = mini_project.line_of(text, '"u1" {')
    assert f"fixtures/mini/store.json:{line}" in out, out
    assert "json/decoder.py" not in out  # a message, not a traceback into the json module


def test_a_value_from_a_required_search_result_is_obtainable(mini_project):
    """The order id is not in the goal, but the required get_user result lists it."""
    text = mini_project.task_text("address").replace("order 100002", "order").replace("send order 100002", "send it")
    assert "100002" in text.split("expect:")[1] and "100002" not in text.split("expect:")[0]
    mini_project.write("tasks/address.task.yaml", text)
    assert mini_project.run("--agent=oracle").ret == pytest.ExitCode.OK
    mini_project.write("tasks/address.task.yaml", text.replace("  searches:\n    - get_user: {user_id: u1}\n", ""))
    result = mini_project.run("--collect-only")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["tasks/address.task.yaml:*: change_address needs order_id='100002'*"])


def test_a_default_argument_value_needs_no_source(mini_project):
    """Defaults filled in from the tool's schema are not values the agent must learn."""
    mini_project.add_conftest(
        "from mini_domain import get_order\n"
        "from pytest_ecom.domains import DomainSpec\n"
        "from pytest_ecom.tools import tool\n"
        "@tool(writes=True, parameters={'properties': {'order_id': {'type': 'string'},\n"
        "      'method': {'type': 'string', 'default': 'original_payment'}}, 'required': ['order_id']})\n"
        "def refund(store, order_id, method):\n"
        "    \"Refund an order.\"\n"
        "    store.edit('orders', order_id)['status'] = 'refunded via ' + method\n"
        "    return {'ok': True}\n"
        "register_domain(DomainSpec('mini_refunds', (get_order, refund)))\n"
    )
    mini_project.write("fixtures/mini_refunds/store.json", (mini_project.path / "fixtures/mini/store.json").read_text())
    text = mini_project.task_text("cancel").replace("store: mini", "store: mini_refunds").replace(
        CANCEL_ACTION, '    - refund: {order_id: "100001"}')
    mini_project.write("tasks/cancel.task.yaml", text)
    result = mini_project.run("--collect-only", "-q", "tasks/cancel.task.yaml")
    assert result.ret == pytest.ExitCode.OK, mini_project.output(result)


# -- preparing a task (in-process) --------------------------------------------------


def test_prepared_task_normalises_golden_calls_and_precomputes_the_expected_state(mini_task):
    cancel = mini_task("cancel")
    assert cancel.searches == (("get_order", {"order_id": "100001"}),)
    assert cancel.actions == (("cancel_order", {"order_id": "100001", "reason": "no_longer_needed"}),)
    assert cancel.expected.changed() == [("orders", "100001")]
    assert cancel.expected.get("orders", "100001")["status"] == "cancelled"
    assert cancel.domain.base["orders"]["100001"]["status"] == "paid"
    assert len(cancel.digest) == 16


def test_persona_dimensions_can_be_overridden_inline(mini_copy, mini_task):
    path = mini_copy / "tasks" / "cancel.task.yaml"
    text = path.read_text().replace("  persona: calm_clear\n", "  persona: calm_clear\n  overrides: {emotion: angry}\n")
    path.write_text(text)
    persona = mini_task("cancel", folder=path.parent).persona
    assert persona.emotion == Emotion.angry  # overridden
    assert persona.patience == Level.high  # from personas/calm_clear.yaml
    assert mini_task("cancel").persona.emotion == Emotion.calm  # the persona file itself is untouched


def test_a_persona_file_whose_id_differs_from_its_name_is_refused(mini_copy, mini_task):
    (mini_copy / "personas" / "calm_clear.yaml").write_text("schema_version: 1\nid: calm\n")
    with pytest.raises(SpecError, match="persona id 'calm' differs from the file name") as exc:
        mini_task("cancel", folder=mini_copy / "tasks")
    assert exc.value.path.name == "calm_clear.yaml" and exc.value.line == 2


def test_the_agent_context_supplies_values_to_golden_calls(mini_copy, mini_task, find_line):
    path = mini_copy / "tasks" / "address.task.yaml"
    mini_task("address", folder=path.parent)  # user_id u1 comes from `agent: {user_id: u1}`
    path.write_text(path.read_text().replace("agent:\n  user_id: u1\n", ""))
    with pytest.raises(SpecError, match="get_user needs user_id='u1'") as exc:
        mini_task("address", folder=path.parent)
    assert exc.value.line == find_line(path.read_text(), "- get_user:")



def test_every_schema_problem_is_listed_with_its_line(tmp_path):
    from pytest_ecom.spec import SpecError, Task, parse_model

    path = tmp_path / "x.task.yaml"
    path.write_text("schema_version: 1\nid: x\nscenario: s\nstore: mini\nexpcet: {}\ncustomer: {persona: p}\n")
    with pytest.raises(SpecError) as info:
        parse_model(path, Task)
    lines = info.value.format().splitlines()
    assert lines[0] == f"{path}:5: expcet: Extra inputs are not permitted"
    assert lines[1] == "  fix: did you mean `expect`?"
    assert "  also line 1: expect: Field required" in lines
    assert "  also line 6: customer.goal: Field required" in lines
