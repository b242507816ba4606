"""Tool calls: bad input from an agent is a readable error result, never an exception."""

from __future__ import annotations

import json

import pytest

from pytest_ecom.domains import Domain
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolSet, normalize_arguments, tool


@pytest.fixture
def tools(mini_domain: Domain) -> ToolSet:
    return mini_domain.tools


@pytest.fixture
def store(mini_domain: Domain) -> Store:
    return mini_domain.new_store()


def error_of(result) -> str:
    assert result.ok is False, result.content
    assert json.loads(result.content) == {"error": result.error}  # what the agent reads is JSON
    return result.error


def test_a_good_call_returns_json_content(tools, store):
    result = tools.call(store, "get_order", {"order_id": "100003"})
    assert result.ok and result.error is None
    assert json.loads(result.content)["shipping"]["tracking"] == "TRK42"


def test_unknown_tool_lists_the_available_ones(tools, store):
    message = error_of(tools.call(store, "refund_order", {"order_id": "100001"}))
    assert "unknown tool 'refund_order'" in message
    assert "get_order" in message and "cancel_order" in message


def test_missing_required_argument(tools, store):
    message = error_of(tools.call(store, "get_order", {}))
    assert "invalid arguments" in message and "'order_id' is a required property" in message


def test_wrong_type_names_the_argument(tools, store):
    message = error_of(tools.call(store, "get_order", {"order_id": ["100001"]}))
    assert message.startswith("invalid arguments: order_id:")
    assert "is not of type 'string'" in message


def test_a_boolean_is_not_coerced_into_a_string(tools, store):
    assert "order_id" in error_of(tools.call(store, "get_order", {"order_id": True}))


def test_unknown_argument_is_named(tools, store):
    message = error_of(tools.call(store, "get_order", {"order_id": "100001", "verbose": True}))
    assert "'verbose' was unexpected" in message


def test_value_outside_the_enum(tools, store):
    message = error_of(tools.call(store, "cancel_order", {"order_id": "100001", "reason": "bored"}))
    assert "reason" in message and "'bored' is not one of" in message
    assert store.changed() == []


@pytest.mark.parametrize("arguments", ['{"order_id": "100001"', "order_id=100001", "{'order_id': '100001'}"])
def test_arguments_that_are_not_json(tools, store, arguments):
    message = error_of(tools.call(store, "get_order", arguments))
    assert "not valid JSON" in message


@pytest.mark.parametrize("arguments", ['["100001"]', '"100001"', "42"])
def test_json_arguments_that_are_not_an_object(tools, store, arguments):
    assert "must be a JSON object" in error_of(tools.call(store, "get_order", arguments))


def test_json_string_arguments_are_parsed(tools, store):
    result = tools.call(store, "get_order", '{"order_id": "100002"}')
    assert result.ok and json.loads(result.content)["order_id"] == "100002"


@pytest.mark.parametrize("arguments", ["", "   ", None])
def test_empty_arguments_mean_no_arguments(tools, store, arguments):
    assert "'order_id' is a required property" in error_of(tools.call(store, "get_order", arguments))


def test_a_tool_refusal_is_an_error_result_and_changes_nothing(tools, store):
    message = error_of(tools.call(store, "cancel_order", {"order_id": "100003"}))
    assert message == "order 100003 cannot be cancelled: it is shipped"
    message = error_of(tools.call(store, "get_order", {"order_id": "999999"}))
    assert message == "no order 999999"
    assert store.changed() == []


def test_a_number_is_coerced_to_the_declared_string(tools, store):
    as_number = tools.call(store, "get_order", {"order_id": 100001})
    as_string = tools.call(store, "get_order", {"order_id": "100001"})
    assert as_number.ok and as_number.arguments == {"order_id": "100001"}
    assert as_number.content == as_string.content


def test_defaults_are_filled_before_the_call(tools, store):
    result = tools.call(store, "cancel_order", {"order_id": "100001"})
    assert result.ok
    assert result.arguments == {"order_id": "100001", "reason": "no_longer_needed"}
    assert store.get("orders", "100001")["history"][-1] == {"event": "cancelled", "reason": "no_longer_needed"}


@tool(writes=True, parameters={
    "properties": {
        "quantity": {"type": "integer"},
        "price": {"type": "number"},
        "gift": {"type": "boolean"},
        "skus": {"type": "array", "items": {"type": "string"}},
        "labels": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "note": {"type": "string", "default": "none"},
    },
    "required": ["quantity"],
})
def set_quantity(store, quantity, note, price=None, gift=None, skus=None, labels=None):
    """Echo the arguments as the tool received them."""
    return {"quantity": quantity, "price": price, "gift": gift, "skus": skus, "note": note, "labels": labels}


@pytest.fixture
def typed() -> ToolSet:
    return ToolSet([set_quantity])


def test_scalars_are_coerced_losslessly(typed):
    result = typed.call(Store({}), "set_quantity",
                        {"quantity": " 3 ", "price": "2.50", "gift": "TRUE", "skus": [100001, "k2"]})
    assert result.ok, result.content
    assert json.loads(result.content) == {"quantity": 3, "price": 2.5, "gift": True, "skus": ["100001", "k2"],
                                          "note": "none", "labels": None}
    assert typed.call(Store({}), "set_quantity", {"quantity": 4.0}).arguments["quantity"] == 4


