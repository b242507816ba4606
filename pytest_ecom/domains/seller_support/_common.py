"""Shared pieces of the seller-support desk's tools: the fixed clock, argument
schemas used by several tools, and "get it or refuse" helpers.

The desk lives at a fixed moment (:data:`TODAY` at :data:`NOW_HOUR`:00) so that
a campaign's pace, and therefore a task's outcome, never depends on when the
benchmark runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError, need_record

TODAY = date(2026, 3, 10)
TODAY_TEXT = TODAY.isoformat()
NOW_HOUR = 12  # 12:00 on TODAY: half of the campaigns' ad day has gone by
HOURS_PER_DAY = 24

# Limits and promises the tools enforce and report (the policy quotes the same figures).
MIN_DAILY_BUDGET = 10
MAX_DAILY_BUDGET = 10_000
MAX_BUDGET_CHANGES_PER_DAY = 3
MAX_LISTING_RESUBMISSIONS = 3
CREATIVE_REVIEW_TIME = "within 24 hours"
LISTING_REVIEW_TIME = "1-2 business days"
REFUND_TIME = "3-5 business days"
ESCALATION_TIME = "2 business days"

CAMPAIGN_STATUSES = ("active", "paused", "ended")
PROGRAMS = ("featured_seller", "brand_partner", "logistics_partner")

# -- argument schemas ------------------------------------------------------------

SELLER_ID = {"type": "string", "pattern": r"^s_[0-9]{4}$", "description": 'Seller id, e.g. "s_2001".'}
CAMPAIGN_ID = {"type": "string", "pattern": r"^c_[0-9]{4}$",
               "description": 'Campaign id, e.g. "c_4001" (list_campaigns finds a seller\'s campaigns).'}
CREATIVE_ID = {"type": "string", "pattern": r"^cr_[0-9]{4}_[0-9]+$",
               "description": 'Creative id, e.g. "cr_4001_1" (get_campaign lists a campaign\'s creatives).'}
LISTING_ID = {"type": "string", "pattern": r"^l_[0-9]{4}$",
              "description": 'Listing id, e.g. "l_5001" (list_listings finds a seller\'s listings).'}
APPLICATION_ID = {"type": "string", "pattern": r"^pa_[0-9]{4}$", "description": 'Partnership application id, e.g. "pa_6001".'}
ACCOUNT_ID = {"type": "string", "pattern": r"^ad_[0-9]{4}$",
              "description": 'Advertising account id, e.g. "ad_3001" (get_seller gives the seller\'s account).'}


def free_text(description: str, max_length: int = 1000) -> dict[str, Any]:
    """A free-text argument: the task checker does not require its value to appear in the conversation.

    The tools pass such text on but never store it, so the expected state does not depend on wording.
    """
    return {"type": "string", "minLength": 5, "maxLength": max_length, "description": description,
            "x-free-text": True}


def only(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """Parameters of a tool taking one required argument."""
    return {"properties": {name: schema}, "required": [name]}


# -- look-ups that refuse ---------------------------------------------------------


def seller_or_error(store: Store, seller_id: str) -> dict[str, Any]:
    return need_record(store, "sellers", seller_id, "seller", "check the seller id")


def campaign_or_error(store: Store, campaign_id: str) -> dict[str, Any]:
    return need_record(store, "campaigns", campaign_id, "campaign", "list the seller's campaigns with list_campaigns")


def listing_or_error(store: Store, listing_id: str) -> dict[str, Any]:
    return need_record(store, "listings", listing_id, "listing", "list the seller's listings with list_listings")


def application_or_error(store: Store, application_id: str) -> dict[str, Any]:
    return need_record(store, "partnership_applications", application_id, "partnership application",
                 "look the seller's applications up by seller_id")


def account_or_error(store: Store, account_id: str) -> dict[str, Any]:
    return need_record(store, "ad_accounts", account_id, "ad account", "get_seller gives the seller's ad_account_id")


def creative_index(campaign_id: str, campaign: dict[str, Any], creative_id: str) -> int:
    """Position of a creative in its campaign, refusing ids that belong elsewhere."""
    for i, creative in enumerate(campaign["creatives"]):
        if creative["creative_id"] == creative_id:
            return i
    known = ", ".join(c["creative_id"] for c in campaign["creatives"]) or "none"
    raise ToolError(f"campaign {campaign_id} has no creative {creative_id!r}; its creatives: {known}")


def require_campaign_status(campaign_id: str, campaign: dict[str, Any], allowed: tuple[str, ...], action: str) -> None:
    """Refuse ``action`` (e.g. "pause") unless the campaign's status is one of ``allowed``."""
    if campaign["status"] not in allowed:
        options = " or ".join(allowed)
        raise ToolError(f"cannot {action}: campaign {campaign_id} is {campaign['status']}; "
                        f"this is only possible when it is {options}")


def money(value: float) -> float:
    """Round to cents (also turns -0.0 into 0.0)."""
    return round(float(value), 2) + 0.0


def clock(hours: float) -> str:
    """Hours since midnight as HH:MM (rounded down to the minute)."""
    minutes = int(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
