"""Read-only tools of the home-appliance shop: customers, orders, shipping,
catalogue, promotions, service information and gift cards."""

from __future__ import annotations

from typing import Any

from pytest_ecom.domains.home_appliances._common import (
    CATEGORIES,
    ORDER_ID,
    PRODUCT_ID,
    TODAY,
    USER_ID,
    days_since,
    money,
    order_or_error,
    product_or_error,
    user_or_error,
    warranty_until,
)
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError, tool

# -- customers and orders --------------------------------------------------------


@tool(writes=False, parameters={"properties": {"user_id": USER_ID}, "required": ["user_id"]})
def get_user(store: Store, user_id: str) -> dict[str, Any]:
    """Get a customer's profile: name, phone, email, default address and membership level (regular, silver, gold)."""
    return {"user_id": user_id, **user_or_error(store, user_id)}


@tool(writes=False, parameters={"properties": {"user_id": USER_ID}, "required": ["user_id"]})
def list_user_orders(store: Store, user_id: str) -> list[dict[str, Any]]:
    """List a customer's orders, oldest first: order id, status, order date, total and item names.

    Use get_order for the full details of one order.
    """
    user_or_error(store, user_id)
    return [
        {"order_id": key, "status": o["status"], "order_date": o["order_date"], "total": o["total"],
         "items": [i["name"] for i in o["items"]]}
        for key, o in store.records("orders")
        if o["user_id"] == user_id
    ]


@tool(writes=False, parameters={"properties": {"order_id": ORDER_ID}, "required": ["order_id"]})
def get_order(store: Store, order_id: str) -> dict[str, Any]:
    """Get one order in full: owner (user_id), status, items, total, shipping address and phone, dates,
    whether it is expedited, and payment (method, gift_card_used, gift_card_refunded, amount_due).

    Also reports days_since_delivery (today is 2026-03-10) for delivered orders.
    Statuses: pending_payment, paid, processing, shipped, delivered, cancelled, returned, exchange_requested.
    """
    order = order_or_error(store, order_id)
    return {"order_id": order_id, **order, "days_since_delivery": days_since(order.get("delivered_date"))}


@tool(writes=False, parameters={"properties": {"order_id": ORDER_ID}, "required": ["order_id"]})
def get_logistics(store: Store, order_id: str) -> dict[str, Any]:
    """Get the shipment of an order: carrier, tracking number, shipping status, estimated delivery date
    and the tracking events. Orders that have not shipped yet have no tracking information.
    """
    order = order_or_error(store, order_id)
    shipment = store.get("logistics", order_id)
    if shipment is None:
        return {"order_id": order_id, "order_status": order["status"], "shipped": False,
                "message": "this order has not been handed to a carrier, so there is no tracking information"}
    return {"order_id": order_id, "order_status": order["status"], "shipped": True, **shipment}


@tool(writes=False, parameters={"properties": {"order_id": ORDER_ID}, "required": ["order_id"]})
def get_invoice(store: Store, order_id: str) -> dict[str, Any]:
    """Get the invoice issued for an order, or issued: false when there is none yet."""
    order_or_error(store, order_id)
    invoice = store.get("invoices", order_id)
    if invoice is None:
        return {"order_id": order_id, "issued": False}
    return {"issued": True, **invoice}


@tool(writes=False, parameters={"properties": {"user_id": USER_ID}, "required": ["user_id"]})
def get_gift_card_balance(store: Store, user_id: str) -> dict[str, Any]:
    """Get a customer's gift-card balance and its history (top-ups, payments, refunds, cashback)."""
    user_or_error(store, user_id)
    card = store.get("gift_cards", user_id) or {"balance": 0.0, "history": []}
    return {"user_id": user_id, **card}


# -- catalogue and promotions ------------------------------------------------------


def _summary(product_id: str, p: dict[str, Any]) -> dict[str, Any]:
    return {"product_id": product_id, "name": p["name"], "category": p["category"], "brand": p["brand"],
            "price": p["price"], "in_stock": p["stock"] > 0}


@tool(writes=False, parameters={"properties": {"product_id": PRODUCT_ID}, "required": ["product_id"]})
def get_product(store: Store, product_id: str) -> dict[str, Any]:
    """Get a product: name, category, brand, price, specs, whether it needs professional installation,
    warranty in months and units in stock."""
    return {"product_id": product_id, **product_or_error(store, product_id)}


@tool(
    writes=False,
    parameters={
        "properties": {
            "query": {"type": "string", "minLength": 1,
                      "description": "Words to find in the product name or brand, e.g. 'front-load washer'. "
                                     "Every word must match."},
            "category": {"type": "string", "enum": list(CATEGORIES), "description": "Only this category."},
        },
    },
)
def search_products(store: Store, query: str | None = None, category: str | None = None) -> list[dict[str, Any]]:
    """Find products by words in their name or brand and/or by category. Give query, category or both.

    Returns product id, name, category, brand, price and whether it is in stock.
    """
    if query is None and category is None:
        raise ToolError("give a query, a category or both")
    words = (query or "").lower().replace(",", " ").split()
    found = []
    for key, p in store.records("products"):
        text = f"{p['name']} {p['brand']} {p['category'].replace('_', ' ')} {key}".lower()
        if (category is None or p["category"] == category) and all(w in text for w in words):
            found.append(_summary(key, p))
    return found


