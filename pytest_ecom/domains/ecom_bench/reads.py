"""Tools of ECom-Bench that never change the store.

Each returns the store's records the way the reference does (the user record, an order's
logistics, a product's manuals, ...). Where the reference answers "not found" in prose, these
raise a ToolError with the same words, so the agent reads it as a failed call.
"""

from __future__ import annotations

import re
from typing import Any

from pytest_ecom.models import vision
from pytest_ecom.domains.ecom_bench._common import (
    nested_get,
    product_base,
    product_or_error,
    product_summary,
    reference_tool,
    user_or_error,
)
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError

NO_VISION_MODEL = ("no vision model configured: get_image_info cannot look at images in this run "
                   "(run with --vision-model, or describe the image under `images:` in the task file)")
_LINK = re.compile(r"https?://[^\s\"'<>，。）)]+")


@reference_tool("get_user_info_tool", writes=False)
def get_user_info(store: Store, user_id: str) -> dict[str, Any]:
    return user_or_error(store, user_id)


@reference_tool("get_user_orders_info_tool", writes=False)
def get_user_orders_info(store: Store, platform: str, shop_id: str, user_id: str) -> dict[str, Any]:
    orders = nested_get(store, "orders", platform, shop_id, user_id)
    if not orders:
        raise ToolError(f"没有找到用户{user_id}的订单信息（请核对platform、shop_id和user_id）")
    return {"订单ID": list(orders)}


@reference_tool("get_logistics_info_tool", writes=False)
def get_logistics_info(store: Store, platform: str, shop_id: str, order_id: str, user_id: str) -> dict[str, Any]:
    found = nested_get(store, "logistics", platform, shop_id, user_id, order_id)
    if not found:
        raise ToolError(f"没有找到{platform}店铺{shop_id}用户{user_id}订单{order_id}的物流信息")
    return found


@reference_tool("get_discount_info_tool", writes=False)
def get_discount_info(store: Store, platform: str, shop_id: str) -> dict[str, Any]:
    found = nested_get(store, "discount", platform, shop_id)
    if not found:
        raise ToolError(f"没有找到{platform}店铺{shop_id}的优惠信息")
    return found


@reference_tool("get_image_info_tool", writes=False)
def get_image_info(store: Store, summarized_query: str, needed_query: str, history_messages: str) -> dict[str, Any]:
    """What the images linked in the call show: the run's vision model when one is configured
    (``--vision-model``), else the task's notes (table ``image_annotations``), else an error
    saying no vision model is configured."""
    if not history_messages.strip():
        raise ToolError("参数history_messages有错误，请重新输入（必须包含图片的完整链接）。")
    text = f"{history_messages}\n{summarized_query}\n{needed_query}"
    links = vision.image_urls(text) or _LINK.findall(text)
    if not links:
        raise ToolError("history_messages中没有图片链接：调用时必须包含完整图片链接")
    if vision.configured() is not None:
        answer = vision.describe(links, f"{summarized_query}\n{needed_query}".strip())
        return {"图片链接": links[0] if len(links) == 1 else links, "图片信息": answer}
    found = sorted((text.find(url), url) for url in store.keys(vision.IMAGE_TABLE) if url and url in text)
    if not found:
        raise ToolError(NO_VISION_MODEL)
    images = [{"图片链接": url, "图片信息": store.get(vision.IMAGE_TABLE, url)} for _, url in found]
    return images[0] if len(images) == 1 else {"图片": images}


@reference_tool("get_repair_info_tool", writes=False)
def get_repair_info(store: Store, platform: str, shop_id: str, product_id: str) -> dict[str, Any]:
    product = product_or_error(store, platform, shop_id, product_id, digits=False)
    return {**product_base(product), "维修说明": product.get("维修说明", "")}


@reference_tool("get_auxiliary_materials_info_tool", writes=False)
def get_auxiliary_materials_info(store: Store, platform: str, shop_id: str, product_id: str) -> dict[str, Any]:
    product = product_or_error(store, platform, shop_id, product_id)
    materials = product.get("辅材材料") or []
    if not materials:
        return {**product_base(product), "辅材材料": [], "结果": f"商品{product_id}没有辅材材料"}
    return {**product_base(product), "辅材材料": materials}


@reference_tool("get_gift_info_tool", writes=False)
def get_gift_info(store: Store, platform: str, shop_id: str, product_id: str) -> dict[str, Any]:
    product = product_or_error(store, platform, shop_id, product_id)
    return {**product_base(product), "赠品信息": product.get("赠品信息", [])}


@reference_tool("get_installation_service_info_tool", writes=False)
def get_installation_service_info(store: Store, platform: str, shop_id: str, product_id: str) -> dict[str, Any]:
    product = product_or_error(store, platform, shop_id, product_id)
    return {**product_base(product), "安装说明": product.get("安装说明", "")}


@reference_tool("get_product_info_tool", writes=False)
def get_product_info(store: Store, platform: str, shop_id: str, product_id: str) -> dict[str, Any]:
    return product_summary(product_or_error(store, platform, shop_id, product_id))


@reference_tool("get_fault_code_info_tool", writes=False)
def get_fault_code_info(store: Store, platform: str, shop_id: str, product_id: str, fault_code: str) -> dict[str, Any]:
    product = product_or_error(store, platform, shop_id, product_id)
    faults = product.get("常见故障") or []
    fault = next((f for f in faults if f.get("故障代码") == fault_code), None)
    if fault is None:
        known = "、".join(f.get("故障代码", "") for f in faults) or "无"
        raise ToolError(f"没有找到{platform}店铺{shop_id}商品{product_id}的故障代码{fault_code}的信息（已知故障代码：{known}）")
    return {**product_base(product), "故障信息": fault}


@reference_tool("compare_products_info_tool", writes=False)
def compare_products_info(store: Store, shop_id: str, platform: str, product_ids: list[str]) -> list[dict[str, Any]]:
    return [product_summary(product_or_error(store, platform, shop_id, pid, digits=False)) for pid in product_ids]


@reference_tool("transfer_to_specialist_tool", writes=False)
def transfer_to_specialist(store: Store, platform: str, shop_id: str, user_id: str) -> dict[str, Any]:
    """Changes nothing (as in the reference): a hand-off is checked as a required call, not by state."""
    return {"结果": f"已为{platform}店铺{shop_id}用户{user_id}转接到客服，请耐心等待"}


READ_TOOLS = (
    get_user_info, get_user_orders_info, get_logistics_info, get_discount_info, get_image_info, get_repair_info,
    get_auxiliary_materials_info, get_gift_info, get_installation_service_info, get_product_info,
    get_fault_code_info, compare_products_info, transfer_to_specialist,
)
