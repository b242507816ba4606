"""Tools that change the seller-support desk's data.

Each tool checks what the data can decide (the object exists, its status
allows the action, a limit is not exceeded, nothing is done twice) and refuses
with a ToolError otherwise. Judgements that need the conversation -- whether
the object belongs to the seller in the agent's context, whether the seller
says the problem is fixed, whether the seller insists -- are the agent's job
under the policy.

Writes are deterministic: no clock (the desk's date is fixed), ids derived from
the inputs. Free-text arguments (notes, summaries) are echoed back but never
stored, so the expected state does not depend on how the agent words them.
"""

from __future__ import annotations

from typing import Any

from pytest_ecom.domains.seller_support._common import (
    ACCOUNT_ID,
    CAMPAIGN_ID,
    CREATIVE_ID,
    CREATIVE_REVIEW_TIME,
    ESCALATION_TIME,
    LISTING_ID,
    LISTING_REVIEW_TIME,
    MAX_BUDGET_CHANGES_PER_DAY,
    MAX_DAILY_BUDGET,
    MAX_LISTING_RESUBMISSIONS,
    MIN_DAILY_BUDGET,
    REFUND_TIME,
    SELLER_ID,
    TODAY_TEXT,
    account_or_error,
    campaign_or_error,
    creative_index,
    free_text,
    listing_or_error,
    money,
    only,
    require_campaign_status,
    seller_or_error,
)
from pytest_ecom.store import Store
from pytest_ecom.tools import ToolError, tool

# -- campaigns -----------------------------------------------------------------------------


@tool(
    writes=True,
    parameters={
        "properties": {
            "campaign_id": CAMPAIGN_ID,
            "reason": {"type": "string",
                       "enum": ["seller_request", "budget_pacing", "underperforming", "creative_issue",
                                "out_of_stock"],
                       "description": "budget_pacing: it spends too fast or too slow; underperforming: results "
                                      "far below the targets; creative_issue: its ads have a problem; out_of_stock: "
                                      "the advertised products sold out; seller_request: any other reason."},
        },
        "required": ["campaign_id", "reason"],
    },
)
def pause_campaign(store: Store, campaign_id: str, reason: str) -> dict[str, Any]:
    """Pause an active campaign: its ads stop showing at once and it spends nothing more until resumed.

    Today's spend so far is not refunded. Does NOT check that the campaign belongs to the seller.
    """
    require_campaign_status(campaign_id, campaign_or_error(store, campaign_id), ("active",), "pause")
    campaign = store.edit("campaigns", campaign_id)
    campaign.update(status="paused", pause_reason=reason, paused_on=TODAY_TEXT)
    return {"campaign_id": campaign_id, "status": "paused", "pause_reason": reason,
            "spent_today": campaign["spent_today"]}


@tool(writes=True, parameters=only("campaign_id", CAMPAIGN_ID))
def resume_campaign(store: Store, campaign_id: str) -> dict[str, Any]:
    """Resume a paused campaign so its ads show again today.

    Refused when its end date has passed, when none of its creatives is approved, or when the seller's
    advertising account is closed. Does NOT check that the campaign belongs to the seller.
    """
    campaign = campaign_or_error(store, campaign_id)
    require_campaign_status(campaign_id, campaign, ("paused",), "resume")
    if campaign["end_date"] < TODAY_TEXT:
        raise ToolError(f"campaign {campaign_id} ended on {campaign['end_date']}; create a new campaign instead")
    if not any(c["review_status"] == "approved" for c in campaign["creatives"]):
        raise ToolError(f"campaign {campaign_id} has no approved creative, so it cannot deliver ads; "
                        "fix and resubmit a rejected creative first")
    account_id = seller_or_error(store, campaign["seller_id"])["ad_account_id"]
    if account_or_error(store, account_id)["status"] != "open":
        raise ToolError(f"the seller's ad account {account_id} is closed; campaigns cannot run without an open account")
    campaign = store.edit("campaigns", campaign_id)
    campaign.update(status="active", pause_reason=None, paused_on=None, resumed_on=TODAY_TEXT)
    return {"campaign_id": campaign_id, "status": "active", "daily_budget": campaign["daily_budget"]}


