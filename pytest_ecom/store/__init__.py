"""The store database: a shared read-only base and a copy-on-write overlay per trial."""

from pytest_ecom.store.overlay import RecordKey, Store, load_tables

__all__ = ["RecordKey", "Store", "load_tables"]
