"""Shared pieces of the home-appliance shop's tools: the fixed clock, argument
schemas used by many tools, and "get it or refuse" helpers.

The shop lives on a fixed date (:data:`TODAY`) so that a task's outcome never
depends on the day the benchmark runs.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError, need_record

TODAY = date(2026, 3, 10)

# Order lifecycle. Before shipping, an order can still be changed or cancelled.
BEFORE_SHIPPING = ("pending_payment", "paid", "processing")
STATUSES = (*BEFORE_SHIPPING, "shipped", "delivered", "cancelled", "returned", "exchange_requested")
CATEGORIES = (
    "kettle", "blender", "microwave", "refrigerator", "washer", "dishwasher", "air_conditioner", "robot_vacuum",
)

REFUND_TIME = "5-7 business days"

# -- argument schemas ------------------------------------------------------------

ORDER_ID = {"type": "string", "pattern": r"^[0-9]{6}$", "description": 'Order id: six digits, e.g. "100231".'}
USER_ID = {"type": "string", "pattern": r"^u_[0-9]{4}$", "description": 'Customer id, e.g. "u_1001".'}
PRODUCT_ID = {
    "type": "string",
    "pattern": r"^p_[a-z0-9_]+$",
    "description": 'Product id, e.g. "p_kettle_2l" (search_products finds ids by name).',
}
PHONE = {
    "type": "string",
    "pattern": r"^\+?[0-9][0-9 ()-]{6,19}$",
    "description": 'Phone number, digits with optional +, spaces, dashes or brackets, e.g. "+1 217-555-0101".',
}


# -- look-ups that refuse ---------------------------------------------------------


def user_or_error(store: Store, user_id: str) -> dict[str, Any]:
    return need_record(store, "users", user_id, "customer", "check the customer id")


def order_or_error(store: Store, order_id: str) -> dict[str, Any]:
    return need_record(store, "orders", order_id, "order", "check the id with list_user_orders")


def product_or_error(store: Store, product_id: str) -> dict[str, Any]:
    return need_record(store, "products", product_id, "product", "find product ids with search_products")


def owned_order_or_error(store: Store, user_id: str, order_id: str) -> dict[str, Any]:
    """The order, refusing when it belongs to another customer."""
    user_or_error(store, user_id)
    order = order_or_error(store, order_id)
    if order["user_id"] != user_id:
        raise ToolError(f"order {order_id} does not belong to customer {user_id}")
    return order


def require_status(order_id: str, order: dict[str, Any], allowed: tuple[str, ...], action: str) -> None:
    """Refuse ``action`` (e.g. "cancel") unless the order's status is one of ``allowed``."""
    if order["status"] not in allowed:
        options = allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"
        raise ToolError(f"cannot {action}: order {order_id} is {order['status']}; "
                        f"this is only possible when it is {options}")


# -- money and dates --------------------------------------------------------------


def money(value: float) -> float:
    """Round to cents (also turns -0.0 into 0.0)."""
    return round(float(value), 2) + 0.0


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ToolError(f"{text!r} is not a valid date; use YYYY-MM-DD") from None


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def days_since(text: str | None) -> int | None:
    return None if text is None else (TODAY - parse_day(text)).days


def warranty_until(order: dict[str, Any], product: dict[str, Any]) -> date | None:
    """Warranty end, counted from delivery (None while the order is not delivered)."""
    if order.get("delivered_date") is None:
        return None
    return add_months(parse_day(order["delivered_date"]), int(product["warranty_months"]))


def paid_by_card(order: dict[str, Any]) -> float:
    """What the customer paid with the original payment method (not the gift card)."""
    pay = order["payment"]
    return money(order["total"] - pay["gift_card_used"] - pay["amount_due"])


def gift_card_refundable(order: dict[str, Any]) -> float:
    pay = order["payment"]
    return money(pay["gift_card_used"] - pay["gift_card_refunded"])