@tool(
    writes=True,
    parameters={
        "properties": {
            "campaign_id": CAMPAIGN_ID,
            "daily_budget": {"type": "number", "minimum": MIN_DAILY_BUDGET, "maximum": MAX_DAILY_BUDGET,
                             "description": f"New daily budget in dollars, from {MIN_DAILY_BUDGET} to "
                                            f"{MAX_DAILY_BUDGET:,}, e.g. 250."},
        },
        "required": ["campaign_id", "daily_budget"],
    },
)
def change_campaign_budget(store: Store, campaign_id: str, daily_budget: float) -> dict[str, Any]:
    """Set the daily budget of an active or paused campaign; it applies from now on, today included.

    At most 3 budget changes per campaign per day. Does NOT check that the campaign belongs to the seller.
    """
    campaign = campaign_or_error(store, campaign_id)
    require_campaign_status(campaign_id, campaign, ("active", "paused"), "change the budget")
    new = money(daily_budget)
    if new == campaign["daily_budget"]:
        raise ToolError(f"campaign {campaign_id} already has a daily budget of {new:.2f}; nothing to change")
    if campaign["budget_changes_today"] >= MAX_BUDGET_CHANGES_PER_DAY:
        raise ToolError(f"campaign {campaign_id} already had {campaign['budget_changes_today']} budget changes today; "
                        f"at most {MAX_BUDGET_CHANGES_PER_DAY} per day, the budget can be changed again tomorrow")
    campaign = store.edit("campaigns", campaign_id)
    old = campaign["daily_budget"]
    campaign["daily_budget"] = new
    campaign["budget_changes_today"] += 1
    campaign["budget_history"].append({"date": TODAY_TEXT, "from": old, "to": new})
    return {"campaign_id": campaign_id, "previous_daily_budget": old, "daily_budget": new,
            "budget_changes_left_today": MAX_BUDGET_CHANGES_PER_DAY - campaign["budget_changes_today"]}


@tool(
    writes=True,
    parameters={
        "properties": {
            "campaign_id": CAMPAIGN_ID,
            "creative_id": CREATIVE_ID,
            "changes_note": free_text("What the seller changed in the creative to fix the rejection reason."),
        },
        "required": ["campaign_id", "creative_id", "changes_note"],
    },
)
def resubmit_creative(store: Store, campaign_id: str, creative_id: str, changes_note: str) -> dict[str, Any]:
    """Send a rejected creative back to ad review after the seller has fixed it; reviewed within 24 hours.

    Only rejected creatives of campaigns that have not ended. Does NOT check that the seller really fixed
    it: resubmit only after the seller says so.
    """
    campaign = campaign_or_error(store, campaign_id)
    creative = campaign["creatives"][creative_index(campaign_id, campaign, creative_id)]
    if campaign["status"] == "ended":
        raise ToolError(f"campaign {campaign_id} has ended; its creatives are no longer reviewed")
    if creative["review_status"] != "rejected":
        raise ToolError(f"creative {creative_id} is {creative['review_status']}; only a rejected creative is resubmitted")
    campaign = store.edit("campaigns", campaign_id)
    creative = campaign["creatives"][creative_index(campaign_id, campaign, creative_id)]
    creative.update(review_status="pending", previous_rejection_reason=creative["rejection_reason"],
                    rejection_reason=None, resubmitted_on=TODAY_TEXT, resubmissions=creative["resubmissions"] + 1)
    return {"campaign_id": campaign_id, "creative_id": creative_id, "review_status": "pending",
            "changes_note": changes_note, "review_time": CREATIVE_REVIEW_TIME}


# -- listings --------------------------------------------------------------------------------


@tool(
    writes=True,
    parameters={
        "properties": {
            "listing_id": LISTING_ID,
            "changes_note": free_text("What the seller corrected in the listing, e.g. which description field."),
        },
        "required": ["listing_id", "changes_note"],
    },
)
def resubmit_listing(store: Store, listing_id: str, changes_note: str) -> dict[str, Any]:
    """Send a rejected product listing back to review after the seller has corrected it; reviewed in
    1-2 business days. A listing can be resubmitted at most 3 times; after that a listing specialist
    must review it (escalate_to_specialist).

    Does NOT check that the seller really fixed it: resubmit only after the seller says so.
    """
    listing = listing_or_error(store, listing_id)
    if listing["status"] != "rejected":
        state = "already approved" if listing["status"] == "approved" else "already waiting for review"
        raise ToolError(f"listing {listing_id} is {state}; only a rejected listing is resubmitted")
    if listing["revision_count"] >= MAX_LISTING_RESUBMISSIONS:
        raise ToolError(f"listing {listing_id} was already resubmitted {listing['revision_count']} times, the maximum; "
                        "a listing specialist must review it (escalate_to_specialist, topic listing_review)")
    listing = store.edit("listings", listing_id)
    listing.update(status="pending", previous_rejection_reasons=listing["rejection_reasons"], rejection_reasons=[],
                   revision_count=listing["revision_count"] + 1, last_submitted=TODAY_TEXT)
    return {"listing_id": listing_id, "status": "pending", "revision_count": listing["revision_count"],
            "changes_note": changes_note, "review_time": LISTING_REVIEW_TIME}


