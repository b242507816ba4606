"""Tools that change the home-appliance shop's data.

Each tool checks what the data can decide (the order exists, belongs to the
customer where a customer id is given, its status allows the action, nothing
is done twice) and refuses with a ToolError otherwise. Judgements that need the
conversation -- time windows after delivery, whether a box is unopened, whether
the customer really posted a review -- are the agent's job under the policy;
each docstring says which checks the tool does not make.

Writes are deterministic: no clock (the shop's date is fixed) and no random ids.
"""

from __future__ import annotations

from typing import Any

from pytest_ecom.domains.home_appliances._common import (
    BEFORE_SHIPPING,
    ORDER_ID,
    PHONE,
    PRODUCT_ID,
    REFUND_TIME,
    TODAY,
    USER_ID,
    gift_card_refundable,
    money,
    order_or_error,
    owned_order_or_error,
    paid_by_card,
    parse_day,
    product_or_error,
    require_status,
    user_or_error,
    warranty_until,
)
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError, tool

_TODAY = TODAY.isoformat()
_ORDER_ONLY = {"properties": {"order_id": ORDER_ID}, "required": ["order_id"]}

# -- order changes before shipping -------------------------------------------------



def _refund_summary(order: dict[str, Any]) -> dict[str, Any]:
    """What the customer gets back when an order is cancelled or returned."""
    return {"refund_to_original_payment": paid_by_card(order), "refund_time": REFUND_TIME,
            "gift_card_amount_to_restore": gift_card_refundable(order)}

@tool(
    writes=True,
    parameters={
        "properties": {
            "order_id": ORDER_ID,
            "reason": {"type": "string",
                       "enum": ["changed_mind", "ordered_by_mistake", "found_better_price",
                                "delivery_too_slow", "other"],
                       "description": "Why the customer cancels."},
        },
        "required": ["order_id", "reason"],
    },
)
def cancel_order(store: Store, order_id: str, reason: str) -> dict[str, Any]:
    """Cancel an order that has not shipped (status pending_payment, paid or processing).

    What was paid by card or PayPal is refunded to it in 5-7 business days. A part paid with the gift
    card is NOT restored automatically: use refund_to_gift_card for it.
    """
    order = order_or_error(store, order_id)
    require_status(order_id, order, BEFORE_SHIPPING, "cancel")
    order = store.edit("orders", order_id)
    order["status"] = "cancelled"
    order["cancellation"] = {"reason": reason, "date": _TODAY}
    return {"order_id": order_id, "status": "cancelled", **_refund_summary(order)}


@tool(
    writes=True,
    parameters={
        "properties": {
            "order_id": ORDER_ID,
            "address": {"type": "string", "minLength": 10, "maxLength": 200,
                        "description": "New full shipping address: street, city, state and ZIP code."},
            "phone": PHONE | {"description": "New contact phone for the delivery."},
        },
        "required": ["order_id"],
    },
)
def modify_order(store: Store, order_id: str, address: str | None = None, phone: str | None = None) -> dict[str, Any]:
    """Change the shipping address and/or the contact phone of an order that has not shipped
    (status pending_payment, paid or processing). Give address, phone or both."""
    if address is None and phone is None:
        raise ToolError("give a new address, a new phone or both")
    order = order_or_error(store, order_id)
    require_status(order_id, order, BEFORE_SHIPPING, "change the address or phone")
    if (address is None or address == order["address"]) and (phone is None or phone == order["phone"]):
        raise ToolError(f"order {order_id} already has this address and phone; nothing to change")
    order = store.edit("orders", order_id)
    if address is not None:
        order["address"] = address
    if phone is not None:
        order["phone"] = phone
    return {"order_id": order_id, "address": order["address"], "phone": order["phone"]}


@tool(writes=True, parameters=_ORDER_ONLY)
def expedite_order(store: Store, order_id: str) -> dict[str, Any]:
    """Expedite an order that has not shipped (status paid or processing) so it ships within 24 hours.

    Once per order. Free for gold members; others pay a $9.99 fee, recorded on the order.
    """
    order = order_or_error(store, order_id)
    require_status(order_id, order, ("paid", "processing"), "expedite")
    if order["expedited"]:
        raise ToolError(f"order {order_id} is already expedited; an order can be expedited only once")
    fee = 0.0 if user_or_error(store, order["user_id"])["membership"] == "gold" else 9.99
    order = store.edit("orders", order_id)
    order["expedited"] = True
    order["expedite_fee"] = fee
    return {"order_id": order_id, "expedited": True, "expedite_fee": fee, "ships_within": "24 hours"}


