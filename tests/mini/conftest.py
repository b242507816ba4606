"""The mini project's conftest: makes the ``mini`` store known to pytest-ecom."""

from mini_domain import DOMAIN

from pytest_ecom.domains import register_domain

register_domain(DOMAIN)
