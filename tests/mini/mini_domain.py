"""A tiny self-contained shop for pytest-ecom's own tests: two reads, two writes.

The writes edit nested values (a list inside an order, a dict inside a dict) so
that copy-on-write isolation is exercised by every trial.
"""

from __future__ import annotations

from typing import Any

from pytest_ecom.domains import DomainSpec
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError, tool

ORDER_ID = {"type": "string", "description": "six-digit order number"}


def _order(store: Store, order_id: str) -> dict[str, Any]:
    order = store.get("orders", order_id)
    if order is None:
        raise ToolError(f"no order {order_id}")
    return order


@tool(writes=False, parameters={"properties": {"user_id": {"type": "string"}}, "required": ["user_id"]})
def get_user(store: Store, user_id: str) -> dict[str, Any]:
    """Look up a customer and the ids of their orders."""
    user = store.get("users", user_id)
    if user is None:
        raise ToolError(f"no user {user_id}")
    return {"user_id": user_id, **user}


@tool(writes=False, parameters={"properties": {"order_id": ORDER_ID}, "required": ["order_id"]})
def get_order(store: Store, order_id: str) -> dict[str, Any]:
    """Look up an order: status, items, shipping address and history."""
    return {"order_id": order_id, **_order(store, order_id)}


@tool(writes=True, parameters={
    "properties": {
        "order_id": ORDER_ID,
        "reason": {"type": "string", "enum": ["no_longer_needed", "ordered_by_mistake"], "default": "no_longer_needed"},
    },
    "required": ["order_id"],
})
def cancel_order(store: Store, order_id: str, reason: str) -> dict[str, Any]:
    """Cancel an order that has not shipped yet."""
    status = _order(store, order_id)["status"]
    if status != "paid":
        raise ToolError(f"order {order_id} cannot be cancelled: it is {status}")
    order = store.edit("orders", order_id)
    order["status"] = "cancelled"
    order["history"].append({"event": "cancelled", "reason": reason})  # nested list edit
    return {"order_id": order_id, "status": "cancelled"}


@tool(writes=True, parameters={
    "properties": {"order_id": ORDER_ID, "street": {"type": "string"}, "city": {"type": "string"}},
    "required": ["order_id", "street", "city"],
})
def change_address(store: Store, order_id: str, street: str, city: str) -> dict[str, Any]:
    """Change the shipping address of an order that has not shipped yet."""
    if _order(store, order_id)["status"] != "paid":
        raise ToolError(f"order {order_id} has left the warehouse; its address cannot change")
    address = store.edit("orders", order_id)["shipping"]["address"]  # nested dict edit
    address["street"] = street
    address["city"] = city
    return {"order_id": order_id, "address": dict(address)}


DOMAIN = DomainSpec("mini", (get_user, get_order, cancel_order, change_address))
