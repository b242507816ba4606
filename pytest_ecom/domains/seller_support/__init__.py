"""The ``seller_support`` domain: a marketplace's support desk for sellers (merchants).

A seller asks about their ad campaigns and creatives, product listings,
partnership applications and advertising-account balance. Data and policy live
in ``fixtures/seller_support/`` (``store.json``, ``policy.md``); this package
holds the tools. The desk's clock is fixed at 2026-03-10 12:00.
"""

from pytest_ecom.domains.registry import DomainSpec
from pytest_ecom.domains.seller_support._common import TODAY
from pytest_ecom.domains.seller_support.reads import READ_TOOLS
from pytest_ecom.domains.seller_support.writes import WRITE_TOOLS

# Changes the seller must confirm first: pausing or resuming a campaign, its budget, a balance refund.
# Resubmitting for review and escalating change nothing the seller pays for.
CONSEQUENTIAL = frozenset({"pause_campaign", "resume_campaign", "change_campaign_budget", "request_ad_balance_refund"})
DOMAIN = DomainSpec(name="seller_support", tools=READ_TOOLS + WRITE_TOOLS, consequential=CONSEQUENTIAL,
                    today=TODAY)

__all__ = ["DOMAIN", "TODAY"]
