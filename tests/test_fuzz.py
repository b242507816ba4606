"""Fuzzing the three doors hostile input comes through: task files, tool arguments, agent replies.

Deterministic (``derandomize``), so CI sees the same inputs every run; the fixed regression
files for each class of input live in tests/data/hostile/ and in test_hostile_*.py.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_ecom import run_trial
from pytest_ecom.domains import load_domain
from pytest_ecom.prepare.task import prepare
from pytest_ecom.spec import SpecError
from pytest_ecom.spec.yaml_io import read_yaml
from pytest_ecom.spec.loader import parse_model
from pytest_ecom.spec.models import Task

ROOT = Path(__file__).resolve().parents[1]
KETTLE = ROOT / "tasks/home_appliances/returns/damaged_kettle.task.yaml"
DOMAIN = load_domain("home_appliances", KETTLE.parent)
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=400,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Text with what breaks parsers: surrogates, NUL, controls, YAML's own punctuation, long runs.
nasty_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40) | st.sampled_from(
    ["\ud83d", "\x00", "\x1b[31m", "&a", "*a", "!!python/object", "? [a, b]", "{", "[" * 50, "9" * 5000, ".inf"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | nasty_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4),
    max_leaves=20)


def _check_task_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        prepare(parse_model(path, Task), path)
    except SpecError as exc:
        assert exc.format(path.parent)  # a clean error says something


@FUZZ
@given(field=st.sampled_from(["id", "description", "store", "customer", "expect", "limits", "tags", "agent"]),
       value=json_values)
def test_a_task_with_any_value_in_any_field_gives_a_task_or_a_clean_error(tmp_path_factory, field, value):
    task = read_yaml(KETTLE)
    task[field] = value
    path = tmp_path_factory.mktemp("fuzz") / "x.task.yaml"
    _check_task_text(path, yaml.safe_dump(task, allow_unicode=True))


@FUZZ
@given(text=st.text(st.sampled_from(list("ab:-[]{}&*!?|>'\"#%@` \n\t0123456789")), max_size=200))
def test_any_yaml_text_gives_a_task_or_a_clean_error(tmp_path_factory, text):
    _check_task_text(tmp_path_factory.mktemp("fuzz") / "x.task.yaml", text)


@FUZZ
@given(name=st.sampled_from(DOMAIN.tools.names()) | nasty_text, arguments=json_values | nasty_text)
def test_any_tool_arguments_give_a_result_never_an_exception(name, arguments):
    store = DOMAIN.new_store()
    shown = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    result = DOMAIN.tools.call(store, name, shown)
    assert isinstance(result.content, str)
    json.loads(result.content)  # the agent always gets JSON back


replies = json_values | st.builds(lambda calls: {"role": "assistant", "content": None, "tool_calls": calls},
                                  st.lists(st.fixed_dictionaries({"id": nasty_text, "type": st.just("function"),
                                                                  "function": st.fixed_dictionaries(
                                                                      {"name": nasty_text,
                                                                       "arguments": nasty_text})}), max_size=2))


@settings(FUZZ, max_examples=150)
@given(reply=replies)
def test_any_agent_reply_gives_a_scored_record_safe_to_write(reply):
    def agent(messages, tools, context):
        return reply

    record = asyncio.run(run_trial(KETTLE, agent))
    assert record["outcome"] in ("pass", "fail")  # whatever the agent said is its own doing
    json.dumps(record, ensure_ascii=False).encode("utf-8")  # no surrogate, nothing unwritable
