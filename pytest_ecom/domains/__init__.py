"""Domains: a store fixture + a tool set + an agent policy, registered by name.

The tool code of a domain lives in Python (``DomainSpec``); its data and policy
live in ``fixtures/<name>/`` (``store.json`` and ``policy.md``), found beside
the task files (the nearest ancestor holding ``fixtures/<name>/``) or in the
project checkout. The runner knows nothing domain-specific.
"""

from pytest_ecom.domains.registry import Domain, DomainSpec, find_fixture_dir, known_domains, load_domain, register_domain

__all__ = ["Domain", "DomainSpec", "find_fixture_dir", "known_domains", "load_domain", "register_domain"]
