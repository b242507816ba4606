"""Read-only tools of the seller-support desk: sellers, campaigns and their
creatives, listings, partnership applications and advertising accounts."""

from __future__ import annotations

from typing import Any

from pytest_ecom.domains.seller_support._common import (
    ACCOUNT_ID,
    APPLICATION_ID,
    CAMPAIGN_ID,
    CAMPAIGN_STATUSES,
    CREATIVE_ID,
    HOURS_PER_DAY,
    LISTING_ID,
    MAX_BUDGET_CHANGES_PER_DAY,
    MAX_LISTING_RESUBMISSIONS,
    NOW_HOUR,
    REFUND_TIME,
    SELLER_ID,
    account_or_error,
    application_or_error,
    campaign_or_error,
    clock,
    creative_index,
    listing_or_error,
    money,
    only,
    seller_or_error,
)
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError, tool

# Below this share of its daily budget, a campaign's projected spend counts as too slow.
SLOW_PACE_SHARE = 0.7

# -- sellers and campaigns ---------------------------------------------------------


@tool(writes=False, parameters=only("seller_id", SELLER_ID))
def get_seller(store: Store, seller_id: str) -> dict[str, Any]:
    """Get a seller's profile: name, shop name, contact email and phone, tier (standard, silver, gold)
    and the id of their advertising account (ad_account_id)."""
    return {"seller_id": seller_id, **seller_or_error(store, seller_id)}


@tool(
    writes=False,
    parameters={
        "properties": {
            "seller_id": SELLER_ID,
            "status": {"type": "string", "enum": list(CAMPAIGN_STATUSES), "description": "Only campaigns in this status."},
        },
        "required": ["seller_id"],
    },
)
def list_campaigns(store: Store, seller_id: str, status: str | None = None) -> list[dict[str, Any]]:
    """List a seller's ad campaigns: campaign id, name, status (active, paused, ended), daily budget and dates.

    Use get_campaign for the creatives and budget details of one campaign.
    """
    seller_or_error(store, seller_id)
    return [
        {"campaign_id": key, "name": c["name"], "status": c["status"], "daily_budget": c["daily_budget"],
         "start_date": c["start_date"], "end_date": c["end_date"]}
        for key, c in store.records("campaigns")
        if c["seller_id"] == seller_id and (status is None or c["status"] == status)
    ]


def _creative_summary(creative: dict[str, Any]) -> dict[str, Any]:
    return {k: creative[k] for k in ("creative_id", "name", "format", "review_status")}


@tool(writes=False, parameters=only("campaign_id", CAMPAIGN_ID))
def get_campaign(store: Store, campaign_id: str) -> dict[str, Any]:
    """Get one campaign: owner (seller_id), name, status, dates, daily budget, today's spend so far,
    budget changes made today (at most 3 per day), bid, why it is paused (when it is) and its creatives
    with their review status (approved, rejected, pending).

    Use get_creative_review for why a creative was rejected, get_campaign_performance for results and pace.
    """
    c = campaign_or_error(store, campaign_id)
    out = {k: v for k, v in c.items() if k not in ("creatives", "targets", "results")}
    return {"campaign_id": campaign_id, **out, "budget_changes_left_today":
            max(0, MAX_BUDGET_CHANGES_PER_DAY - c["budget_changes_today"]),
            "creatives": [_creative_summary(cr) for cr in c["creatives"]]}


def _targets(campaign: dict[str, Any]) -> dict[str, Any]:
    rows = {}
    for metric, target in campaign["targets"].items():
        actual = campaign["results"].get(metric, 0)
        rows[metric] = {"target": target, "actual": actual, "met": actual >= target,
                        "attainment_pct": round(100 * actual / target) if target else None}
    return rows


def _pace(campaign: dict[str, Any]) -> dict[str, Any]:
    """Where today's spend is heading at the current hourly rate, compared with the daily budget."""
    budget, spent, rate = campaign["daily_budget"], campaign["spent_today"], campaign["spend_rate_per_hour"]
    at_current_rate = money(spent + rate * (HOURS_PER_DAY - NOW_HOUR))
    pace: dict[str, Any] = {
        "as_of": f"{NOW_HOUR:02d}:00", "daily_budget": budget, "spent_today": spent, "spend_rate_per_hour": rate,
        "spend_by_midnight_at_current_rate": at_current_rate,
        "projected_spend_today": min(at_current_rate, budget), "budget_runs_out_at": None,
    }
    if spent >= budget:
        pace.update(pace="too_fast", budget_runs_out_at="already used up today")
    elif at_current_rate > budget:
        pace.update(pace="too_fast", budget_runs_out_at=clock(NOW_HOUR + (budget - spent) / rate))
    elif at_current_rate < SLOW_PACE_SHARE * budget:
        pace.update(pace="too_slow", projected_unspent=money(budget - at_current_rate))
        if campaign["bid"] < campaign["suggested_bid"]:
            pace["likely_cause"] = (f"the bid {campaign['bid']:.2f} is below the suggested bid "
                                    f"{campaign['suggested_bid']:.2f}, so the ads win few auctions")
    else:
        pace["pace"] = "on_track"
    return pace