# -- after delivery ----------------------------------------------------------------------


@tool(
    writes=True,
    parameters={
        "properties": {
            "order_id": ORDER_ID,
            "reason": {"type": "string", "enum": ["damaged", "defective", "wrong_item", "no_longer_needed"],
                       "description": "damaged: arrived broken; defective: does not work properly; "
                                      "wrong_item: not what was ordered; no_longer_needed: no fault."},
        },
        "required": ["order_id", "reason"],
    },
)
def return_order(store: Store, order_id: str, reason: str) -> dict[str, Any]:
    """Return a delivered order (all of its items) for a refund.

    Checks only that the order is delivered. It does NOT check the return windows of the policy
    (30 days for damaged/defective/wrong items, 7 days and unopened for no_longer_needed): check them
    with order_or_error first. The card part is refunded in 5-7 business days; a gift-card part needs
    refund_to_gift_card.
    """
    order = order_or_error(store, order_id)
    require_status(order_id, order, ("delivered",), "return")
    order = store.edit("orders", order_id)
    refund = paid_by_card(order)
    order["status"] = "returned"
    order["return"] = {"reason": reason, "date": _TODAY, "refund_to_original_payment": refund}
    return {"order_id": order_id, "status": "returned", "courier_pickup": "within 3 business days",
            **_refund_summary(order)}


@tool(
    writes=True,
    parameters={
        "properties": {
            "order_id": ORDER_ID,
            "product_id": PRODUCT_ID | {"description": "The product in the order to send back."},
            "new_product_id": PRODUCT_ID | {"description": "The product wanted instead (same category)."},
        },
        "required": ["order_id", "product_id", "new_product_id"],
    },
)
def exchange_item(store: Store, order_id: str, product_id: str, new_product_id: str) -> dict[str, Any]:
    """Exchange an item of a delivered order for another product of the same category that is in stock.

    Replaces the item in the order (same quantity, new price), sets the status to exchange_requested and
    returns the price difference: positive means the customer pays it, negative means it is refunded in
    5-7 business days. Does NOT check the 15-day exchange window: check it with order_or_error first.
    """
    order = order_or_error(store, order_id)
    require_status(order_id, order, ("delivered",), "exchange items")
    positions = [n for n, i in enumerate(order["items"]) if i["product_id"] == product_id]
    if not positions:
        raise ToolError(f"order {order_id} has no item {product_id}; its items: "
                        + ", ".join(i["product_id"] for i in order["items"]))
    if new_product_id == product_id:
        raise ToolError("the new product is the same as the old one; for a faulty unit use return_order or a repair")
    old, new = product_or_error(store, product_id), product_or_error(store, new_product_id)
    if new["category"] != old["category"]:
        raise ToolError(f"{new_product_id} is a {new['category']}, not a {old['category']}; "
                        "exchanges are only for a product of the same category")
    if new["stock"] <= 0:
        raise ToolError(f"{new_product_id} is out of stock and cannot be sent as an exchange")
    order = store.edit("orders", order_id)
    item = order["items"][positions[0]]
    difference = money((new["price"] - item["unit_price"]) * item["quantity"])
    item.update(product_id=new_product_id, name=new["name"], unit_price=new["price"])
    order["total"] = money(sum(i["unit_price"] * i["quantity"] for i in order["items"]))
    order["status"] = "exchange_requested"
    order["exchange"] = {"from_product_id": product_id, "to_product_id": new_product_id,
                         "price_difference": difference, "date": _TODAY}
    return {"order_id": order_id, "status": "exchange_requested", "new_item": new["name"],
            "price_difference": difference,
            "settlement": ("customer pays the difference" if difference > 0
                           else f"difference refunded in {REFUND_TIME}" if difference < 0 else "no difference")}


