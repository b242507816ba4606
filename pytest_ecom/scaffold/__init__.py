"""``pytest-ecom init``: scaffold a project that benchmarks its own agent.

The files come from ``templates/`` (suffixed ``.tmpl`` so neither pytest nor editors take them for
the real thing). The task schema is written beside them, so the YAML modelines work offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"

# template file -> where it goes in the project
FILES = {
    "conftest.py.tmpl": "conftest.py",
    "home_appliances.task.yaml.tmpl": "tasks/home_appliances/example_cancel_order.task.yaml",
    "seller_support.task.yaml.tmpl": "tasks/seller_support/example_refund_refused.task.yaml",
    "ecom_bench.task.yaml.tmpl": "tasks/ecom_bench/example_gift_policy.task.yaml",
    "workflow.yml.tmpl": ".github/workflows/agent-benchmark.yml",
}
SCHEMA_FILE = "schemas/task.schema.json"  # the modelines of the example tasks point here


@dataclass(frozen=True)
class Scaffold:
    """What ``init`` would write: relative path -> text."""

    files: dict[str, str]

    def existing(self, root: Path) -> list[str]:
        return [rel for rel in self.files if (root / rel).exists()]

    def write(self, root: Path) -> list[Path]:
        """Write every file; refuses (FileExistsError naming them) when any already exists."""
        clash = self.existing(root)
        if clash:
            raise FileExistsError(", ".join(clash))
        written = []
        for rel, text in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8", newline="\n") as handle:  # "x": never overwrite
                handle.write(text)
            written.append(path)
        return written


def project_scaffold(task_schema: str) -> Scaffold:
    """The files of a new project; ``task_schema`` is the text ``pytest-ecom schema`` prints."""
    files = {dest: (TEMPLATES / name).read_text(encoding="utf-8") for name, dest in FILES.items()}
    files[SCHEMA_FILE] = task_schema
    return Scaffold(files)