@tool(writes=False, parameters=only("campaign_id", CAMPAIGN_ID))
def get_campaign_performance(store: Store, campaign_id: str) -> dict[str, Any]:
    """Get a campaign's results against the seller's targets (each metric: target, actual, met,
    attainment_pct) and, for an active campaign, today's pace as of 12:00: spend so far, hourly spend
    rate, projected spend, whether it is too_fast, too_slow or on_track, and the time the daily budget
    runs out when it is too fast. Results are final for ended campaigns and to date otherwise.
    """
    c = campaign_or_error(store, campaign_id)
    targets = _targets(c)
    out = {"campaign_id": campaign_id, "seller_id": c["seller_id"], "name": c["name"], "status": c["status"],
           "results_are": "final" if c["status"] == "ended" else "to date",
           "results": c["results"], "targets": targets,
           "targets_met": f"{sum(t['met'] for t in targets.values())} of {len(targets)}"}
    if c["status"] == "active":
        out["today"] = _pace(c)
    else:
        out["today"] = {"pace": None, "message": f"the campaign is {c['status']}, so it spends nothing today"}
    return out


@tool(
    writes=False,
    parameters={"properties": {"campaign_id": CAMPAIGN_ID, "creative_id": CREATIVE_ID},
                "required": ["campaign_id", "creative_id"]},
)
def get_creative_review(store: Store, campaign_id: str, creative_id: str) -> dict[str, Any]:
    """Get the review of one creative (ad image, video or carousel) of a campaign: review status, the date
    of the review, and for a rejected creative the reason, the advertising rule it breaks and how to fix it.
    """
    c = campaign_or_error(store, campaign_id)
    creative = c["creatives"][creative_index(campaign_id, c, creative_id)]
    return {"campaign_id": campaign_id, "campaign_name": c["name"], "seller_id": c["seller_id"], **creative}


# -- listings ------------------------------------------------------------------------


@tool(writes=False, parameters=only("seller_id", SELLER_ID))
def list_listings(store: Store, seller_id: str) -> list[dict[str, Any]]:
    """List a seller's product listings: listing id, title and review status (approved, rejected, pending).

    Use get_listing for the rejection reasons of one listing.
    """
    seller_or_error(store, seller_id)
    return [{"listing_id": key, "title": li["title"], "status": li["status"]}
            for key, li in store.records("listings") if li["seller_id"] == seller_id]


@tool(writes=False, parameters=only("listing_id", LISTING_ID))
def get_listing(store: Store, listing_id: str) -> dict[str, Any]:
    """Get one product listing: owner (seller_id), title, review status, rejection reasons, each place where
    the description contradicts the product attributes (field, what the description says, what the
    attribute says), how many times it was resubmitted (at most 3) and when it was last submitted."""
    listing = listing_or_error(store, listing_id)
    left = max(0, MAX_LISTING_RESUBMISSIONS - listing["revision_count"])
    return {"listing_id": listing_id, **listing, "resubmissions_left": left}


# -- partnership programmes -------------------------------------------------------------


@tool(
    writes=False,
    parameters={
        "properties": {
            "application_id": APPLICATION_ID,
            "seller_id": SELLER_ID | {"description": 'Seller id, e.g. "s_2001": returns all of that seller\'s '
                                                     "applications. Give this or application_id, not both."},
        },
    },
)
def get_partnership_application(store: Store, application_id: str | None = None,
                                seller_id: str | None = None) -> dict[str, Any]:
    """Get partnership applications (featured_seller, brand_partner or logistics_partner programmes) by
    application_id, or all of a seller's applications by seller_id; give exactly one of the two.

    Each shows the status (submitted, under_review, needs_documents, approved, rejected), its steps with
    dates, the expected decision date, missing documents and their due date, or why it was rejected.
    """
    if (application_id is None) == (seller_id is None):
        raise ToolError("give exactly one of application_id or seller_id")
    if application_id is not None:
        return {"application_id": application_id, **application_or_error(store, application_id)}
    seller_or_error(store, seller_id)
    found = [{"application_id": key, **a} for key, a in store.records("partnership_applications")
             if a["seller_id"] == seller_id]
    return {"seller_id": seller_id, "applications": found}


# -- advertising account -------------------------------------------------------------------


@tool(writes=False, parameters=only("account_id", ACCOUNT_ID))
def get_ad_account(store: Store, account_id: str) -> dict[str, Any]:
    """Get an advertising account: owner (seller_id), status (open or closed), balance, the part of it that
    is promotional credit (never refundable), the refundable amount, and earlier refund requests.

    A refund of the balance is only possible once the account is closed.
    """
    account = account_or_error(store, account_id)
    if account["status"] != "closed":
        refund = "not possible while the account is open; the seller closes it first"
    elif account["refundable_amount"] <= 0:
        refund = "nothing left to refund"
    else:
        refund = f"up to {account['refundable_amount']:.2f}, paid out in {REFUND_TIME}"
    return {"account_id": account_id, **account, "refund": refund}


READ_TOOLS = (
    get_seller, list_campaigns, get_campaign, get_campaign_performance, get_creative_review,
    list_listings, get_listing, get_partnership_application, get_ad_account,
)
