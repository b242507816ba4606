"""Shared pieces of the ECom-Bench tools: look-ups in the nested tables and the tool decorator.

The store keeps ECom-Bench's tables as they are. ``users_info`` and ``invoices`` are keyed by
user id and order id; every other table is nested ``platform → shop_id → …`` and its records
are whole platforms: ``store.get("orders", "jd")`` is the jd subtree. A write therefore takes
the platform with ``store.edit`` (a private copy) and changes it in place.

Refusals keep the reference's wording (Chinese, like the store) and add what to do next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_ecom.domains.ecom_bench._arguments import REFERENCE_ARGUMENTS
from pytest_ecom.domains.ecom_bench._schemas import TOOL_SPECS
from pytest_ecom.store import Store
from pytest_ecom.tools import Tool, ToolError, tool

# An order may be cancelled, changed or exchanged only in these states (the policy's rule; the
# reference tools themselves do not check it, so neither do ours: judging it is the agent's job).
BEFORE_SHIPPING = ("待付款", "已付款", "处理中")

NEW_ORDER_ID = "1234567890"  # the reference gives every order it creates this id


def reference_tool(name: str, *, writes: bool) -> Callable[[Callable[..., Any]], Tool]:
    """``@tool`` with the reference's served name, description and argument schema, reading its
    arguments as the reference's server does (``_arguments.py``: strict strings, unknown keys
    ignored; the schema served is therefore not closed, as in the reference)."""
    spec = TOOL_SPECS[name]
    return tool(writes=writes, name=name, description=spec["description"], parameters=spec["parameters"],
                arguments=REFERENCE_ARGUMENTS)


def _walk(tree: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def nested_get(store: Store, table: str, platform: str, *keys: str) -> Any:
    """``table[platform][keys...]`` or None. Do not mutate what it returns."""
    return _walk(store.get(table, platform), keys)


def nested_edit(store: Store, table: str, platform: str, *keys: str) -> dict[str, Any]:
    """A private, mutable ``table[platform][keys...]``, creating missing levels as empty objects."""
    if store.get(table, platform) is None:
        store.put(table, platform, {})
    node = store.edit(table, platform)
    for key in keys:
        node = node.setdefault(key, {})
    return node


# -- look-ups that refuse ---------------------------------------------------------


def user_or_error(store: Store, user_id: str) -> dict[str, Any]:
    user = store.get("users_info", user_id)
    if not user:
        raise ToolError(f"没有找到用户{user_id}的信息（请核对user_id）")
    return user


def order_or_error(store: Store, platform: str, shop_id: str, user_id: str, order_id: str | None) -> dict[str, Any]:
    if order_id is None:
        raise ToolError("缺少order_id（订单ID），请先用get_user_orders_info_tool查询用户的订单ID")
    order = nested_get(store, "orders", platform, shop_id, user_id, order_id)
    if not order:
        raise ToolError(f"没有找到{platform}店铺{shop_id}用户{user_id}订单{order_id}"
                        "（请核对platform、shop_id、user_id和order_id；get_user_orders_info_tool可列出用户的订单ID）")
    return order


def product_or_error(store: Store, platform: str, shop_id: str, product_id: str, *, digits: bool = True) -> dict:
    """The product record; ``digits``: refuse ids that are not all digits, as the reference's reads do."""
    if digits and not product_id.isdigit():
        raise ToolError(f"商品ID{product_id}格式错误，应该为数字")
    product = nested_get(store, "products", platform, shop_id, product_id)
    if not product:
        raise ToolError(f"没有找到{platform}店铺{shop_id}的商品{product_id}的信息（请核对商品ID，可从订单详情中获取）")
    return product


def product_base(product: dict[str, Any]) -> dict[str, Any]:
    return {"商品ID": product["商品ID"], "商品名称": product["商品名称"]}


def product_summary(product: dict[str, Any]) -> dict[str, Any]:
    """What the reference's product detail shows (exchange list, gifts, manuals have their own tools)."""
    return {key: product[key] for key in ("商品ID", "商品名称", "商品状态", "商品价格", "商品描述")}
