"""Tools of ECom-Bench that can change the store, with the reference's effects on the data.

Like the reference, the tools check only what they need to find their records (the order, the
user, the product); the policy's preconditions (an order's state, the E-card balance, whether a
product may be exchanged for another) are for the agent to check, and a tool that skipped them
changes the data exactly as the reference does. The multi-action tools' read actions (查询,
信息查询, 余额查询) change nothing.

A call the reference answers with "not found" raises a ToolError and changes nothing.
"""

from __future__ import annotations

import copy
from typing import Any

from pytest_ecom.domains.ecom_bench._common import (
    BEFORE_SHIPPING,
    NEW_ORDER_ID,
    nested_edit,
    nested_get,
    order_or_error,
    product_or_error,
    reference_tool,
    user_or_error,
)
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError

# What 信息查询 answers: the reference's text about JD E-cards (ECom-Bench, Apache-2.0).
ECARD_SERVICE = """
京东E卡是京东商城发行的电子预付卡，可用于购买京东自营商品，涵盖数码家电、服饰美妆、家居日用等多种品类。
该卡分为电子卡和实体卡两种形式，支持灵活面值选择，并可通过京东账户绑定使用，方便快捷。
京东E卡有效期为自激活之日起36个月，未使用余额可保留至有效期结束，适用于个人消费或作为礼品赠送。
需要注意的是，该卡仅限京东自营商品使用，不支持第三方卖家商品、虚拟充值及部分特殊品类。退款时，金额将退回原卡内，不可提现，确保资金安全。
京东E卡凭借其便捷性、安全性和广泛的适用范围，成为京东用户喜爱的支付方式之一。
"""


def _order_for_edit(store: Store, platform: str, shop_id: str, user_id: str, order_id: str) -> dict[str, Any]:
    return nested_edit(store, "orders", platform, shop_id, user_id)[order_id]


# -- orders ---------------------------------------------------------------------


def _place_order(store: Store, platform: str, shop_id: str, user_id: str, payment: str | None,
                 product_info_list: list[dict[str, Any]] | None) -> dict[str, Any]:
    if not product_info_list:
        raise ToolError("商品列表为空，无法进行下单（action为增加时必须提供product_info_list）")
    user = user_or_error(store, user_id)
    address = user.get("地址信息", {})
    items, total, skipped = [], 0, []
    for line in product_info_list:
        product = nested_get(store, "products", platform, shop_id, line["product_id"])
        if not product:  # the reference skips unknown products
            skipped.append(line["product_id"])
            continue
        items.append({"商品ID": line["product_id"], "商品价格": product["商品价格"], "数量": line["quantity"]})
        total += product["商品价格"] * line["quantity"]
    order = {
        "用户ID": user_id,
        "订单ID": NEW_ORDER_ID,
        "订单状态": "已付款",
        "订单总金额": total,
        "是否加急": False,
        "订单商品列表": items,
        "收货地址": {
            "收件人姓名": user["用户姓名"],
            "电话号码": user["电话号码"],
            **{key: address.get(key) for key in ("国家", "省份", "城市", "区县", "详细地址")},
        },
        "支付方式": payment,
    }
    nested_edit(store, "orders", platform, shop_id, user_id)[NEW_ORDER_ID] = order
    result: dict[str, Any] = {"结果": f"订单{NEW_ORDER_ID}已增加", "订单": copy.deepcopy(order)}
    if skipped:
        result["未找到的商品"] = skipped
    return result