def test_arrays_keep_their_order_unless_declared_sets(typed):
    result = typed.call(Store({}), "set_quantity", {"quantity": 1, "skus": ["k2", "k1"], "labels": ["b", 3, "a"]})
    assert result.ok, result.content
    assert result.arguments["skus"] == ["k2", "k1"]
    assert result.arguments["labels"] == ["3", "a", "b"]  # uniqueItems: a set, compared sorted
    duplicate = typed.call(Store({}), "set_quantity", {"quantity": 1, "labels": ["a", "a"]})
    assert "non-unique" in error_of(duplicate)


@pytest.mark.parametrize("value", ["2.5", "three", 2.5, "", "1e3"])
def test_lossy_coercion_is_refused_as_a_type_error(typed, value):
    message = error_of(typed.call(Store({}), "set_quantity", {"quantity": value}))
    assert "quantity" in message and "is not of type 'integer'" in message


@pytest.mark.parametrize("value", ["--5", "²"])
def test_odd_numeric_strings_are_an_error_result_not_an_exception(typed, value):
    """``"--5".lstrip("-").isdigit()`` and ``"²".isdigit()`` are true, but int() rejects them:
    that must reach the agent as a tool error, not crash the trial."""
    result = typed.call(Store({}), "set_quantity", {"quantity": value})
    assert "quantity" in error_of(result)


def test_normalize_arguments_keeps_unknown_keys_and_recurses_into_objects():
    schema = {"properties": {"address": {"type": "object", "properties": {"zip": {"type": "string"},
                                                                          "floor": {"type": "integer", "default": 0}}}}}
    assert normalize_arguments(schema, {"address": {"zip": 12345}, "extra": 1}) == {
        "address": {"zip": "12345", "floor": 0}, "extra": 1}


def test_tool_definitions_are_openai_functions_that_forbid_extra_arguments(tools):
    by_name = {s["function"]["name"]: s for s in tools.schemas()}
    assert list(by_name) == ["get_user", "get_order", "cancel_order", "change_address"]
    cancel = by_name["cancel_order"]
    assert cancel["type"] == "function"
    assert cancel["function"]["description"] == "Cancel an order that has not shipped yet."
    assert cancel["function"]["parameters"]["additionalProperties"] is False
    assert cancel["function"]["parameters"]["required"] == ["order_id"]
    assert [t.writes for t in tools] == [False, False, True, True]


def test_tool_names_are_unique_in_a_tool_set():
    with pytest.raises(ValueError, match="duplicate tool name 'set_quantity'"):
        ToolSet([set_quantity, set_quantity])


def test_an_invalid_parameter_schema_is_refused_when_the_tool_is_defined():
    from jsonschema.exceptions import SchemaError

    with pytest.raises(SchemaError):
        tool(writes=False, parameters={"properties": {"x": {"type": "strin"}}})(lambda store, x: x)


def test_agents_get_tool_definitions_without_our_annotations():
    from pytest_ecom.tools import ToolSet, tool

    @tool(writes=True, parameters={"properties": {"note": {"type": "string", "x-free-text": True}},
                                   "required": ["note"]})
    def leave_note(store, note):
        """Leave a note."""
        return {"ok": True}

    [schema] = ToolSet([leave_note]).schemas()
    assert schema["function"]["parameters"]["properties"]["note"] == {"type": "string"}
    assert leave_note.parameters["properties"]["note"]["x-free-text"] is True  # the checks still see it


# -- how `pytest-ecom tools` shows arguments (pytest_ecom.tools.describe) ---------------------

@pytest.mark.parametrize(("schema", "shown"), [
    ({"type": "string"}, "string"),
    ({"type": "string", "enum": ["a", "b"]}, '"a" | "b"'),
    ({"enum": [1, 2]}, "1 | 2"),
    ({"const": True}, "true"),
    ({"type": ["string", "null"]}, "string or null"),
    ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "integer or null"),
    ({"type": "array", "items": {"type": "string", "enum": ["x"]}}, 'list of "x"'),
    ({"type": "object", "properties": {"a": {}, "b": {}}}, "object {a, b}"),
    ({"$ref": "#/$defs/Kind"}, '"big" | "small"'),
    ({}, "any"),
])
def test_argument_types_are_shown_in_words(schema, shown):
    from pytest_ecom.tools.describe import type_of

    assert type_of(schema, {"Kind": {"enum": ["big", "small"]}}) == shown


def test_argument_lines_mark_required_ones_and_show_limits_and_defaults():
    from pytest_ecom.tools.describe import argument_lines, signature

    @tool(writes=False, parameters={"properties": {
        "qty": {"type": "integer", "minimum": 1, "maximum": 9, "description": "how  many\n items"},
        "note": {"type": "string", "default": "none", "x-free-text": True}}, "required": ["qty"]})
    def pick(store, qty, note="none"):
        return {}

    assert signature(pick) == "pick(qty*, note)"
    assert argument_lines(pick) == ["qty*: integer, >= 1, <= 9 — how many items",
                                    'note: string, default "none", free text']