# -- advertising account -----------------------------------------------------------------------


@tool(
    writes=True,
    parameters={
        "properties": {
            "account_id": ACCOUNT_ID,
            "amount": {"type": "number", "exclusiveMinimum": 0,
                       "description": "Amount in dollars, at most the account's refundable_amount, e.g. 120.0."},
        },
        "required": ["account_id", "amount"],
    },
)
def request_ad_balance_refund(store: Store, account_id: str, amount: float) -> dict[str, Any]:
    """Refund balance of a closed advertising account to the seller's bank account; paid out in
    3-5 business days. Only closed accounts, and at most the refundable amount (promotional credit is
    never refunded). Does NOT check that the account belongs to the seller.
    """
    account = account_or_error(store, account_id)
    if account["status"] != "closed":
        raise ToolError(f"ad account {account_id} is open; its balance can only be refunded after the seller closes it")
    amount = money(amount)
    if amount > account["refundable_amount"]:
        raise ToolError(f"only {account['refundable_amount']:.2f} of account {account_id} is refundable "
                        f"(balance {account['balance']:.2f}, of which {account['promotional_credit']:.2f} "
                        "is promotional credit that is never refunded)")
    account = store.edit("ad_accounts", account_id)
    request = {"request_id": f"RF-{account_id}-{len(account['refund_requests']) + 1}", "amount": amount,
               "requested_on": TODAY_TEXT, "status": "processing"}
    account["refund_requests"].append(request)
    account["balance"] = money(account["balance"] - amount)
    account["refundable_amount"] = money(account["refundable_amount"] - amount)
    return {"account_id": account_id, **request, "paid_out_within": REFUND_TIME,
            "remaining_balance": account["balance"], "still_refundable": account["refundable_amount"]}


# -- hand-off --------------------------------------------------------------------------------------


@tool(
    writes=True,
    parameters={
        "properties": {
            "seller_id": SELLER_ID,
            "topic": {"type": "string",
                      "enum": ["creative_review", "listing_review", "campaign_performance", "budget_and_pacing",
                               "partnership", "ad_account_refund", "other"],
                      "description": "The specialist team: creative_review (ad rejections), listing_review "
                                     "(listing rejections), campaign_performance (results and targets), "
                                     "budget_and_pacing (spend), partnership (programme applications), "
                                     "ad_account_refund (balance refunds), other."},
            "summary": free_text("The case in a few sentences: what the seller wants and what was already checked.",
                                 max_length=2000),
        },
        "required": ["seller_id", "topic", "summary"],
    },
)
def escalate_to_specialist(store: Store, seller_id: str, topic: str, summary: str) -> dict[str, Any]:
    """Open a case with a specialist team, who contact the seller within 2 business days.

    One open case per seller and topic. Use it when the policy cannot resolve the request or the seller
    insists after you explained the policy.
    """
    seller_or_error(store, seller_id)
    case_id = f"ESC-{seller_id}-{topic}"
    if store.get("escalations", case_id) is not None:
        raise ToolError(f"seller {seller_id} already has an open {topic} case ({case_id})")
    case = {"escalation_id": case_id, "seller_id": seller_id, "topic": topic, "status": "open",
            "created_on": TODAY_TEXT}
    store.put("escalations", case_id, case)
    return {**case, "summary": summary, "contact": f"a specialist contacts the seller within {ESCALATION_TIME}"}


WRITE_TOOLS = (
    pause_campaign, resume_campaign, change_campaign_budget, resubmit_creative, resubmit_listing,
    request_ad_balance_refund, escalate_to_specialist,
)