@tool(
    writes=True,
    parameters={
        "properties": {
            "order_id": ORDER_ID,
            "title": {"type": "string", "minLength": 2, "maxLength": 120,
                      "description": "Name on the invoice: the customer's full name or the company's registered name."},
            "invoice_type": {"type": "string", "enum": ["personal", "company"]},
            "tax_id": {"type": "string", "pattern": r"^[0-9A-Za-z-]{5,20}$",
                       "description": "The company's tax id (EIN); required for company invoices only."},
        },
        "required": ["order_id", "title", "invoice_type"],
    },
)
def issue_invoice(store: Store, order_id: str, title: str, invoice_type: str,
                  tax_id: str | None = None) -> dict[str, Any]:
    """Issue the invoice of a delivered order; it is emailed to the account's email address.

    One invoice per order. A company invoice needs the company's tax id; a personal one takes none.
    """
    order = order_or_error(store, order_id)
    require_status(order_id, order, ("delivered",), "issue an invoice")
    if store.get("invoices", order_id) is not None:
        raise ToolError(f"order {order_id} already has an invoice; an order gets only one (see get_invoice)")
    if invoice_type == "company" and tax_id is None:
        raise ToolError("a company invoice needs the company's tax_id")
    if invoice_type == "personal" and tax_id is not None:
        raise ToolError("a personal invoice takes no tax_id; use invoice_type company for a business")
    email = user_or_error(store, order["user_id"])["email"]
    invoice = {"invoice_no": f"INV-{order_id}", "order_id": order_id, "user_id": order["user_id"], "title": title,
               "invoice_type": invoice_type, "tax_id": tax_id, "amount": order["total"], "issue_date": _TODAY,
               "sent_to": email}
    store.put("invoices", order_id, invoice)
    return invoice


# -- gift card ----------------------------------------------------------------------------


def _gift_card_entry(store: Store, user_id: str, kind: str, amount: float, order_id: str) -> float:
    """Change a customer's gift-card balance and log it; returns the new balance."""
    if store.get("gift_cards", user_id) is None:
        store.put("gift_cards", user_id, {"balance": 0.0, "history": []})
    card = store.edit("gift_cards", user_id)
    card["balance"] = money(card["balance"] + amount)
    card["history"].append({"date": _TODAY, "type": kind, "amount": money(amount), "order_id": order_id})
    return card["balance"]


@tool(writes=True, parameters={"properties": {"user_id": USER_ID, "order_id": ORDER_ID},
                               "required": ["user_id", "order_id"]})
def use_gift_card_balance(store: Store, user_id: str, order_id: str) -> dict[str, Any]:
    """Pay an unpaid order (status pending_payment) of this customer with their gift-card balance.

    Uses the whole amount due, or the whole balance when it is smaller (the rest stays due). The order
    becomes paid when nothing is left to pay.
    """
    order = owned_order_or_error(store, user_id, order_id)
    require_status(order_id, order, ("pending_payment",), "pay with the gift card")
    card = store.get("gift_cards", user_id) or {"balance": 0.0}
    amount = money(min(card["balance"], order["payment"]["amount_due"]))
    if amount <= 0:
        raise ToolError(f"customer {user_id} has no gift-card balance")
    balance = _gift_card_entry(store, user_id, "payment", -amount, order_id)
    order = store.edit("orders", order_id)
    pay = order["payment"]
    pay["gift_card_used"] = money(pay["gift_card_used"] + amount)
    pay["amount_due"] = money(pay["amount_due"] - amount)
    if pay["method"] is None:
        pay["method"] = "gift_card"
    if pay["amount_due"] == 0:
        order["status"] = "paid"
    return {"order_id": order_id, "gift_card_used": amount, "remaining_balance": balance,
            "amount_still_due": pay["amount_due"], "status": order["status"]}


@tool(
    writes=True,
    parameters={
        "properties": {
            "user_id": USER_ID,
            "order_id": ORDER_ID,
            "amount": {"type": "number", "exclusiveMinimum": 0, "description": "Amount in dollars, e.g. 120.0."},
        },
        "required": ["user_id", "order_id", "amount"],
    },
)
def refund_to_gift_card(store: Store, user_id: str, order_id: str, amount: float) -> dict[str, Any]:
    """Put back on the customer's gift card the part of a cancelled or returned order that was paid with it.

    The amount cannot exceed what the order paid by gift card minus what was already restored
    (payment.gift_card_used - payment.gift_card_refunded in order_or_error). Takes effect immediately.
    """
    order = owned_order_or_error(store, user_id, order_id)
    require_status(order_id, order, ("cancelled", "returned"), "refund to the gift card")
    refundable = gift_card_refundable(order)
    if money(amount) > refundable:
        raise ToolError(f"only {refundable:.2f} of order {order_id} was paid by gift card and not yet restored; "
                        "the rest goes back to the original payment method")
    balance = _gift_card_entry(store, user_id, "refund", amount, order_id)
    order = store.edit("orders", order_id)
    order["payment"]["gift_card_refunded"] = money(order["payment"]["gift_card_refunded"] + amount)
    return {"order_id": order_id, "refunded": money(amount), "new_balance": balance}


# -- services --------------------------------------------------------------------------------


