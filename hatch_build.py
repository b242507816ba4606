"""Wheel build hook: the wheel carries everything built in.

The checkout keeps the built-in stores (``fixtures/``), the personas (``personas/``) and the shipped
suites (``tasks/``) at the top level, where the repo's own runs and tests find them. A wheel maps
them into the package, so nothing is committed twice:

- ``fixtures/`` and ``personas/`` -> ``pytest_ecom/_shipped/`` (found by name when a user's tasks
  have no such folder of their own: ``pytest_ecom/spec/paths.py``);
- each ``tasks/<suite>/`` -> ``pytest_ecom/suites/<suite with _ for ->/``, with a generated
  ``__init__.py`` (``pytest --pyargs`` resolves only real packages, and a dash is not importable),
  so ``pytest --pyargs pytest_ecom.suites.ecom_bench --agent=oracle`` runs it from anywhere.

Editable installs skip this: they run from the checkout, which has the folders.
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# Licence files a suite needs beside its tasks (ECom-Bench's LICENSE lives with its store data).
EXTRA_SUITE_FILES = {"ecom-bench": ["fixtures/ecom_bench/LICENSE"]}


MODELINE = "# yaml-language-server: $schema="  # as pytest_ecom.spec.schema writes it


def suite_package(folder: str) -> str:
    return folder.replace("-", "_")


class ShippedFilesHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        include = build_data["force_include"]
        self._generated = Path(tempfile.mkdtemp(prefix="pytest-ecom-build-"))
        include[str(root / "fixtures")] = "pytest_ecom/_shipped/fixtures"
        include[str(self._relocated(root / "personas", "pytest_ecom/_shipped/personas"))] = "pytest_ecom/_shipped/personas"
        suites = sorted(p for p in (root / "tasks").iterdir() if p.is_dir())
        include[str(self._write("suites.py", _SUITES_INIT.format(
            names=", ".join(suite_package(p.name) for p in suites))))] = "pytest_ecom/suites/__init__.py"
        for folder in suites:
            package = suite_package(folder.name)
            include[str(self._relocated(folder, f"pytest_ecom/suites/{package}"))] = f"pytest_ecom/suites/{package}"
            for extra in EXTRA_SUITE_FILES.get(folder.name, []):
                include[str(root / extra)] = f"pytest_ecom/suites/{package}/{Path(extra).name}"
            init = self._write(f"{package}.py", _SUITE_INIT.format(folder=folder.name, package=package))
            include[str(init)] = f"pytest_ecom/suites/{package}/__init__.py"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        generated = getattr(self, "_generated", None)
        if generated is not None:
            shutil.rmtree(generated, ignore_errors=True)

    def _relocated(self, folder: Path, target: str) -> Path:
        """A copy of ``folder`` whose YAML modelines point at the schemas from where the files sit
        in the wheel (``pytest_ecom/spec/``), not from where they sit in the checkout."""
        copy = self._generated / target
        shutil.copytree(folder, copy)
        for path in sorted(copy.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            first, newline, rest = text.partition("\n")
            if not first.startswith(MODELINE):
                continue
            schema = PurePosixPath(first[len(MODELINE):]).name  # task.schema.json, ...
            where = PurePosixPath(target) / path.relative_to(copy).parent.as_posix()
            path.write_text(MODELINE + posixpath.relpath(f"pytest_ecom/spec/{schema}", where) + newline + rest,
                            encoding="utf-8")
        return copy

    def _write(self, name: str, text: str) -> Path:
        path = self._generated / name
        path.write_text(text, encoding="utf-8")
        return path


_SUITES_INIT = '''"""The suites shipped with pytest-ecom: {names}.

Run one with ``pytest --pyargs pytest_ecom.suites.<name> --agent=oracle`` (generated at build time).
"""
'''

_SUITE_INIT = '''"""The shipped suite ``tasks/{folder}/`` of the pytest-ecom repository (generated at build time).

Run it with ``pytest --pyargs pytest_ecom.suites.{package} --agent=oracle``.
"""
'''
