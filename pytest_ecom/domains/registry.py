"""Finding and loading domains (once per process)."""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from dataclasses import dataclass
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pytest_ecom.spec.paths import file_stamps, find_near
from pytest_ecom.store import Store, load_tables
from pytest_ecom.tools import Tool, ToolSet

_BUILTIN = {"home_appliances": "pytest_ecom.domains.home_appliances:DOMAIN",
            "ecom_bench": "pytest_ecom.domains.ecom_bench:DOMAIN",
            "seller_support": "pytest_ecom.domains.seller_support:DOMAIN"}
ENTRY_POINT_GROUP = "pytest_ecom.domains"


@dataclass(frozen=True)
class DomainSpec:
    """The code half of a domain: its name and tools.

    ``consequential`` names the tools whose changes the customer must confirm first (cancel,
    return, refund, booking...): the procedure dimension fails a trial that runs one of them
    without a confirming turn (docs/procedure.md). None by default: a domain declares its own.
    """

    name: str
    tools: tuple[Tool, ...]
    today: date | None = None  # the store's fixed "today", when its tools and policy count from one
    consequential: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        names = {t.name for t in self.tools}
        unknown = sorted(set(self.consequential) - names)
        if unknown:
            raise ValueError(f"domain {self.name!r}: consequential tools {unknown} are not among its tools")
        reads = sorted(t.name for t in self.tools if t.name in self.consequential and not t.writes)
        if reads:
            raise ValueError(f"domain {self.name!r}: {reads} only read; only a tool that writes is consequential")
        object.__setattr__(self, "consequential", frozenset(self.consequential))


@dataclass(frozen=True)
class Domain:
    """A loaded domain: tools, policy and the shared read-only base tables."""

    name: str
    tools: ToolSet
    policy: str
    base: dict[str, dict[str, Any]]
    fixture_dir: Path
    stamp: tuple[Any, ...] = ()  # changes when its data, policy or tool code changes
    consequential: frozenset[str] = frozenset()  # tools whose changes need the customer's confirmation
    today: date | None = None  # from the DomainSpec: what a year-less date in a task means


    def new_store(self) -> Store:
        return Store(self.base)


_REGISTERED: dict[str, DomainSpec] = {}


def register_domain(spec: DomainSpec) -> DomainSpec:
    """Make a domain available by name in this process (e.g. from a conftest.py)."""
    _REGISTERED[spec.name] = spec
    _domain_spec.cache_clear()
    _load.cache_clear()
    _NEAR.clear()
    return spec


@functools.cache
def _installed_targets() -> dict[str, str]:
    """Domains of installed packages (reading entry points is slow: once per process)."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _spec_targets() -> dict[str, str]:
    targets = {name: "" for name in _REGISTERED}
    targets.update(_BUILTIN)
    for name, value in _installed_targets().items():
        targets.setdefault(name, value)
    return targets


def known_domains() -> list[str]:
    return sorted(_spec_targets())


@functools.cache
def _domain_spec(name: str) -> DomainSpec:
    if name in _REGISTERED:
        return _REGISTERED[name]
    target = _spec_targets()[name]
    module, _, attr = target.partition(":")
    spec = getattr(importlib.import_module(module), attr)
    if not isinstance(spec, DomainSpec):
        raise TypeError(f"{target} is not a DomainSpec")
    return spec


def find_fixture_dir(name: str, folder: Path) -> Path | None:
    """``fixtures/<name>/`` in ``folder`` or its nearest ancestor, else in the project checkout,
    else the built-in copy an installed wheel ships."""
    found = find_near(folder, f"fixtures/{name}/store.json")
    return found.parent if found else None


@functools.cache
def _load(name: str, fixture_dir: Path) -> Domain:
    spec = _domain_spec(name)
    policy_file = fixture_dir / "policy.md"
    policy = policy_file.read_text(encoding="utf-8") if policy_file.is_file() else ""
    code = sorted({inspect.getsourcefile(t.func) or "" for t in spec.tools} - {""})
    stamp = file_stamps([fixture_dir / "store.json", policy_file, *map(Path, code)])
    return Domain(name, ToolSet(spec.tools), policy, load_tables(fixture_dir / "store.json"), fixture_dir, stamp,
                  spec.consequential, spec.today)


_NEAR: dict[tuple[str, str], Domain] = {}  # (name, folder asked from) → domain: collection asks per file


def load_domain(name: str, folder: Path) -> Domain:
    """The domain for tasks in ``folder``, loaded once per process. Raises LookupError with the fix."""
    key = (name, os.fspath(folder))
    found = _NEAR.get(key)
    if found is not None:
        return found
    if name not in _spec_targets():
        raise LookupError(
            f"unknown store {name!r}; known stores: {', '.join(known_domains())} "
            f"(a new one is registered under the entry point group {ENTRY_POINT_GROUP!r})"
        )
    fixture_dir = find_fixture_dir(name, folder)
    if fixture_dir is None:
        raise LookupError(f"store {name!r} has no data: put its tables in fixtures/{name}/store.json (and its policy in "
                          f"fixtures/{name}/policy.md) in the tasks' folder or one above it")
    domain = _NEAR[key] = _load(name, Path(os.path.abspath(fixture_dir)))  # abspath: no syscalls, unlike resolve()
    return domain
