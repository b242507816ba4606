"""How the stores read a call's arguments: ``ecom_bench`` as ECom-Bench's server (FastMCP + pydantic),
our own stores by our lenient rule.

ECom-Bench's server refuses ``313021098954`` for a string field ("Input should be a valid string")
and ignores keys a tool does not take; our stores coerce the number to ``"313021098954"`` and refuse
the key. Each store's rule belongs to its tools, so the generic tool set only asks them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.domains import Domain, load_domain
from pytest_ecom.domains.ecom_bench._arguments import REFERENCE_ARGUMENTS
from pytest_ecom.store import Store
from pytest_ecom.tools import LENIENT, ToolResult, ToolSet, tool

ROOT = Path(__file__).resolve().parents[1]
JD, SHOP = "jd", "5de650c946e7c3001814990f"
AT = {"platform": JD, "shop_id": SHOP}
URGENT = {**AT, "user_id": "cnjd喜哥2号", "order_id": "313021098954"}


@pytest.fixture(scope="module")
def ecom() -> Domain:
    return load_domain("ecom_bench", ROOT)


@pytest.fixture(scope="module")
def shop() -> Domain:
    return load_domain("home_appliances", ROOT)


def refused(domain: Domain, name: str, arguments: Any) -> ToolResult:
    store = domain.new_store()
    result = domain.tools.call(store, name, arguments)
    assert result.ok is False, result.content
    assert json.loads(result.content) == {"error": result.error}
    assert store.changed() == []
    return result


# -- the switch: a property of each store's tools ------------------------------------------------


def test_each_store_declares_its_rule_on_its_tools(ecom, shop):
    assert {t.arguments for t in ecom.tools} == {REFERENCE_ARGUMENTS}
    assert {t.arguments for t in shop.tools} == {LENIENT}
    assert {t.arguments for t in load_domain("seller_support", ROOT).tools} == {LENIENT}
    # what the agent is told matches: only our rule closes the schema
    assert all("additionalProperties" not in t.openai_schema()["function"]["parameters"] for t in ecom.tools)
    assert all(t.openai_schema()["function"]["parameters"]["additionalProperties"] is False for t in shop.tools)


def test_the_importer_s_tool_set_from_the_domain_s_tools_is_strict_too():
    """The importer replays golden actions on ``ToolSet(DOMAIN.tools)``: the rule travels with the tools."""
    from pytest_ecom.domains.ecom_bench import DOMAIN

    tools = ToolSet(DOMAIN.tools)
    result = tools.call(Store(load_domain("ecom_bench", ROOT).base), "manage_urgent_tool",
                        {**URGENT, "order_id": 313021098954})
    assert result.ok is False and "Input should be a valid string" in result.error


# -- ecom_bench: strict strings -------------------------------------------------------------------


def test_an_integer_id_is_refused_with_pydantic_s_message(ecom):
    result = refused(ecom, "manage_urgent_tool", {**URGENT, "order_id": 313021098954})
    assert result.error == (
        "Error executing tool manage_urgent_tool: 1 validation error for manage_urgent_toolArguments\n"
        "order_id\n"
        "  Input should be a valid string [type=string_type, input_value=313021098954, input_type=int]")
    assert result.arguments == {**URGENT, "order_id": 313021098954}  # as sent: nothing was coerced


def test_every_refusal_is_counted_and_named_in_the_message(ecom):
    result = refused(ecom, "manage_order_tool", {"platform": JD, "shop_id": 5, "action": "删除", "order_id": 1})
    lines = result.error.splitlines()
    assert lines[0] == "Error executing tool manage_order_tool: 4 validation errors for manage_order_toolArguments"
    assert lines[1::2] == ["shop_id", "user_id", "action", "order_id"]  # the schema's order
    assert lines[2].startswith("  Input should be a valid string [type=string_type, input_value=5")
    assert lines[4].startswith("  Field required [type=missing")
    assert lines[6].startswith("  Input should be '查询', '取消', '修改' or '增加' [type=literal_error")
    assert "For further information" not in result.error  # pydantic's link names its version: left out


@pytest.mark.parametrize(("name", "arguments", "field"), [
    ("get_user_info_tool", {"user_id": 42}, "user_id"),
    ("get_product_info_tool", {**AT, "product_id": 100112573665}, "product_id"),
    ("get_logistics_info_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": 313021098954.0}, "order_id"),
    ("manage_invoice_tool", {"title": "曹柔惠", "order_id": "316123105676", "phone_number": 11213348266,
                             "invoice_type": "个人发票"}, "phone_number"),
    ("get_user_info_tool", {"user_id": True}, "user_id"),
    ("get_user_info_tool", {"user_id": None}, "user_id"),
    ("compare_products_info_tool", {**AT, "product_ids": ["100112573665", 100042754736]}, "product_ids.1"),
    ("manage_order_tool", {**AT, "user_id": "cnjd18463287301_p", "action": "增加", "payment": "京东E卡",
                           "product_info_list": [{"product_id": 100039032355, "quantity": 1}]},
     "product_info_list.0.product_id"),
])
def test_a_string_field_takes_only_a_string(ecom, name, arguments, field):
    result = refused(ecom, name, arguments)
    assert f"\n{field}\n  Input should be a valid string [type=string_type" in result.error
    assert ecom.tools[name].problems(arguments) == [f"{field}: Input should be a valid string"]


def test_numbers_are_read_as_pydantic_reads_them(ecom):
    """Lax numbers, as in the reference: ``"3"`` is the integer 3, ``10`` the amount 10.0, 2.5 no quantity."""
    store = ecom.new_store()
    buy = {"platform": JD, "user_id": "cnjd18700806944_p", "shop_id": SHOP, "action": "余额使用",
           "product_id": "100138880716"}
    result = ecom.tools.call(store, "manage_ecard_tool", {**buy, "quantity": "3"})
    assert result.ok and result.arguments["quantity"] == 3
    result = ecom.tools.call(store, "manage_ecard_tool",
                             {"platform": JD, "user_id": "cnjd林韵佩", "action": "退款", "amount": 10})
    assert result.ok and result.arguments["amount"] == 10.0 and isinstance(result.arguments["amount"], float)
    error = refused(ecom, "manage_ecard_tool", {**buy, "quantity": 2.5}).error
    assert "quantity\n  Input should be a valid integer, got a number with a fractional part" in error


def test_a_list_sent_as_json_text_is_read_as_the_list(ecom):
    """FastMCP's pre-parsing: a string for a field that is not a string is read as JSON when it holds a
    list or an object; a string for a string field never is."""
    store = ecom.new_store()
    ids = json.dumps(["100112573665", "100042754736"])
    result = ecom.tools.call(store, "compare_products_info_tool", {**AT, "product_ids": ids})
    assert result.ok and result.arguments["product_ids"] == ["100112573665", "100042754736"]
    as_text = refused(ecom, "get_user_info_tool", {"user_id": '["x"]'})
    assert as_text.arguments == {"user_id": '["x"]'} and as_text.error.startswith("没有找到用户")  # the tool ran


# -- ecom_bench: unknown keys are ignored ---------------------------------------------------------


def test_an_extra_key_is_dropped_and_the_call_works(ecom):
    with_extra, plain = ecom.new_store(), ecom.new_store()
    result = ecom.tools.call(with_extra, "manage_urgent_tool", {**URGENT, "urgent": True, "备注": "尽快"})
    assert result.ok, result.content
    assert result.arguments == URGENT  # as executed: the tool never saw the extra keys
    assert ecom.tools.call(plain, "manage_urgent_tool", URGENT).ok
    assert with_extra.changed() == [("orders", JD)] and with_extra.diff_keys(plain) == []


def test_an_extra_key_does_not_hide_a_real_problem(ecom):
    result = refused(ecom, "manage_urgent_tool", {**URGENT, "order_id": 1, "urgent": True})
    assert result.arguments == {**URGENT, "order_id": 1}  # the extra key is not reported as sent-and-used
    assert "urgent" not in result.error.splitlines()[1:]


def test_nested_objects_ignore_extra_keys_too(ecom):
    store = ecom.new_store()
    line = {"product_id": "100039032355", "quantity": 1, "颜色": "白"}
    result = ecom.tools.call(store, "manage_order_tool", {**AT, "user_id": "cnjd18463287301_p", "action": "增加",
                                                          "payment": "京东E卡", "product_info_list": [line]})
    assert result.ok and result.arguments["product_info_list"] == [{"product_id": "100039032355", "quantity": 1}]


# -- our own stores stay lenient ----------------------------------------------------------------------


def test_home_appliances_still_coerces_an_integer_id(shop):
    store = shop.new_store()
    result = shop.tools.call(store, "get_order", {"order_id": 100234})
    assert result.arguments == {"order_id": "100234"}  # coerced, then the tool ran: no such order
    assert result.error == "order '100234' not found; check the id with list_user_orders"
    found = shop.tools.call(store, "get_order", {"order_id": 100236})
    assert found.ok and json.loads(found.content)["order_id"] == "100236"
    assert shop.tools["get_order"].normalize({"order_id": 100234}) == {"order_id": "100234"}


def test_home_appliances_still_refuses_an_unknown_key(shop):
    result = refused(shop, "get_order", {"order_id": "100236", "verbose": True})
    assert result.error.startswith("invalid arguments: ") and "'verbose' was unexpected" in result.error


def test_other_rules_are_a_tool_s_own_choice():
    """A tool may be given any rules; the tool set only asks them."""
    from pytest_ecom.tools import ArgumentRules, Checked

    class Shout(ArgumentRules):
        refuses_unknown_keys = False

        def compile(self, name, schema):
            return lambda args: Checked({k: str(v).upper() for k, v in args.items() if k == "word"})

    @tool(writes=False, parameters={"properties": {"word": {"type": "string"}}}, arguments=Shout())
    def echo(store, word="none"):
        return {"word": word}

    tools = ToolSet([echo])
    result = tools.call(Store({}), "echo", {"word": 7, "other": 1})
    assert result.ok and json.loads(result.content) == {"word": "7"}
    assert "additionalProperties" not in echo.parameters
