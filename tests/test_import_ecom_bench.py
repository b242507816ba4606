"""``pytest-ecom import ecom-bench``: ECom-Bench's folder → ``*.task.yaml`` files.

The input is ``tests/data/ecom_bench_mini/``: three tasks written for these tests in exactly
ECom-Bench's format (``tasks.json``, a ``tools.json`` with the few tools they call, ``data/``
with tiny tables). The tasks' YAML is only parsed here; running them needs the ``ecom_bench``
domain and is not done by these tests.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_ecom.cli import main
from pytest_ecom.importers.confirmations import CONFIRM_LINES
from pytest_ecom.importers.ecom_bench import (
    dimension_value,
    goal_section,
    ids_only_in_links,
    image_urls,
    intents,
    persona_overrides,
)
from pytest_ecom.spec import load_persona
from pytest_ecom.spec.loader import parse_model
from pytest_ecom.spec.models import RESERVED_TAGS, Task
from pytest_ecom.spec.yaml_io import read_yaml

ROOT = Path(__file__).resolve().parents[1]
MINI = Path(__file__).resolve().parent / "data" / "ecom_bench_mini"
FILES = ["000_manage_order.task.yaml", "001_get_gift_info.task.yaml", "002_manage_urgent.task.yaml"]
CONFIRM = CONFIRM_LINES["zh"]


def tasks_json(folder: Path = MINI) -> list[dict]:
    return json.loads((folder / "tasks.json").read_text(encoding="utf-8"))


def run_import(capsys, source: Path, out: Path) -> tuple[int, str, str]:
    code = main(["import", "ecom-bench", str(source), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def files_under(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def imported(tmp_path, capsys) -> tuple[Path, str]:
    out = tmp_path / "out"
    code, stdout, stderr = run_import(capsys, MINI, out)
    assert (code, stderr) == (0, ""), stderr
    return out, stdout


@pytest.fixture
def source(tmp_path) -> Path:
    """A private copy of the mini folder, to break."""
    return Path(shutil.copytree(MINI, tmp_path / "ecom_bench_src"))


def load(out: Path, name: str) -> dict:
    return read_yaml(out / name)


# -- the test data is in the reference's format ----------------------------------------------------


def test_the_mini_folder_is_in_the_reference_format():
    data = tasks_json()
    assert len(data) == 3
    for position, task in enumerate(data):
        assert set(task) == {"annotator", "user_id", "shop_id", "platform", "instruction", "metadata", "index"}
        assert task["index"] == position
        assert list(task["metadata"]) == ["outputs", "actions", "searches"]
        assert "<\\情绪>" in task["instruction"] and "### 这是你的目标" in task["instruction"]
        for call in task["metadata"]["actions"]:
            assert not call["name"].endswith("_tool")  # golden actions lack the served suffix
        for call in task["metadata"]["searches"]:
            assert call["name"].endswith("_tool")
    tools = json.loads((MINI / "tools.json").read_text(encoding="utf-8"))
    assert all(set(t) == {"name", "description", "inputSchema"} for t in tools)
    assert sorted(p.name for p in (MINI / "data").iterdir()) == [
        "discount.json", "invoices.json", "logistics.json", "orders.json", "products.json",
        "register_cashback.json", "service.json", "users_info.json"]


# -- output files ------------------------------------------------------------------------------------


def test_one_valid_task_file_per_task(imported):
    out, stdout = imported
    assert sorted(files_under(out)) == FILES
    for name, entry in zip(FILES, tasks_json()):
        task = parse_model(out / name, Task)
        assert task.id == f"ecombench_{entry['index']:03d}"
        assert task.language == "zh" and task.store == "ecom_bench" and task.orientation == "customer"
        assert task.customer.persona == "ecom_bench_customer"
        assert task.agent == {"platform": "jd", "shop_id": "shop_mini_01", "user_id": entry["user_id"]}
        assert task.checks_something
    assert stdout.splitlines()[0] == f"3 task(s) written to {out}"


def test_the_file_layout_is_stable(imported):
    out, _ = imported
    modeline, text = (out / FILES[2]).read_text(encoding="utf-8").split("\n", 1)
    assert modeline.startswith("# yaml-language-server: $schema=") and modeline.endswith("/task.schema.json")
    assert text.startswith(
        "# Imported from ECom-Bench tasks.json, index 2 (Apache-2.0), by `pytest-ecom import ecom-bench`.\n"
        "schema_version: 1\nid: ecombench_002\nscenario: ecombench_manage_urgent\nlanguage: zh\n"
        "description: 你要求给订单500003加急😡\ntags: [ecom_bench, manage_urgent]\norientation: customer\n"
        "store: ecom_bench\ncustomer:\n  persona: ecom_bench_customer\n  overrides:\n")
    assert "  goal: |-\n    <意图一>\n    你要求给订单500003加急😡\n    <\\意图一>\n" in text
    assert "\\u" not in text  # Chinese (and emoji) written as is, not escaped
    assert "      order_id: '500003'\n  lookups:\n  - get_user_info_tool:\n      user_id: mini_user_1\n" in text
    assert text.endswith("  - get_user_orders_info_tool:\n      platform: jd\n      shop_id: shop_mini_01\n"
                         "      user_id: mini_user_1\n"
                         "  - manage_order_tool:\n      platform: jd\n      shop_id: shop_mini_01\n"
                         "      user_id: mini_user_1\n      action: 查询\n      order_id: '500003'\n")


def test_scenario_description_and_tags(imported):
    out, _ = imported
    first, second, third = (load(out, name) for name in FILES)
    assert first["scenario"] == "ecombench_manage_order"  # from the first golden action
    assert second["scenario"] == "ecombench_get_gift_info"  # no action: from the first search
    assert first["description"] == "你买了一台电水壶：[链接]，想知道怎么安装"  # links shortened
    assert first["tags"] == ["ecom_bench", "manage_order", "register_cashback_by_review", "has_image"]
    assert second["tags"] == ["ecom_bench"]
    assert third["tags"] == ["ecom_bench", "manage_urgent"]
    assert not {t for data in (first, second, third) for t in data["tags"]} & RESERVED_TAGS


def test_long_descriptions_are_shortened():
    from pytest_ecom.importers.ecom_bench import DESCRIPTION_MAX, _description

    text = _description("你" * 100)
    assert len(text) == DESCRIPTION_MAX and text.endswith("…")


# -- the customer ---------------------------------------------------------------------------------


def test_persona_sections_become_overrides(imported):
    out, _ = imported
    overrides = [load(out, name)["customer"]["overrides"] for name in FILES]
    assert overrides[0] == {
        "consumer_type": "price_sensitive", "emotion": "dissatisfied", "carefulness": "high", "patience": "medium",
        "trust": "low", "rights_awareness": "high", "question_style": "clear", "speaking_style": "concise",
        "pace": "bursts"}
    assert overrides[1] == {
        "consumer_type": "quality_focused", "emotion": "calm", "carefulness": "medium", "patience": "high",
        "trust": "high", "rights_awareness": "medium", "question_style": "vague", "speaking_style": "wordy",
        "pace": "one_at_a_time"}
    assert overrides[2] == {
        "consumer_type": "impulsive", "emotion": "angry", "carefulness": "low", "patience": "low",
        "trust": "low", "rights_awareness": "high", "question_style": "clear", "speaking_style": "concise",
        "pace": "one_at_a_time"}  # "不会频繁催促": not bursts


@pytest.mark.parametrize(("dimension", "text", "value"), [
    ("emotion", "略有不满，对话时会有一定生气。", "dissatisfied"),
    ("emotion", "激动，情绪起伏较大", "angry"),
    ("emotion", "易怒，从最初的相对平静到强烈不满", "angry"),
    ("emotion", "急躁，说话时发言急切", "anxious"),
    ("emotion", "平静，没有表现出强烈的情绪波动或愤怒", "calm"),  # the first clause decides
    ("emotion", "困惑但理性，不会发出情绪化言论", "calm"),
    ("emotion", "说不上来", None),
    ("carefulness", "较高，会详细询问对话中的细节。", "high"),
    ("carefulness", "细致周到", "high"),
    ("carefulness", "中等，偶尔提问细节。", "medium"),
    ("patience", "中等偏下，有轻微的急躁情绪", "low"),
    ("patience", "中等到低，逐渐失去耐心", "low"),
    ("trust", "中等偏上，对客服持有基本的信任态度", "high"),
    ("trust", "一般，在获取具体信息前仍会追问，显示出一定程度的信任", "medium"),
    ("trust", "一版，对现有情况不完全信任。", "medium"),  # the reference's typo of 一般
    ("rights_awareness", "较强，会积极争取自己的权益", "high"),
    ("rights_awareness", "弱", "low"),
    ("rights_awareness", "？？", None),
    ("question_style", "直接而具体", "clear"),
    ("question_style", "绕来绕去", "vague"),
    ("speaking_style", "简洁明了，无废话。", "concise"),
    ("speaking_style", "正式兼带情绪化", "wordy"),
    ("pace", "连续发送消息，短时间内提出多个问题", "bursts"),
    ("pace", "在发送一条询问信息后会等待，不会频繁追问", "one_at_a_time"),
    ("pace", "稳定，发言长度没有明显波动", "one_at_a_time"),
    ("consumer_type", "性价比导向型顾客", "value_for_money"),
    ("consumer_type", "价格质量敏感型", "price_quality_sensitive"),
    ("consumer_type", "收藏家型消费者。", "收藏家型消费者"),  # unknown: the Chinese text
])
def test_dimension_values(dimension, text, value):
    assert dimension_value(dimension, text) == value


def test_unrecognised_or_missing_sections_are_left_to_the_base_persona():
    text = "<情绪>说不上来<\\情绪>\n<耐心程度>较高<\\耐心程度>\n<意图一>\n问问\n<\\意图一>"
    assert persona_overrides(text) == ({"patience": "high"}, ["emotion"])


def test_goal_is_the_intents_section_verbatim_and_script_one_message_per_intent(imported):
    out, _ = imported
    for name, entry in zip(FILES, tasks_json()):
        customer = load(out, name)["customer"]
        section = entry["instruction"].split("### 这是你的目标：")[1].strip()
        assert customer["goal"].startswith(section)
        # one message per intent, and the confirming line wherever a change is listed (docs/procedure.md)
        assert [line for line in customer["script"] if line != CONFIRM] == intents(entry["instruction"])
    # the cancellation (consequential) is confirmed right after the customer asks for it; the urgent
    # delivery (not consequential) and the read-only task get no confirming line
    assert load(out, FILES[0])["customer"]["script"][1:3] == ["然后你要求客服取消订单500001", CONFIRM]
    assert CONFIRM not in load(out, FILES[1])["customer"]["script"] + load(out, FILES[2])["customer"]["script"]
    second = load(out, FILES[1])["customer"]
    # the second intent's closing tag is misspelt `<意图二>` (as in the reference): still one message
    assert second["script"] == ["你想知道商品900002有没有赠品", "如果有，你想了解电子卡余额"]


def test_a_product_id_given_only_as_a_link_is_added_to_the_goal(imported):
    out, _ = imported
    first, second = load(out, FILES[0]), load(out, FILES[1])
    assert first["customer"]["goal"].endswith("\n\n（商品链接中的商品ID：900001）")
    assert "900002" in second["customer"]["goal"]  # given as text: nothing added
    assert "商品链接" not in second["customer"]["goal"]


def test_link_and_image_helpers():
    text = ("看看 https://item.jd.com/111.html?sdx=x 和 https://item.jd.com/222.html的安装流程，"
            "商品333（https://item.jd.com/333.html），图 https://a.example/x/y.JPG给你")
    assert ids_only_in_links(text, ["111", "222", "333", "444", "111"]) == ["111", "222"]
    assert image_urls(text) == ["https://a.example/x/y.JPG"]
    assert goal_section("画像\n### 这是你的目标：\n\n<意图一>\n甲\n<\\意图一>\n") == "<意图一>\n甲\n<\\意图一>"
    assert goal_section("<意图一>\n甲\n<\\意图一>") == "<意图一>\n甲\n<\\意图一>"  # no header
    assert intents("<意图一>甲<\\意图一>\n<意图二>乙<\\意图二><意图二>丙<\\意图二>") == ["甲", "乙", "丙"]


def test_the_base_persona_exists_and_is_neutral():
    persona = load_persona("ecom_bench_customer", ROOT / "tasks")
    assert persona.id == "ecom_bench_customer"
    assert persona.emotion.value == "calm" and persona.patience.value == "medium"


# -- expectations -----------------------------------------------------------------------------------


def test_golden_calls_are_mapped_to_served_tool_names(imported):
    out, _ = imported
    for name, entry in zip(FILES, tasks_json()):
        expect = load(out, name)["expect"]
        meta = entry["metadata"]
        assert expect.get("actions", []) == [{c["name"] + "_tool": c["arguments"]} for c in meta["actions"]]
        assert expect.get("searches", []) == [{c["name"]: c["arguments"]} for c in meta["searches"]]
        assert expect.get("outputs", []) == meta["outputs"]
    assert load(out, FILES[0])["expect"]["actions"][0] == {"manage_order_tool": {
        "platform": "jd", "shop_id": "shop_mini_01", "user_id": "mini_user_1", "order_id": "500001", "action": "取消"}}


def test_summary_counts(imported):
    _, stdout = imported
    assert stdout.splitlines()[1:] == [
        "  by scenario: get_gift_info 1, manage_order 1, manage_urgent 1",
        "  1 with an image URL (tag has_image), 1 with required outputs, 1 with product ids from links added to the goal",
        "  1 without golden actions (no state change expected): ecombench_001",
    ]


def test_a_task_that_checks_nothing_is_written_and_reported(source, tmp_path, capsys):
    data = tasks_json(source)
    data[2]["metadata"] = {"outputs": [], "actions": [], "searches": []}
    (source / "tasks.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, stdout, _ = run_import(capsys, source, tmp_path / "out")
    assert code == 0
    assert (tmp_path / "out" / "002_mixed.task.yaml").is_file()
    assert "1 check nothing (no actions, searches or outputs; `pytest-ecom validate` refuses them): ecombench_002" in stdout


# -- idempotence ----------------------------------------------------------------------------------------


def test_running_it_again_gives_the_same_bytes_and_touches_nothing_else(imported, capsys):
    out, _ = imported
    first = files_under(out)
    (out / "notes.txt").write_text("mine")
    code, stdout, _ = run_import(capsys, MINI, out)
    assert code == 0
    assert stdout.splitlines()[0] == f"3 task(s) written to {out} (3 unchanged)"
    after = files_under(out)
    assert after.pop("notes.txt") == b"mine"
    assert after == first
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []  # no staging left


# -- bad input ----------------------------------------------------------------------------------------------


def _edit(source: Path, change) -> None:
    data = tasks_json(source)
    change(data)
    (source / "tasks.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _fails(capsys, source: Path, out: Path) -> list[str]:
    code, stdout, stderr = run_import(capsys, source, out)
    assert code == 2 and stdout == ""
    assert not out.exists()  # nothing written
    lines = stderr.splitlines()
    assert lines[-1] == "nothing written"
    return lines[:-1]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d[1]["metadata"]["actions"].append({"name": "teleport_order", "arguments": {}}),
     ("task [1] (index 1): field 'metadata.actions[0].name': no tool 'teleport_order_tool' in tools.json "
      "for 'teleport_order' (known: get_gift_info, get_installation_service_info, get_user_orders_info, "
      "manage_ecard, manage_order, manage_urgent, register_cashback_by_review)")),
    (lambda d: d[0]["metadata"]["searches"][1].update(name="get_user_orders_info"),
     "task [0] (index 0): field 'metadata.searches[1].name': no tool 'get_user_orders_info' in tools.json"),
    (lambda d: d[2].pop("user_id"), "task [2] (index 2): field 'user_id' is missing"),
    (lambda d: d[2]["metadata"].pop("actions"), "task [2] (index 2): field 'metadata.actions' is missing"),
    (lambda d: d[0]["metadata"]["actions"][0].pop("arguments"),
     "task [0] (index 0): field 'metadata.actions[0].arguments' is missing"),
    (lambda d: d[0]["metadata"]["actions"][0]["arguments"].update(colour="red"),
     "task [0] (index 0): field 'metadata.actions[0].arguments.colour': manage_order_tool takes no argument 'colour'"),
    (lambda d: d[2]["metadata"]["actions"][0]["arguments"].pop("order_id"),
     "task [2] (index 2): field 'metadata.actions[0].arguments.order_id' is missing (manage_urgent_tool requires it)"),
    (lambda d: d[1].update(index=0), "task [1] (index 0): field 'index': 0 is also the index of task [0]"),
    (lambda d: d[1].update(index="1"), "task [1]: field 'index' must be a non-negative integer, found '1'"),
    (lambda d: d[1].update(instruction="你好"), "task [1] (index 1): field 'instruction' has no intent"),
    (lambda d: d[1]["metadata"].update(outputs="保温杯"),
     "task [1] (index 1): field 'metadata.outputs' must be a list of non-empty strings"),
    (lambda d: d.append("oops"), "task [3]: expected an object with keys"),
    (lambda d: d[2]["metadata"]["actions"][0]["arguments"].update(order_id="424242"),
     "task [2] (index 2): field 'metadata.actions[0]': manage_urgent_tool fails on the data: 没有找到"),
])
def test_a_bad_task_names_its_position_and_field(source, tmp_path, capsys, change, expected):
    _edit(source, change)
    lines = _fails(capsys, source, tmp_path / "out")
    assert any(line.startswith(f"error: {source / 'tasks.json'}: {expected}") for line in lines), lines


def test_every_problem_is_listed_at_once(source, tmp_path, capsys):
    _edit(source, lambda d: (d[0].pop("platform"), d[2].pop("shop_id")))
    lines = _fails(capsys, source, tmp_path / "out")
    assert [line.split(": ", 2)[2] for line in lines] == [
        "task [0] (index 0): field 'platform' is missing", "task [2] (index 2): field 'shop_id' is missing"]


def test_a_bad_task_leaves_an_earlier_import_alone(imported, source, capsys):
    out, _ = imported
    before = files_under(out)
    _edit(source, lambda d: d[0].pop("metadata"))
    code, _, stderr = run_import(capsys, source, out)
    assert code == 2 and "field 'metadata' is missing" in stderr
    assert files_under(out) == before


@pytest.mark.parametrize(("break_it", "expected"), [
    (lambda s: (s / "tasks.json").unlink(), "tasks.json: no such file"),
    (lambda s: (s / "tools.json").unlink(), "tools.json: no such file"),
    (lambda s: shutil.rmtree(s / "data"), "data: no such folder"),
    (lambda s: (s / "data" / "orders.json").unlink(), "orders.json: no such file"),
    (lambda s: (s / "tasks.json").write_text('[{"index": 0,}]'), "tasks.json:1:14: invalid JSON"),
    (lambda s: (s / "data" / "products.json").write_text("{"), "products.json:1:2: invalid JSON"),
    (lambda s: (s / "tasks.json").write_text('{"tasks": []}'), "tasks.json: expected a JSON array of tasks"),
    (lambda s: (s / "tools.json").write_text('[{"description": "x"}]'),
     "tools.json: tool [0]: field 'name' is missing"),
])
def test_a_broken_folder_is_refused(source, tmp_path, capsys, break_it, expected):
    break_it(source)
    lines = _fails(capsys, source, tmp_path / "out")
    assert any(expected in line for line in lines), lines


def test_data_the_tools_cannot_read_is_refused_with_the_task_and_field(source, tmp_path, capsys):
    orders = source / "data" / "orders.json"
    data = json.loads(orders.read_text(encoding="utf-8"))

    def drop_status(tree):
        if isinstance(tree, dict):
            tree.pop("订单状态", None)
            for value in tree.values():
                drop_status(value)

    drop_status(data)
    orders.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    lines = _fails(capsys, source, tmp_path / "out")
    assert any("task [0] (index 0): field 'metadata.actions[0]': manage_order_tool cannot run on the data in "
               "data/: KeyError: '订单状态'" in line for line in lines), lines


def test_a_missing_folder_is_refused(tmp_path, capsys):
    lines = _fails(capsys, tmp_path / "nowhere", tmp_path / "out")
    folder = tmp_path / "nowhere"
    assert lines == [f"error: {folder}: no such folder (expected ECom-Bench's tasks.json, tools.json and data/)"]


def test_a_refused_cashback_forbids_saying_it_was_registered():
    """A task without golden actions that requires the cashback query refuses the cashback: saying it
    was registered is a false claim. With a golden action, or without that query, nothing is forbidden."""
    from pytest_ecom.importers.ecom_bench import refused_claims

    query = {"name": "register_cashback_by_review_tool", "arguments": {"order_id": "1", "action": "查询"}}
    read = {"name": "get_gift_info_tool", "arguments": {"product_id": "2"}}
    assert refused_claims({"actions": [], "searches": [read, query]}) == ["登记成功", "已为您登记"]
    assert refused_claims({"actions": [{"name": "manage_order", "arguments": {}}], "searches": [query]}) == []
    assert refused_claims({"actions": [], "searches": [read]}) == []
    committed = sorted((ROOT / "tasks" / "ecom-bench").glob("*.task.yaml"))
    shipped = [p.name for p in committed if "forbidden:" in p.read_text(encoding="utf-8")]
    assert shipped == ["010_get_installation_service_info.task.yaml", "039_get_gift_info.task.yaml"]
