"""The ``ecom_bench`` domain: ECom-Bench's JD.com home-appliance store and its 21 tools.

Data and policy live in ``fixtures/ecom_bench/`` (``store.json`` holds ECom-Bench's tables
unchanged, plus an ``image_annotations`` table: offline answers of ``get_image_info_tool``
keyed by image URL; ``policy.md`` is the reference's agent policy). The tools keep the
reference's served names (``*_tool``), descriptions and argument schemas (``_schemas.py``),
its server's way of reading a call's arguments (``_arguments.py``: a string field refuses a
number, unknown keys are ignored, a refusal is pydantic's message) and its effects on the data
(``writes.py``). Served in the reference's order.

The argument rules are this domain's: every tool here is built with them (``reference_tool``),
so whatever builds a tool set from ``DOMAIN.tools`` (the store, the importer's replay) checks
calls as the reference does, while the other stores keep our lenient rule.
"""

from pytest_ecom.domains.ecom_bench._arguments import REFERENCE_ARGUMENTS
from pytest_ecom.domains.ecom_bench._schemas import TOOL_SPECS
from pytest_ecom.domains.ecom_bench.reads import READ_TOOLS
from pytest_ecom.domains.ecom_bench.writes import WRITE_TOOLS
from pytest_ecom.domains.registry import DomainSpec

_BY_NAME = {t.name: t for t in READ_TOOLS + WRITE_TOOLS}
assert set(_BY_NAME) == set(TOOL_SPECS), "every reference tool is implemented exactly once"
assert all(t.arguments is REFERENCE_ARGUMENTS for t in _BY_NAME.values()), "every tool reads arguments as the reference"

# Changes the reference's policy says to confirm first (变更操作需用户确认): orders (cancel, modify, place),
# returns, exchanges, E-card balance use and refunds, service bookings. A call of one that only reads
# (查询) changes nothing and needs no confirmation (scoring/procedure.py).
CONSEQUENTIAL = frozenset({"manage_order_tool", "manage_return_tool", "manage_exchange_tool", "manage_ecard_tool",
                           "schedule_service_tool"})
DOMAIN = DomainSpec(name="ecom_bench", tools=tuple(_BY_NAME[name] for name in TOOL_SPECS),
                    consequential=CONSEQUENTIAL)

__all__ = ["DOMAIN"]