@tool(
    writes=False,
    parameters={
        "properties": {
            "product_ids": {"type": "array", "items": PRODUCT_ID, "minItems": 2, "maxItems": 4, "uniqueItems": True,
                            "description": "2 to 4 different product ids."},
        },
        "required": ["product_ids"],
    },
)
def compare_products(store: Store, product_ids: list[str]) -> dict[str, Any]:
    """Compare 2 to 4 products side by side: price, brand, warranty, installation need, stock and specs."""
    rows = []
    for pid in product_ids:
        p = product_or_error(store, pid)
        rows.append({**_summary(pid, p), "warranty_months": p["warranty_months"],
                     "needs_installation": p["needs_installation"], "specs": p["specs"]})
    return {"products": rows, "same_category": len({r["category"] for r in rows}) == 1}


def _applies(promo: dict[str, Any], product_id: str, product: dict[str, Any]) -> bool:
    scope = promo["applies_to"]
    return product_id in scope.get("products", ()) or product["category"] in scope.get("categories", ())


@tool(writes=False, parameters={"properties": {"product_id": PRODUCT_ID}, "required": ["product_id"]})
def get_discounts(store: Store, product_id: str) -> dict[str, Any]:
    """Get the promotions valid today (2026-03-10) for a product: title, promo code (null when applied
    automatically), the price after the promotion, whether it is for gold members only, and until when it runs.
    """
    p = product_or_error(store, product_id)
    today = TODAY.isoformat()
    promos = []
    for promo_id, promo in store.records("discounts"):
        if not (_applies(promo, product_id, p) and promo["valid_from"] <= today <= promo["valid_until"]):
            continue
        cut = p["price"] * promo["value"] / 100 if promo["kind"] == "percent_off" else promo["value"]
        promos.append({"promo_id": promo_id, "title": promo["title"], "code": promo["code"],
                       "members_only": promo["members_only"], "valid_until": promo["valid_until"],
                       "price_after": money(p["price"] - cut)})
    return {"product_id": product_id, "price": p["price"], "promotions": promos}


@tool(writes=False, parameters={"properties": {"product_id": PRODUCT_ID}, "required": ["product_id"]})
def get_gifts(store: Store, product_id: str) -> dict[str, Any]:
    """Get the free gifts that come with a product today (2026-03-10) and the condition for getting them."""
    product_or_error(store, product_id)
    offer = store.get("gifts", product_id)
    if offer is None or offer["valid_until"] < TODAY.isoformat():
        return {"product_id": product_id, "gifts": [], "message": "no gift comes with this product at the moment"}
    return {"product_id": product_id, **offer}


# -- installation, repair and fault codes -----------------------------------------


@tool(writes=False, parameters={"properties": {"product_id": PRODUCT_ID}, "required": ["product_id"]})
def get_installation_info(store: Store, product_id: str) -> dict[str, Any]:
    """Get the installation service for a product: whether it needs professional installation, the fee,
    what is and is not included, the lead time in days and how long the visit takes."""
    p = product_or_error(store, product_id)
    service = store.get("services", p["category"], {}).get("installation")
    if not p["needs_installation"] or service is None:
        return {"product_id": product_id, "needs_installation": False, "installation": None,
                "message": "this product is designed for self-setup; no installation service is offered"}
    return {"product_id": product_id, "needs_installation": True, "installation": service}


@tool(writes=False, parameters={"properties": {"product_id": PRODUCT_ID}, "required": ["product_id"]})
def get_repair_info(store: Store, product_id: str) -> dict[str, Any]:
    """Get the repair service for a product: warranty length, repair type (in_home, mail_in or
    replacement), what the warranty covers, the out-of-warranty fee and the lead time in days."""
    p = product_or_error(store, product_id)
    repair = store.get("services", p["category"], {}).get("repair")
    return {"product_id": product_id, "warranty_months": p["warranty_months"],
            "warranty_starts": "on the delivery date", "repair": repair}


@tool(
    writes=False,
    parameters={
        "properties": {
            "product_id": PRODUCT_ID,
            "code": {"type": "string", "minLength": 1, "maxLength": 10,
                     "description": "The code shown on the appliance's display, e.g. 'E21'."},
        },
        "required": ["product_id", "code"],
    },
)
def lookup_fault_code(store: Store, product_id: str, code: str) -> dict[str, Any]:
    """Explain an error code shown by an appliance: what it means, the steps the customer can try,
    and whether a technician is needed."""
    product_or_error(store, product_id)
    code = code.strip().upper()
    entry = store.get("fault_codes", f"{product_id}:{code}")
    if entry is None:
        known = sorted(k.split(":", 1)[1] for k in store.keys("fault_codes") if k.startswith(product_id + ":"))
        listed = ", ".join(known) if known else "none"
        raise ToolError(f"no fault code {code!r} for {product_id}; documented codes: {listed}")
    return {"product_id": product_id, "code": code, **entry}


@tool(
    writes=False,
    parameters={"properties": {"order_id": ORDER_ID}, "required": ["order_id"]},
)
def get_order_warranty(store: Store, order_id: str) -> dict[str, Any]:
    """Get the warranty status of each item of a delivered order: warranty end date and whether it is
    still covered today (2026-03-10)."""
    order = order_or_error(store, order_id)
    items = []
    for item in order["items"]:
        end = warranty_until(order, product_or_error(store, item["product_id"]))
        items.append({"product_id": item["product_id"], "name": item["name"],
                      "warranty_until": end.isoformat() if end else None,
                      "in_warranty": end is not None and TODAY <= end})
    return {"order_id": order_id, "delivered_date": order.get("delivered_date"), "items": items}


READ_TOOLS = (
    get_user, list_user_orders, get_order, get_logistics, get_invoice, get_gift_card_balance,
    get_product, search_products, compare_products, get_discounts, get_gifts,
    get_installation_info, get_repair_info, lookup_fault_code, get_order_warranty,
)