@reference_tool("manage_order_tool", writes=True)
def manage_order(store: Store, platform: str, shop_id: str, user_id: str, action: str, payment: str | None = None,
                 order_id: str | None = None, address: str | None = None, phone_number: str | None = None,
                 product_info_list: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """查询 reads; 取消 sets 订单状态 to 已取消; 修改 sets the detailed address and/or phone;
    增加 creates order 1234567890 at the user's default address, status 已付款."""
    if action == "增加":
        return _place_order(store, platform, shop_id, user_id, payment, product_info_list)
    order = order_or_error(store, platform, shop_id, user_id, order_id)
    if action == "查询":
        return order
    if action == "修改" and not address and not phone_number:
        raise ToolError("新地址和新手机号都为空，无法修改（请提供address和/或phone_number）")
    order = _order_for_edit(store, platform, shop_id, user_id, order_id)
    if action == "取消":
        before = order["订单状态"]
        order["订单状态"] = "已取消"
        return {"结果": f"订单{order_id}已取消（取消前状态：{before}）", "订单": copy.deepcopy(order)}
    if address:  # 修改: only the detailed address, as in the reference
        order["收货地址"]["详细地址"] = address
    if phone_number:
        order["收货地址"]["电话号码"] = phone_number
    return {"结果": f"订单{order_id}的地址和手机号已修改", "订单": copy.deepcopy(order)}


@reference_tool("manage_urgent_tool", writes=True)
def manage_urgent(store: Store, platform: str, shop_id: str, order_id: str, user_id: str) -> dict[str, Any]:
    order_or_error(store, platform, shop_id, user_id, order_id)
    _order_for_edit(store, platform, shop_id, user_id, order_id)["是否加急"] = True
    return {"结果": f"已将{platform}店铺{shop_id}用户{user_id}订单{order_id}设置为加急"}


@reference_tool("manage_return_tool", writes=True)
def manage_return(store: Store, platform: str, shop_id: str, order_id: str, user_id: str) -> dict[str, Any]:
    order_or_error(store, platform, shop_id, user_id, order_id)
    order = _order_for_edit(store, platform, shop_id, user_id, order_id)
    order["订单状态"] = "已退货"
    return {"结果": "退货申请已进行处理", "订单": copy.deepcopy(order)}


@reference_tool("manage_exchange_tool", writes=True)
def manage_exchange(store: Store, platform: str, shop_id: str, order_id: str, user_id: str,
                    original_product_id: str, action: str, exchange_product_id: str | None = None) -> dict[str, Any]:
    """查询 reads the order's exchange status and the product's exchange list; 换货 replaces the product id."""
    original = product_or_error(store, platform, shop_id, original_product_id, digits=False)
    order = order_or_error(store, platform, shop_id, user_id, order_id)
    if action == "查询":
        status = order.get("订单状态", "")
        can = "可以进行换货" if status in BEFORE_SHIPPING else "无法进行换货"
        return {"订单状态": f"订单{order_id}{can}，订单状态为{status}", "可换货商品": original.get("可换货商品", [])}
    if exchange_product_id is None:
        raise ToolError("action为换货时必须提供exchange_product_id（换货商品ID）")
    index = next((i for i, line in enumerate(order.get("订单商品列表", []))
                  if line.get("商品ID") == original_product_id), None)
    if index is None:
        raise ToolError(f"订单{order_id}购买的商品中没有找到商品{original_product_id}")
    _order_for_edit(store, platform, shop_id, user_id, order_id)["订单商品列表"][index]["商品ID"] = exchange_product_id
    return {"结果": f"订单{order_id}商品{original_product_id}换货成功，换货后的商品ID为{exchange_product_id}。"}


# -- invoices, E-card, services, cashback --------------------------------------------


@reference_tool("manage_invoice_tool", writes=True)
def manage_invoice(store: Store, title: str, order_id: str, phone_number: str, invoice_type: str) -> dict[str, Any]:
    """Writes invoices[order_id] (the reference names the phone field 手机号码)."""
    invoice = {"发票抬头": title, "发票类型": invoice_type, "订单ID": order_id, "手机号码": phone_number}
    store.put("invoices", order_id, invoice)
    return {"结果": "已成功开具发票", "发票": invoice}


@reference_tool("manage_ecard_tool", writes=True)
def manage_ecard(store: Store, platform: str, user_id: str, action: str, shop_id: str | None = None,
                 product_id: str | None = None, quantity: int | None = None,
                 amount: float | None = None) -> dict[str, Any]:
    """余额使用 subtracts price × quantity from 电子卡余额; 退款 adds ``amount``; 信息查询/余额查询 read."""
    user = user_or_error(store, user_id)
    if action == "信息查询":
        return {"京东E卡说明": ECARD_SERVICE}
    if action == "余额查询":
        return {"用户ID": user_id, "电子卡余额": user["电子卡余额"]}
    if action == "余额使用":
        if not product_id or not quantity or not shop_id:
            raise ToolError("请提供商品ID、购买数量和店铺ID（余额使用需要product_id、quantity和shop_id）")
        product = product_or_error(store, platform, shop_id, product_id, digits=False)
        cost = product.get("商品价格", 0) * quantity
        user = store.edit("users_info", user_id)
        user["电子卡余额"] -= cost
        return {"结果": f"已购买{quantity}件商品{product_id}，共{cost}元", "电子卡余额": user["电子卡余额"]}
    # 退款
    if amount is None:
        raise ToolError("退款时必须提供amount（退款金额）")
    user = store.edit("users_info", user_id)
    user["电子卡余额"] += float(amount)
    return {"结果": f"已退款{amount}元", "电子卡余额": user["电子卡余额"]}


@reference_tool("schedule_service_tool", writes=True)
def schedule_service(store: Store, platform: str, shop_id: str, order_id: str, user_id: str, user_name: str,
                     phone_number: str, service_type: str, service_time: str) -> dict[str, Any]:
    """Writes service[platform][shop_id][user_id][order_id] (one booking per order: a new one replaces it)."""
    order_or_error(store, platform, shop_id, user_id, order_id)
    record = {"服务类型": service_type, "店铺ID": shop_id, "用户ID": user_id, "订单ID": order_id, "平台": platform,
              "电话号码": phone_number, "用户姓名": user_name, "预约日期": service_time}
    nested_edit(store, "service", platform, shop_id, user_id)[order_id] = record
    return {"结果": f"预约{service_type}服务成功", "预约": dict(record)}


@reference_tool("register_cashback_by_review_tool", writes=True)
def register_cashback_by_review(store: Store, platform: str, shop_id: str, user_id: str, order_id: str,
                                action: str) -> dict[str, Any]:
    """查询 reads the review record; 返现 sets register_cashback[platform][shop_id][user_id][order_id] = true.

    Like the reference, 返现 does not look the order up: verifying the review is the agent's job.
    """
    where = f"{platform}店铺{shop_id}用户{user_id}订单{order_id}"
    if action == "查询":
        if not nested_get(store, "register_cashback", platform, shop_id, user_id, order_id):
            return {"结果": f"没有找到{where}的晒单返现记录（未晒单）", "已晒单": False}
        return {"结果": f"确认查询到{where}的晒单返现记录（已晒单）", "已晒单": True}
    nested_edit(store, "register_cashback", platform, shop_id, user_id)[order_id] = True
    return {"结果": f"{where}的晒单返现已经进入返现流程（返现成功）"}


WRITE_TOOLS = (
    manage_return, manage_exchange, manage_urgent, manage_ecard, manage_order, schedule_service,
    register_cashback_by_review, manage_invoice,
)
