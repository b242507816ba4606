"""The ``home_appliances`` domain: an English web shop selling home appliances.

Data and policy live in ``fixtures/home_appliances/`` (``store.json``, ``policy.md``);
this package holds the tools. The shop's date is fixed at 2026-03-10.
"""

from pytest_ecom.domains.home_appliances._common import TODAY
from pytest_ecom.domains.home_appliances.reads import READ_TOOLS
from pytest_ecom.domains.home_appliances.writes import WRITE_TOOLS
from pytest_ecom.domains.registry import DomainSpec

DOMAIN = DomainSpec(name="home_appliances", tools=READ_TOOLS + WRITE_TOOLS, today=TODAY)

__all__ = ["DOMAIN", "TODAY"]
