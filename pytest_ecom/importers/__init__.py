"""Importers: published benchmarks' data files → our YAML files (``pytest-ecom import <benchmark>``).

Each importer is pure (no pytest): it converts every entry in memory first, so bad input
writes nothing, then writes all files at once.
"""

from pytest_ecom.importers.common import BadInput, ImportResult, write_files

__all__ = ["BadInput", "ImportResult", "write_files"]
