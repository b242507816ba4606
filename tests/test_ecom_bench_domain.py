"""The ``ecom_bench`` domain: ECom-Bench's store and 21 tools, with the reference's effects on the data.

Runs on the shipped fixture (fixtures/ecom_bench/); golden calls are copied from ECom-Bench's
tasks as literals, so the suite needs nothing outside the repository.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_ecom.domains import Domain, load_domain
from pytest_ecom.domains.ecom_bench.reads import NO_VISION_MODEL
from pytest_ecom.store import Store

ROOT = Path(__file__).resolve().parents[1]
JD = "jd"
SHOP = "5de650c946e7c3001814990f"
AT = {"platform": JD, "shop_id": SHOP}
TABLES = {"orders", "products", "logistics", "service", "register_cashback", "discount", "users_info", "invoices",
          "image_annotations"}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_domain("ecom_bench", ROOT)


@pytest.fixture
def store(domain: Domain) -> Store:
    return domain.new_store()


def call(domain: Domain, store: Store, name: str, **arguments: Any) -> Any:
    result = domain.tools.call(store, name, arguments)
    assert result.ok, result.content
    return json.loads(result.content)


def error_of(domain: Domain, store: Store, name: str, arguments: dict[str, Any]) -> str:
    result = domain.tools.call(store, name, arguments)
    assert result.ok is False, result.content
    assert store.changed() == []
    return result.error


def base_copy(domain: Domain, table: str, key: str) -> Any:
    return copy.deepcopy(domain.base[table][key])


def assert_only(store: Store, domain: Domain, expected: dict[tuple[str, str], Any]) -> None:
    """The store differs from the base in exactly these records, which now hold these values."""
    assert store.changed() == sorted(expected)
    for (table, key), value in expected.items():
        assert store.get(table, key) == value


def orders_of(record: dict[str, Any], user: str) -> dict[str, Any]:
    return record[SHOP][user]


# -- the fixture and the catalogue ---------------------------------------------------


def test_fixture_holds_the_reference_tables_and_policy(domain):
    assert set(domain.base) == TABLES
    assert domain.base["image_annotations"] == {}
    assert list(domain.base["orders"]) == [JD]
    assert len(domain.base["users_info"]) == 28 and len(domain.base["invoices"]) == 71
    assert len(domain.base["products"][JD][SHOP]) == 52
    assert "{" not in domain.policy and "Conversation context" in domain.policy and "manage_ecard" in domain.policy
    for name in ("LICENSE", "NOTICE"):
        assert (domain.fixture_dir / name).is_file()


def test_the_21_reference_tools_with_their_schemas(domain):
    names = domain.tools.names()
    assert len(names) == 21 and all(n.endswith("_tool") for n in names)
    assert names[0] == "get_user_info_tool" and names[-1] == "transfer_to_specialist_tool"
    writers = {t.name for t in domain.tools if t.writes}
    assert writers == {"manage_return_tool", "manage_exchange_tool", "manage_urgent_tool", "manage_ecard_tool",
                       "manage_order_tool", "schedule_service_tool", "register_cashback_by_review_tool",
                       "manage_invoice_tool"}
    order = domain.tools["manage_order_tool"]
    assert order.description.strip().startswith("用于管理订单信息")
    params = order.parameters
    assert params["required"] == ["platform", "shop_id", "user_id", "action"]
    assert params["properties"]["action"]["enum"] == ["查询", "取消", "修改", "增加"]
    assert params["properties"]["product_info_list"]["items"] == {"$ref": "#/$defs/ProductInfo"}
    assert params["$defs"]["ProductInfo"]["required"] == ["product_id", "quantity"]
    # like the reference's server, the tools ignore unknown keys: the schema does not forbid them
    assert "additionalProperties" not in params
    # no optional argument carries "default": null (it would contradict "type": "string")
    assert not any("default" in p for t in domain.tools for p in t.parameters["properties"].values())


def _without_null_defaults(schema):
    if isinstance(schema, dict):
        return {k: _without_null_defaults(v) for k, v in schema.items() if not (k == "default" and v is None)}
    if isinstance(schema, list):
        return [_without_null_defaults(v) for v in schema]
    return schema


def test_the_agent_is_served_the_reference_s_schemas(domain):
    """What tools.json serves, but for the dropped ``"default": null``s."""
    served = {s["function"]["name"]: s["function"] for s in domain.tools.schemas()}
    reference = json.loads((ROOT / "fixtures" / "ecom_bench" / "reference" / "tools.json").read_text(encoding="utf-8"))
    assert list(served) == [t["name"] for t in reference]
    for tool in reference:
        assert served[tool["name"]]["parameters"] == _without_null_defaults(tool["inputSchema"]), tool["name"]
        assert served[tool["name"]]["description"] == tool["description"]


# -- write tools: exactly the reference's change ----------------------------------------


def test_manage_order_cancel_sets_the_status(domain, store):
    out = call(domain, store, "manage_order_tool", **AT, user_id="cnjd喜哥2号", order_id="313271663680", action="取消")
    assert out["订单"]["订单状态"] == "已取消"
    want = base_copy(domain, "orders", JD)
    orders_of(want, "cnjd喜哥2号")["313271663680"]["订单状态"] = "已取消"
    assert_only(store, domain, {("orders", JD): want})


def test_manage_order_modify_sets_detailed_address_and_phone(domain, store):
    user, order = "cnjd丶暖心萌面人", "313601294520"
    call(domain, store, "manage_order_tool", **AT, user_id=user, order_id=order, action="修改",
         address="义承金川府18栋B座4单元301", phone_number="16692475286")
    want = base_copy(domain, "orders", JD)
    orders_of(want, user)[order]["收货地址"].update({"详细地址": "义承金川府18栋B座4单元301", "电话号码": "16692475286"})
    assert_only(store, domain, {("orders", JD): want})


def test_manage_order_add_creates_order_1234567890_at_the_default_address(domain, store):
    user, product = "cnjd18463287301_p", "100039032355"
    call(domain, store, "manage_order_tool", **AT, user_id=user, action="增加", payment="京东E卡",
         product_info_list=[{"product_id": product, "quantity": 2}])
    price = domain.base["products"][JD][SHOP][product]["商品价格"]
    person = domain.base["users_info"][user]
    want = base_copy(domain, "orders", JD)
    orders_of(want, user)["1234567890"] = {
        "用户ID": user, "订单ID": "1234567890", "订单状态": "已付款", "订单总金额": price * 2, "是否加急": False,
        "订单商品列表": [{"商品ID": product, "商品价格": price, "数量": 2}],
        "收货地址": {"收件人姓名": person["用户姓名"], "电话号码": person["电话号码"], **person["地址信息"]},
        "支付方式": "京东E卡",
    }
    assert_only(store, domain, {("orders", JD): want})
    listed = call(domain, store, "get_user_orders_info_tool", **AT, user_id=user)["订单ID"]
    assert listed[-1] == "1234567890"


def test_manage_urgent_sets_the_flag(domain, store):
    call(domain, store, "manage_urgent_tool", **AT, user_id="cnjd喜哥2号", order_id="313021098954")
    want = base_copy(domain, "orders", JD)
    orders_of(want, "cnjd喜哥2号")["313021098954"]["是否加急"] = True
    assert_only(store, domain, {("orders", JD): want})


def test_manage_return_sets_returned(domain, store):
    call(domain, store, "manage_return_tool", **AT, user_id="cnjd18463287301_p", order_id="232400272153")
    want = base_copy(domain, "orders", JD)
    orders_of(want, "cnjd18463287301_p")["232400272153"]["订单状态"] = "已退货"
    assert_only(store, domain, {("orders", JD): want})


def test_manage_exchange_replaces_the_product_id(domain, store):
    args = {**AT, "user_id": "cnjd喜哥2号", "order_id": "313271663680", "original_product_id": "100112573625"}
    info = call(domain, store, "manage_exchange_tool", **args, action="查询")
    assert "可以进行换货" in info["订单状态"] and info["可换货商品"]
    assert store.changed() == []
    call(domain, store, "manage_exchange_tool", **args, action="换货", exchange_product_id="100112573624")
    want = base_copy(domain, "orders", JD)
    lines = orders_of(want, "cnjd喜哥2号")["313271663680"]["订单商品列表"]
    assert lines[0]["商品ID"] == "100112573625"
    lines[0]["商品ID"] = "100112573624"
    assert_only(store, domain, {("orders", JD): want})


def test_manage_invoice_writes_the_invoice(domain, store):
    call(domain, store, "manage_invoice_tool", title="曹柔惠", order_id="316123105676", phone_number="11213348266",
         invoice_type="个人发票")
    assert_only(store, domain, {("invoices", "316123105676"): {
        "发票抬头": "曹柔惠", "发票类型": "个人发票", "订单ID": "316123105676", "手机号码": "11213348266"}})


def test_manage_ecard_use_subtracts_price_times_quantity(domain, store):
    user, product = "cnjd18700806944_p", "100138880716"
    call(domain, store, "manage_ecard_tool", platform=JD, user_id=user, shop_id=SHOP, action="余额使用",
         product_id=product, quantity=3)
    want = base_copy(domain, "users_info", user)
    want["电子卡余额"] -= domain.base["products"][JD][SHOP][product]["商品价格"] * 3
    assert_only(store, domain, {("users_info", user): want})


def test_manage_ecard_refund_adds_the_amount(domain, store):
    user = "cnjd林韵佩"
    out = call(domain, store, "manage_ecard_tool", platform=JD, user_id=user, action="退款", amount=301.35)
    want = base_copy(domain, "users_info", user)
    want["电子卡余额"] += 301.35
    assert out["电子卡余额"] == want["电子卡余额"]
    assert_only(store, domain, {("users_info", user): want})


def test_manage_ecard_read_actions_change_nothing(domain, store):
    user = "cnjd林韵佩"
    assert "京东E卡" in call(domain, store, "manage_ecard_tool", platform=JD, user_id=user, action="信息查询")["京东E卡说明"]
    balance = call(domain, store, "manage_ecard_tool", platform=JD, user_id=user, action="余额查询")["电子卡余额"]
    assert balance == domain.base["users_info"][user]["电子卡余额"]
    assert store.changed() == []


def test_schedule_service_writes_the_booking(domain, store):
    user, order = "cnjd辛谭婷", "312693565755"
    call(domain, store, "schedule_service_tool", **AT, user_id=user, order_id=order, user_name="戴青云",
         phone_number="18941352934", service_type="维修", service_time="周三")
    want = base_copy(domain, "service", JD)
    want[SHOP][user] = {order: {"服务类型": "维修", "店铺ID": SHOP, "用户ID": user, "订单ID": order, "平台": JD,
                                "电话号码": "18941352934", "用户姓名": "戴青云", "预约日期": "周三"}}
    assert_only(store, domain, {("service", JD): want})


def test_register_cashback_sets_the_flag(domain, store):
    args = {**AT, "user_id": "cnjdii星星ii", "order_id": "316123105676"}
    assert call(domain, store, "register_cashback_by_review_tool", **args, action="查询")["已晒单"] is False
    call(domain, store, "register_cashback_by_review_tool", **args, action="返现")
    want = base_copy(domain, "register_cashback", JD)
    want[SHOP]["cnjdii星星ii"]["316123105676"] = True
    assert_only(store, domain, {("register_cashback", JD): want})
    assert call(domain, store, "register_cashback_by_review_tool", **args, action="查询")["已晒单"] is True


def test_register_cashback_creates_missing_levels(domain, store):
    call(domain, store, "register_cashback_by_review_tool", **AT, user_id="cnjd喜哥2号", order_id="314231443863",
         action="返现")
    want = base_copy(domain, "register_cashback", JD)
    want[SHOP]["cnjd喜哥2号"] = {"314231443863": True}
    assert_only(store, domain, {("register_cashback", JD): want})


# -- read tools ----------------------------------------------------------------------------

READ_CALLS = [
    ("get_user_info_tool", {"user_id": "cnjd喜哥2号"}),
    ("get_user_orders_info_tool", {**AT, "user_id": "cnjd喜哥2号"}),
    ("get_logistics_info_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": "313021098954"}),
    ("get_discount_info_tool", AT),
    ("get_repair_info_tool", {**AT, "product_id": "100042754736"}),
    ("get_auxiliary_materials_info_tool", {**AT, "product_id": "100112573665"}),
    ("get_gift_info_tool", {**AT, "product_id": "100112573665"}),
    ("get_installation_service_info_tool", {**AT, "product_id": "100042754736"}),
    ("get_product_info_tool", {**AT, "product_id": "100112573665"}),
    ("get_fault_code_info_tool", {**AT, "product_id": "100112573665", "fault_code": "F002"}),
    ("compare_products_info_tool", {**AT, "product_ids": ["100112573665", "100042754736"]}),
    ("transfer_to_specialist_tool", {**AT, "user_id": "cnjd喜哥2号"}),
    ("manage_order_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": "313271663680", "action": "查询"}),
]


@pytest.mark.parametrize(("name", "arguments"), READ_CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(READ_CALLS)])
def test_reads_answer_and_change_nothing(domain, store, name, arguments):
    out = call(domain, store, name, **arguments)
    assert out
    assert store.touched() == set()


def test_reads_return_the_records(domain, store):
    assert call(domain, store, "get_user_info_tool", user_id="cnjd喜哥2号") == domain.base["users_info"]["cnjd喜哥2号"]
    orders = call(domain, store, "get_user_orders_info_tool", **AT, user_id="cnjd喜哥2号")
    assert orders == {"订单ID": ["313021098954", "313271663680"]}
    logistics = call(domain, store, "get_logistics_info_tool", **AT, user_id="cnjd喜哥2号", order_id="313021098954")
    assert logistics == domain.base["logistics"][JD][SHOP]["cnjd喜哥2号"]["313021098954"]
    fault = call(domain, store, "get_fault_code_info_tool", **AT, product_id="100112573665", fault_code="F002")
    assert fault["故障信息"]["故障名称"] == "漏水" and fault["商品ID"] == "100112573665"
    product = call(domain, store, "get_product_info_tool", **AT, product_id="100112573665")
    assert set(product) == {"商品ID", "商品名称", "商品状态", "商品价格", "商品描述"} and product["商品价格"] == 1999
    gifts = call(domain, store, "get_gift_info_tool", **AT, product_id="100112573665")["赠品信息"]
    assert [g["赠品名称"] for g in gifts] == ["电风扇", "E卡"]


# -- get_image_info: offline annotations only --------------------------------------------

IMAGE = "https://dd-static.jd.com/ddimgp/jfs/t20260528/280781/10/25581/172166/6808a980F4fea4867/cf783a9a7acc8c2d.jpg"
IMAGE_ARGS = {"summarized_query": "验证晒单截图", "needed_query": "截图中是否有用户评论",
              "history_messages": f"用户：这是我的晒单截图 {IMAGE} 请帮我登记返现"}


def test_image_without_annotation_says_no_vision_model(domain, store):
    assert error_of(domain, store, "get_image_info_tool", IMAGE_ARGS) == NO_VISION_MODEL
    assert NO_VISION_MODEL.startswith("no vision model configured: get_image_info cannot look at images in this run")


def test_image_with_annotation_is_answered_offline(domain):
    base = dict(domain.base)
    base["image_annotations"] = {IMAGE: {"描述": "订单评价截图，含用户评论：吹风机很好用"}}
    store = Store(base)
    out = call(domain, store, "get_image_info_tool", **IMAGE_ARGS)
    assert out == {"图片链接": IMAGE, "图片信息": {"描述": "订单评价截图，含用户评论：吹风机很好用"}}
    assert store.touched() == set()


# -- bad calls: a readable error, nothing changed ---------------------------------------------


@pytest.mark.parametrize(("name", "arguments", "fragment"), [
    ("manage_order_tool", {**AT, "user_id": "cnjd喜哥2号", "action": "删除", "order_id": "313271663680"},
     "action\n  Input should be '查询', '取消', '修改' or '增加' [type=literal_error, input_value='删除'"),
    ("manage_order_tool", {**AT, "action": "取消", "order_id": "313271663680"}, "user_id\n  Field required"),
    ("manage_urgent_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": 313021098954},
     "order_id\n  Input should be a valid string [type=string_type, input_value=313021098954, input_type=int]"),
    ("manage_urgent_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": "999"}, "没有找到jd店铺"),
    ("manage_order_tool", {**AT, "user_id": "cnjd喜哥2号", "action": "取消"}, "缺少order_id"),
    ("manage_order_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": "313271663680", "action": "修改"},
     "新地址和新手机号都为空"),
    ("manage_order_tool", {**AT, "user_id": "cnjd喜哥2号", "action": "增加"}, "商品列表为空"),
    ("manage_exchange_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": "313271663680",
                              "original_product_id": "100112573625", "action": "换货"}, "exchange_product_id"),
    ("manage_exchange_tool", {**AT, "user_id": "cnjd喜哥2号", "order_id": "313271663680",
                              "original_product_id": "100112573665", "action": "换货",
                              "exchange_product_id": "100112573666"}, "没有找到商品100112573665"),
    ("manage_ecard_tool", {"platform": JD, "user_id": "cnjd林韵佩", "action": "退款"}, "amount"),
    ("manage_ecard_tool", {"platform": JD, "user_id": "cnjd林韵佩", "action": "余额使用"}, "请提供商品ID"),
    ("manage_ecard_tool", {"platform": JD, "user_id": "nobody", "action": "余额查询"}, "没有找到用户nobody"),
    ("manage_ecard_tool", {"platform": JD, "user_id": "cnjd林韵佩", "action": "退款", "amount": "很多"},
     "amount\n  Input should be a valid number, unable to parse string as a number"),
    ("schedule_service_tool", {**AT, "user_id": "cnjd辛谭婷", "order_id": "312693565755", "user_name": "戴青云",
                               "phone_number": "18941352934", "service_type": "维修", "service_time": "明天"},
     "service_time\n  Input should be '周一', '周二', '周三', '周四', '周五', '周六' or '周日'"),
    ("get_product_info_tool", {**AT, "product_id": "abc"}, "格式错误，应该为数字"),
    ("get_fault_code_info_tool", {**AT, "product_id": "100112573665", "fault_code": "E9"}, "已知故障代码：F001、F002"),
    ("get_image_info_tool", {**IMAGE_ARGS, "history_messages": "没有图片"}, "没有图片链接"),
])
def test_bad_calls_are_readable_errors(domain, store, name, arguments, fragment):
    assert fragment in error_of(domain, store, name, arguments)


def test_an_unknown_key_is_ignored_as_in_the_reference(domain, store):
    call(domain, store, "manage_urgent_tool", **AT, user_id="cnjd喜哥2号", order_id="313021098954", urgent=True)
    want = base_copy(domain, "orders", JD)
    orders_of(want, "cnjd喜哥2号")["313021098954"]["是否加急"] = True
    assert_only(store, domain, {("orders", JD): want})


# -- copy-on-write ------------------------------------------------------------------------


def test_two_stores_from_one_base_do_not_see_each_others_writes(domain):
    first, second = domain.new_store(), domain.new_store()
    call(domain, first, "manage_order_tool", **AT, user_id="cnjd喜哥2号", order_id="313271663680", action="取消")
    call(domain, first, "manage_ecard_tool", platform=JD, user_id="cnjd林韵佩", action="退款", amount=10)
    call(domain, second, "manage_urgent_tool", **AT, user_id="cnjd喜哥2号", order_id="313271663680")
    a = orders_of(first.get("orders", JD), "cnjd喜哥2号")["313271663680"]
    b = orders_of(second.get("orders", JD), "cnjd喜哥2号")["313271663680"]
    assert (a["订单状态"], a["是否加急"]) == ("已取消", False)
    assert (b["订单状态"], b["是否加急"]) == ("已付款", True)
    assert second.get("users_info", "cnjd林韵佩") == domain.base["users_info"]["cnjd林韵佩"]
    base = orders_of(domain.base["orders"][JD], "cnjd喜哥2号")["313271663680"]
    assert (base["订单状态"], base["是否加急"]) == ("已付款", False)
    assert domain.new_store().changed() == []


# -- golden actions of ECom-Bench tasks (copied as literals) -------------------------------------

GOLDEN = {
    # task 3: place an order paid by E-card, then book installation of the new order
    3: [("manage_order", {**AT, "user_id": "cnjd18463287301_p", "action": "增加", "payment": "京东E卡",
                          "product_info_list": [{"product_id": "100039032355", "quantity": 1}]}),
        ("manage_ecard", {**AT, "user_id": "cnjd18463287301_p", "action": "余额使用", "product_id": "100039032355",
                          "quantity": 1}),
        ("schedule_service", {**AT, "user_id": "cnjd18463287301_p", "order_id": "1234567890", "user_name": "潘宛丘",
                              "phone_number": "10080895692", "service_type": "安装", "service_time": "周日"})],
    # task 12: the E-card is charged before the order exists
    12: [("manage_ecard", {"platform": JD, "user_id": "cnjd18700806944_p", "action": "余额使用", "shop_id": SHOP,
                           "product_id": "100138880716", "quantity": 1}),
         ("manage_order", {**AT, "user_id": "cnjd18700806944_p", "action": "增加", "payment": "京东E卡",
                           "product_info_list": [{"product_id": "100138880716", "quantity": 1}]}),
         ("schedule_service", {**AT, "user_id": "cnjd18700806944_p", "order_id": "1234567890", "user_name": "林墨阳",
                               "phone_number": "18700806944", "service_type": "安装", "service_time": "周四"})],
    # task 17: two returns, two cancellations, one refund to the E-card
    17: [("manage_return", {**AT, "user_id": "cnjd丶暖心萌面人", "order_id": "931050936855"}),
         ("manage_return", {**AT, "user_id": "cnjd丶暖心萌面人", "order_id": "874713723844"}),
         ("manage_order", {**AT, "user_id": "cnjd丶暖心萌面人", "order_id": "313601294520", "action": "取消"}),
         ("manage_order", {**AT, "user_id": "cnjd丶暖心萌面人", "order_id": "314635854890", "action": "取消"}),
         ("manage_ecard", {"platform": JD, "user_id": "cnjd丶暖心萌面人", "action": "退款", "amount": 4789.04})],
    # task 2: urgent, cashback, invoice
    2: [("manage_urgent", {**AT, "user_id": "cnjdii星星ii", "order_id": "316123105676"}),
        ("register_cashback_by_review", {**AT, "user_id": "cnjdii星星ii", "order_id": "316123105676",
                                         "action": "返现"}),
        ("manage_invoice", {"title": "曹柔惠", "order_id": "316123105676", "phone_number": "11213348266",
                            "invoice_type": "个人发票"})],
}


@pytest.mark.parametrize("index", sorted(GOLDEN))
def test_golden_actions_succeed_and_change_the_store(domain, index):
    store = domain.new_store()
    for name, arguments in GOLDEN[index]:
        result = domain.tools.call(store, name + "_tool", arguments)
        assert result.ok, (name, result.content)
    assert store.changed()
    again = domain.new_store()
    for name, arguments in GOLDEN[index]:
        domain.tools.call(again, name + "_tool", arguments)
    assert store.diff_keys(again) == []  # replaying is deterministic


def test_golden_order_then_card_equals_card_then_order(domain):
    """Task 12 charges the card before ordering; the end state does not depend on that order."""
    forward, backward = domain.new_store(), domain.new_store()
    for name, arguments in GOLDEN[12]:
        domain.tools.call(forward, name + "_tool", arguments)
    for name, arguments in [GOLDEN[12][1], GOLDEN[12][0], GOLDEN[12][2]]:
        domain.tools.call(backward, name + "_tool", arguments)
    assert forward.diff_keys(backward) == []
    assert sorted(forward.changed()) == [("orders", JD), ("service", JD), ("users_info", "cnjd18700806944_p")]