@tool(
    writes=True,
    parameters={
        "properties": {
            "order_id": ORDER_ID,
            "service_type": {"type": "string", "enum": ["installation", "repair"]},
            "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                     "description": "Visit (or courier pickup) date, YYYY-MM-DD, after today (2026-03-10)."},
            "phone": PHONE | {"description": "Contact phone for the technician; defaults to the order's phone."},
        },
        "required": ["order_id", "service_type", "date"],
    },
)
def book_service(store: Store, order_id: str, service_type: str, date: str, phone: str | None = None) -> dict[str, Any]:
    """Book an installation or a repair visit for a delivered order, at the order's address.

    Installation is only for items that need professional installation. The date must be after today.
    One booking per order. Repairs are free within the warranty; otherwise the out-of-warranty fee applies.
    """
    order = order_or_error(store, order_id)
    require_status(order_id, order, ("delivered",), f"book {service_type}")
    if parse_day(date) <= TODAY:
        raise ToolError(f"the date must be after today ({_TODAY}); same-day visits are not possible")
    existing = store.get("service_bookings", order_id)
    if existing is not None:
        raise ToolError(f"order {order_id} already has a booking ({existing['booking_id']}: {existing['service_type']} "
                        f"on {existing['date']}, {existing['status']}); one booking per order")
    products = [(i["product_id"], product_or_error(store, i["product_id"])) for i in order["items"]]
    if service_type == "installation":
        products = [(pid, p) for pid, p in products if p["needs_installation"]]
        if not products:
            raise ToolError(f"nothing in order {order_id} needs professional installation")
    fee = 0.0
    for pid, p in products:
        service = (store.get("services", p["category"]) or {}).get(service_type)
        if service is None:
            raise ToolError(f"no {service_type} service is offered for {pid}")
        if service_type == "installation":
            fee += service["fee"]
        elif TODAY > warranty_until(order, p):
            fee += service["out_of_warranty_call_out_fee"] or 0.0
    booking = {"booking_id": f"SB-{order_id}-{'INS' if service_type == 'installation' else 'REP'}",
               "order_id": order_id, "user_id": order["user_id"], "service_type": service_type,
               "product_ids": [pid for pid, _ in products], "date": date, "phone": phone or order["phone"],
               "address": order["address"], "fee": money(fee), "status": "scheduled"}
    store.put("service_bookings", order_id, booking)
    return booking


@tool(writes=True, parameters=_ORDER_ONLY)
def register_review_cashback(store: Store, order_id: str) -> dict[str, Any]:
    """Register the review cashback of a delivered order: $10 for orders of $100 or more, $3 otherwise,
    credited to the gift card within 3 business days. One per order.

    Does NOT check that the customer posted a review: ask them first.
    """
    order = order_or_error(store, order_id)
    require_status(order_id, order, ("delivered",), "register a review cashback")
    if store.get("cashback", order_id) is not None:
        raise ToolError(f"order {order_id} already has a review cashback registered")
    record = {"order_id": order_id, "user_id": order["user_id"], "amount": 10.0 if order["total"] >= 100 else 3.0,
              "status": "pending", "registered_on": _TODAY}
    store.put("cashback", order_id, record)
    return {**record, "credited": "to the gift card within 3 business days"}


@tool(
    writes=True,
    parameters={
        "properties": {
            "user_id": USER_ID,
            "reason": {"type": "string",
                       "enum": ["customer_request", "policy_exception", "complaint", "technical_issue"],
                       "description": "customer_request: the customer asked for a person; policy_exception: "
                                      "the request needs a decision outside the policy; complaint: about staff "
                                      "or service; technical_issue: the tools failed."},
        },
        "required": ["user_id", "reason"],
    },
)
def transfer_to_human(store: Store, user_id: str, reason: str) -> dict[str, Any]:
    """Hand the conversation over to a human specialist, who contacts the customer within 1 business day.

    One open hand-off per customer.
    """
    user_or_error(store, user_id)
    if store.get("handoffs", user_id) is not None:
        raise ToolError(f"customer {user_id} already has an open hand-off")
    record = {"ticket_id": f"H-{user_id}", "user_id": user_id, "reason": reason, "status": "open",
              "created_on": _TODAY}
    store.put("handoffs", user_id, record)
    return {**record, "contact": "a specialist contacts the customer within 1 business day"}


WRITE_TOOLS = (
    cancel_order, modify_order, expedite_order, return_order, exchange_item, issue_invoice,
    use_gift_card_balance, refund_to_gift_card, book_service, register_review_cashback, transfer_to_human,
)
