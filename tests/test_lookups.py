"""Reads through tools that can write, and lookups: what importing ECom-Bench's tasks needs.

Uses the committed ecom_bench store (ECom-Bench's own data)."""

from __future__ import annotations

import textwrap

import pytest

from pytest_ecom.prepare.task import load_prepared
from pytest_ecom.spec import SpecError

CONTEXT = {"platform": "jd", "shop_id": "5de650c946e7c3001814990f", "user_id": "cnjd喜哥2号"}
ORDER = "313271663680"


def _task(tmp_path, expect: str, goal: str = f"你想查询订单{ORDER}的状态，如果没有发货就取消。"):
    text = textwrap.dedent(f"""\
        schema_version: 1
        id: lookup_probe
        scenario: ecombench_probe
        language: zh
        store: ecom_bench
        customer:
          persona: ecom_bench_customer
          goal: "{goal}"
          script: ["{goal}"]
        agent: {{platform: jd, shop_id: "{CONTEXT['shop_id']}", user_id: "{CONTEXT['user_id']}"}}
        """) + textwrap.dedent(expect)
    path = tmp_path / "lookup_probe.task.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _call(tool: str, **extra: str) -> str:
    args = {**CONTEXT, **extra}
    return f"    - {tool}: {{{', '.join(f'{k}: {v!r}' for k, v in args.items())}}}\n"


def test_a_search_may_use_a_tool_that_writes_when_this_call_only_reads(tmp_path):
    path = _task(tmp_path, "expect:\n  searches:\n" + _call("manage_order_tool", order_id=ORDER, action="查询"))
    prepared = load_prepared(path)
    assert prepared.searches[0][0] == "manage_order_tool"


def test_a_search_that_writes_is_still_refused(tmp_path):
    path = _task(tmp_path, "expect:\n  searches:\n" + _call("manage_order_tool", order_id=ORDER, action="取消"))
    with pytest.raises(SpecError, match="manage_order_tool changes the store here"):
        load_prepared(path)


def test_lookups_supply_values_without_being_scored(tmp_path):
    other = "313021098954"  # an order of this user that the goal never names
    cancel = "  actions:\n" + _call("manage_urgent_tool", order_id=other)
    goal = "你想让客服把你最近的订单加急。"
    with pytest.raises(SpecError, match=f"needs order_id='{other}', but nothing the agent can see supplies it"):
        load_prepared(_task(tmp_path, "expect:\n" + cancel, goal))
    lookups = "  lookups:\n" + _call("get_user_orders_info_tool")
    prepared = load_prepared(_task(tmp_path, "expect:\n" + cancel + lookups, goal))
    assert prepared.searches == ()  # a lookup is not a required search
    assert prepared.actions[0][0] == "manage_urgent_tool"
