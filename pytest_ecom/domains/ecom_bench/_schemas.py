"""The 21 tools of ECom-Bench as the reference serves them: descriptions and argument schemas.

Copied from ECom-Bench's ``tools.json`` (Apache-2.0, see ``fixtures/ecom_bench/LICENSE``) so
that an agent sees exactly what it sees in the reference (like the reference's, they do not
forbid unknown keys: its server ignores them, and so do our tools, see ``_arguments.py``). One
change: ``"default": null`` is dropped from optional arguments. In JSON Schema ``default`` only
annotates, and a ``null`` default contradicts the argument's own ``"type": "string"``. An
omitted optional argument reaches the tool as ``None`` either way, as in the reference.

One addition: ``manage_ecard_tool``'s refund ``amount`` is marked ``x-derived`` (the agent
computes it, e.g. old price minus new price), so the solvability check does not look for the
number itself in what the agent saw. ``x-`` keys are removed from what agents are sent.
"""

from __future__ import annotations

from typing import Any

# served name -> {"description": ..., "parameters": <inputSchema without "type">}, in the reference's order
TOOL_SPECS: dict[str, dict[str, Any]] = {
    "get_user_info_tool": {
        "description": "\n    用于获取默认的用户信息。当需要查询用户保存的相关用户信息时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                }
            },
            "required": [
                "user_id"
            ],
            "title": "get_user_info_toolArguments"
        }
    },
    "get_user_orders_info_tool": {
        "description": "\n    用于根据用户ID获取用户所有的订单ID。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "user_id"
            ],
            "title": "get_user_orders_info_toolArguments"
        }
    },
    "get_logistics_info_tool": {
        "description": "\n    用于获取物流政策的信息\n    当用户询问物流相关的问题时，可以调用此工具\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID",
                    "title": "Order Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "order_id",
                "user_id"
            ],
            "title": "get_logistics_info_toolArguments"
        }
    },
    "get_discount_info_tool": {
        "description": "\n    用于获取优惠信息\n    当用户询问优惠政策时，可以调用此工具\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id"
            ],
            "title": "get_discount_info_toolArguments"
        }
    },
    "get_image_info_tool": {
        "description": "\n    图像识别工具：仅在以下情况调用：\n    1. 当前或历史消息中包含图片链接（如含 `gif|png|jpg|jpeg|webp|svg|psd|bmp|tif|tiff|heic` 等扩展名），调用时必须包含完整图片链接\n    2. 你需要从图片中获取图片内容信息来解决问题\n    ",
        "parameters": {
            "properties": {
                "summarized_query": {
                    "description": "根据上下文总结顾客对图片的需求（用于任务提示）",
                    "title": "Summarized Query",
                    "type": "string"
                },
                "needed_query": {
                    "description": "总结希望从图片中提取到的信息内容",
                    "title": "Needed Query",
                    "type": "string"
                },
                "history_messages": {
                    "description": "对话上下文，必须包含图片完整链接。",
                    "title": "History Messages",
                    "type": "string"
                }
            },
            "required": [
                "summarized_query",
                "needed_query",
                "history_messages"
            ],
            "title": "get_image_info_toolArguments"
        }
    },
    "get_repair_info_tool": {
        "description": "\n    用于获取维修服务的信息。当用户询问维修服务时,可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "product_id": {
                    "description": "商品ID",
                    "title": "Product Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "product_id"
            ],
            "title": "get_repair_info_toolArguments"
        }
    },
    "manage_return_tool": {
        "description": "\n    用于处理退货服务的信息。当用户需要申请退货时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID",
                    "title": "Order Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "order_id",
                "user_id"
            ],
            "title": "manage_return_toolArguments"
        }
    },
    "manage_exchange_tool": {
        "description": "\n    用于处理换货服务。当用户需要提交换货申请时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID",
                    "title": "Order Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                },
                "original_product_id": {
                    "description": "原商品ID",
                    "title": "Original Product Id",
                    "type": "string"
                },
                "action": {
                    "description": "操作类型，'查询'为查询换货信息，'换货'为处理换货申请",
                    "enum": [
                        "查询",
                        "换货"
                    ],
                    "title": "Action",
                    "type": "string"
                },
                "exchange_product_id": {
                    "description": "换货商品ID，仅在action为'换货'时必填",
                    "title": "Exchange Product Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "order_id",
                "user_id",
                "original_product_id",
                "action"
            ],
            "title": "manage_exchange_toolArguments"
        }
    },
    "manage_urgent_tool": {
        "description": "\n    用于处理发货、运输加急服务的工具。当用户需要加急发货、运输服务时,可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID",
                    "title": "Order Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "order_id",
                "user_id"
            ],
            "title": "manage_urgent_toolArguments"
        }
    },
    "get_auxiliary_materials_info_tool": {
        "description": "\n    用于获取商品的辅材信息。当用户询问商品辅材信息时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "product_id": {
                    "description": "商品ID",
                    "title": "Product Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "product_id"
            ],
            "title": "get_auxiliary_materials_info_toolArguments"
        }
    },
    "get_gift_info_tool": {
        "description": "\n    用于获取赠品信息。当用户询问赠品相关问题时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "product_id": {
                    "description": "商品ID",
                    "title": "Product Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "product_id"
            ],
            "title": "get_gift_info_toolArguments"
        }
    },
    "manage_ecard_tool": {
        "description": "\n    用于管理京东E卡信息（查询服务、使用、余额查询、退款）。当用户提出有关京东E卡相关问题时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                },
                "action": {
                    "description": "操作类型，可选值：信息查询（查询京东E卡相关信息）、余额使用、余额查询、退款",
                    "enum": [
                        "信息查询",
                        "余额使用",
                        "余额查询",
                        "退款"
                    ],
                    "title": "Action",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID（仅在action为余额使用时必填）",
                    "title": "Shop Id",
                    "type": "string"
                },
                "product_id": {
                    "description": "商品ID（仅在action为余额使用时必填）",
                    "title": "Product Id",
                    "type": "string"
                },
                "quantity": {
                    "description": "商品购买数量（仅在action为余额使用时必填）",
                    "title": "Quantity",
                    "type": "integer"
                },
                "amount": {
                    "description": "退款金额（仅在action为退款时必填）",
                    "title": "Amount",
                    "type": "number",
                    "x-derived": True
                }
            },
            "required": [
                "platform",
                "user_id",
                "action"
            ],
            "title": "manage_ecard_toolArguments"
        }
    },
    "get_installation_service_info_tool": {
        "description": "\n    用于获取商品安装服务信息或问题。当用户询问安装服务，安装流程时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "product_id": {
                    "description": "商品ID",
                    "title": "Product Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "product_id"
            ],
            "title": "get_installation_service_info_toolArguments"
        }
    },
    "get_product_info_tool": {
        "description": "\n    用于获取商品详情。当用户询问商品信息时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "product_id": {
                    "description": "商品ID",
                    "title": "Product Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "product_id"
            ],
            "title": "get_product_info_toolArguments"
        }
    },
    "manage_order_tool": {
        "description": "\n    用于管理订单信息，包括查询订单、取消订单（需要向用户再次确认）、修改订单（地址、手机号）、下订单操作。\n    订单的信息包括用户购买的商品，收货地址等具体信息\n    ",
        "parameters": {
            "$defs": {
                "ProductInfo": {
                    "properties": {
                        "product_id": {
                            "description": "商品ID",
                            "title": "Product Id",
                            "type": "string"
                        },
                        "quantity": {
                            "description": "商品数量",
                            "title": "Quantity",
                            "type": "integer"
                        }
                    },
                    "required": [
                        "product_id",
                        "quantity"
                    ],
                    "title": "ProductInfo",
                    "type": "object"
                }
            },
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                },
                "action": {
                    "description": "操作类型，可选值：查询、取消、修改（地址/手机号）、增加（下订单）",
                    "enum": [
                        "查询",
                        "取消",
                        "修改",
                        "增加"
                    ],
                    "title": "Action",
                    "type": "string"
                },
                "payment": {
                    "description": "支付方式（仅在action为增加时必填）",
                    "enum": [
                        "银行卡",
                        "京东E卡",
                        "微信",
                        "支付宝"
                    ],
                    "title": "Payment",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID（仅在action为查询、取消、修改时必填）",
                    "title": "Order Id",
                    "type": "string"
                },
                "address": {
                    "description": "新收货地址（仅在action为修改时选填）",
                    "title": "Address",
                    "type": "string"
                },
                "phone_number": {
                    "description": "新手机号（仅在action为修改时选填）",
                    "title": "Phone Number",
                    "type": "string"
                },
                "product_info_list": {
                    "description": "商品信息（仅在action为增加时必填）",
                    "items": {
                        "$ref": "#/$defs/ProductInfo"
                    },
                    "title": "Product Info List",
                    "type": "array"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "user_id",
                "action"
            ],
            "title": "manage_order_toolArguments"
        }
    },
    "schedule_service_tool": {
        "description": "\n    用于用户想要预约维修、上门检查、安装服务。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID",
                    "title": "Order Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                },
                "user_name": {
                    "description": "用户姓名",
                    "title": "User Name",
                    "type": "string"
                },
                "phone_number": {
                    "description": "用户电话号码",
                    "title": "Phone Number",
                    "type": "string"
                },
                "service_type": {
                    "description": "用户需要的服务类型",
                    "enum": [
                        "维修",
                        "检查",
                        "安装"
                    ],
                    "title": "Service Type",
                    "type": "string"
                },
                "service_time": {
                    "description": "用户预约服务的时间",
                    "enum": [
                        "周一",
                        "周二",
                        "周三",
                        "周四",
                        "周五",
                        "周六",
                        "周日"
                    ],
                    "title": "Service Time",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "order_id",
                "user_id",
                "user_name",
                "phone_number",
                "service_type",
                "service_time"
            ],
            "title": "schedule_service_toolArguments"
        }
    },
    "get_fault_code_info_tool": {
        "description": "\n    用于获取商品故障码对应的故障信息。当用户反馈商品故障码时,可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "product_id": {
                    "description": "商品ID",
                    "title": "Product Id",
                    "type": "string"
                },
                "fault_code": {
                    "description": "商品故障码",
                    "title": "Fault Code",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "product_id",
                "fault_code"
            ],
            "title": "get_fault_code_info_toolArguments"
        }
    },
    "register_cashback_by_review_tool": {
        "description": "\n    处理电商平台晒单返现的查询与返现流程。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID",
                    "title": "Order Id",
                    "type": "string"
                },
                "action": {
                    "description": "操作类型：'查询'-检查晒单状态，'返现'-在确认已经晒单基础上进行返现",
                    "enum": [
                        "查询",
                        "返现"
                    ],
                    "title": "Action",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "user_id",
                "order_id",
                "action"
            ],
            "title": "register_cashback_by_review_toolArguments"
        }
    },
    "compare_products_info_tool": {
        "description": "\n    用于对比同一店铺下多个商品的信息。当用户需要对比商品参数、配置、价格等信息时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "product_ids": {
                    "description": "待对比的商品ID列表",
                    "items": {
                        "type": "string"
                    },
                    "title": "Product Ids",
                    "type": "array"
                }
            },
            "required": [
                "shop_id",
                "platform",
                "product_ids"
            ],
            "title": "compare_products_info_toolArguments"
        }
    },
    "manage_invoice_tool": {
        "description": "\n    用于申请开具发票。当用户需要开具发票时，可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "title": {
                    "description": "发票抬头，如公司名称或个人姓名",
                    "title": "Title",
                    "type": "string"
                },
                "order_id": {
                    "description": "订单ID",
                    "title": "Order Id",
                    "type": "string"
                },
                "phone_number": {
                    "description": "联系电话",
                    "title": "Phone Number",
                    "type": "string"
                },
                "invoice_type": {
                    "description": "发票类型，可选值：个人发票、企业发票、增值税专用发票，需要用户提供",
                    "enum": [
                        "个人发票",
                        "企业发票",
                        "增值税专用发票"
                    ],
                    "title": "Invoice Type",
                    "type": "string"
                }
            },
            "required": [
                "title",
                "order_id",
                "phone_number",
                "invoice_type"
            ],
            "title": "manage_invoice_toolArguments"
        }
    },
    "transfer_to_specialist_tool": {
        "description": "\n    用于转接至相应专线客服。当客服需要转接买家至专线客服时,可以调用此工具。\n    ",
        "parameters": {
            "properties": {
                "platform": {
                    "description": "电商平台",
                    "title": "Platform",
                    "type": "string"
                },
                "shop_id": {
                    "description": "店铺ID",
                    "title": "Shop Id",
                    "type": "string"
                },
                "user_id": {
                    "description": "用户ID",
                    "title": "User Id",
                    "type": "string"
                }
            },
            "required": [
                "platform",
                "shop_id",
                "user_id"
            ],
            "title": "transfer_to_specialist_toolArguments"
        }
    },
}
