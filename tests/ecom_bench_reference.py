"""ECom-Bench's folder (tasks.json, tools.json, data/<table>.json) rebuilt from what the repo keeps:
the reference's tasks and tools in fixtures/ecom_bench/reference, its tables in the store fixture."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_ecom.importers.ecom_bench import DATA_FILES

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "fixtures" / "ecom_bench"
COMMITTED = ROOT / "tasks" / "ecom-bench"


def rebuild_reference(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("tasks.json", "tools.json"):
        (folder / name).write_bytes((FIXTURE / "reference" / name).read_bytes())
    store = json.loads((FIXTURE / "store.json").read_text(encoding="utf-8"))
    (folder / "data").mkdir(exist_ok=True)
    for table in DATA_FILES:
        (folder / "data" / f"{table}.json").write_text(json.dumps(store[table], ensure_ascii=False), encoding="utf-8")
    return folder


def stale_files(out: Path) -> list[str]:
    """Task files of ``out`` that differ from (or are missing in) the committed tasks/ecom-bench, and back."""
    made = {p.name: _body(p) for p in out.glob("*.task.yaml")}
    shipped = {p.name: _body(p) for p in COMMITTED.glob("*.task.yaml")}
    return sorted(name for name in made.keys() | shipped.keys() if made.get(name) != shipped.get(name))


def _body(path: Path) -> bytes:
    """A task file's bytes after its modeline, whose schema path depends on where the file is
    (tests/test_schema.py checks the committed modelines resolve)."""
    data = path.read_bytes()
    first, _, rest = data.partition(b"\n")
    return rest if first.startswith(b"# yaml-language-server: $schema=") else data
