"""The ``home_appliances`` domain: an English web shop selling home appliances.

Data and policy live in ``fixtures/home_appliances/`` (``store.json``, ``policy.md``);
this package holds the tools. The shop's date is fixed at 2026-03-10.
"""

from pytest_ecom.domains.home_appliances._common import TODAY
from pytest_ecom.domains.home_appliances.reads import READ_TOOLS
from pytest_ecom.domains.home_appliances.writes import WRITE_TOOLS
from pytest_ecom.domains.registry import DomainSpec

# Changes the customer must confirm first (policy: state the change, get a yes): cancelling,
# changing or returning an order, exchanges, gift-card balance and refunds, service bookings.
# Urging a delivery, an invoice, a review cashback and a hand-off change nothing the customer pays for.
CONSEQUENTIAL = frozenset({"cancel_order", "modify_order", "return_order", "exchange_item", "use_gift_card_balance",
                           "refund_to_gift_card", "book_service"})
DOMAIN = DomainSpec(name="home_appliances", tools=READ_TOOLS + WRITE_TOOLS, consequential=CONSEQUENTIAL,
                    today=TODAY)

__all__ = ["DOMAIN", "TODAY"]
