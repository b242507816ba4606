"""Images in ECom-Bench's tasks: ``get_image_info_tool`` asks the run's vision model through
litellm (over real HTTP to the loopback stub), else answers from the task's ``images:`` notes,
else tells the agent that no vision model is configured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TASK = ROOT / "tasks" / "ecom-bench" / "051_manage_invoice.task.yaml"  # intent 3 sends a picture; outputs 晒图, 吹风机
IMAGE = "https://dd-static.jd.com/ddimg/jfs/t1/298651/16/8705/5580/682b2bfcF747a8e30/db631d46ad628e6d.jpg"

# Looks at any image the customer links to and tells the customer what the tool said.
LOOKING_AGENT = '''
import json, re

def look(messages, tools, context):
    last = messages[-1]
    if last["role"] == "tool":
        return "图片信息：" + last["content"]
    found = re.search(r"https?://\\S+?\\.jpg", last.get("content") or "")
    if last["role"] != "user" or not found:
        return "好的。"
    args = {"summarized_query": "图片内容是否真实", "needed_query": "图片内容", "history_messages": last["content"]}
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": "look", "type": "function", "function": {"name": "get_image_info_tool", "arguments": json.dumps(args)}}]}
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copy(TASK, pytester.path / "image.task.yaml")
    pytester.makepyfile(looking_agent=LOOKING_AGENT)
    pytester.syspathinsert()
    return pytester


def run(project: pytest.Pytester, *args: str) -> dict:
    result = project.runpytest("-p", "no:cacheprovider", "--agent=looking_agent:look", "--ecom-report=report.json",
                               "image.task.yaml", *args)
    import json

    [trial] = json.loads((project.path / "report.json").read_text(encoding="utf-8"))["trials"]
    trial["stdout"] = result.stdout.str()
    return trial


def tool_answers(trial: dict) -> list[str]:
    return [e["content"] for e in trial["transcript"] if e["role"] == "tool"]


def test_without_a_vision_model_or_notes_the_agent_is_told_so(project):
    trial = run(project)
    [answer] = tool_answers(trial)
    assert "no vision model configured" in answer and "--vision-model" in answer
    assert trial["dimensions"]["outputs"]["passed"] is False  # the agent could not explain the picture


def test_the_tasks_image_notes_answer_offline(project):
    text = (project.path / "image.task.yaml").read_text(encoding="utf-8")
    notes = f"images:\n  {IMAGE}: 活动海报：晒图送吹风机\n"
    (project.path / "image.task.yaml").write_text(text.replace("expect:\n", notes + "expect:\n", 1), encoding="utf-8")
    trial = run(project)
    [answer] = tool_answers(trial)
    assert "活动海报：晒图送吹风机" in answer and IMAGE in answer
    assert trial["dimensions"]["outputs"]["passed"] is True
    assert trial["dimensions"]["state"]["passed"] is False  # notes change no data: the invoice was not issued


def test_a_vision_model_is_asked_through_litellm(project, stub):
    before = len(stub.requests)
    trial = run(project, "--vision-model=openai/stub-vision", f"--vision-base-url={stub.base_url}")
    [answer] = tool_answers(trial)
    assert "图片显示：晒图送吹风机" in answer
    assert trial["dimensions"]["outputs"]["passed"] is True
    [(path, body)] = stub.requests[before:]
    assert path.endswith("/chat/completions") and body["model"] == "stub-vision"
    parts = body["messages"][0]["content"]
    assert {"type": "image_url", "image_url": {"url": IMAGE}} in parts
    assert "--vision-model=openai/stub-vision" in trial["stdout"]  # the rerun command keeps it


def test_a_failing_vision_model_is_a_trial_error_not_a_failure(project, stub):
    trial = run(project, "--vision-model=openai/broken-vision", f"--vision-base-url={stub.base_url}")
    assert trial["outcome"] == "error"
    assert trial["error"]["source"] == "provider"
    assert trial["error"]["message"].startswith("get_image_info_tool: model openai/broken-vision")


def test_image_notes_must_be_keyed_by_links(project):
    text = (project.path / "image.task.yaml").read_text(encoding="utf-8")
    (project.path / "image.task.yaml").write_text(text.replace("expect:\n", "images:\n  poster.jpg: 海报\n"
                                                               "expect:\n", 1), encoding="utf-8")
    result = project.runpytest("-p", "no:cacheprovider", "--collect-only", "image.task.yaml")
    result.stdout.fnmatch_lines(["*image.task.yaml:*images*poster.jpg*"])
