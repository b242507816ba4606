"""Stage-wise samples: load and check a ``*.sample.yaml`` into a runnable unit (the counterpart of
``prepare/task.py``; ``runner/sample.py`` runs it, ``runner/score.py`` scores its reply)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_ecom.spec.loader import parse_model
from pytest_ecom.spec.samples import Sample


@dataclass(frozen=True, eq=False)
class PreparedSample:
    sample: Sample
    path: Path
    digest: str

    @property
    def id(self) -> str:
        return self.sample.id

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self.sample.tags)

    def record_fields(self) -> dict[str, Any]:
        s = self.sample
        return {"kind": "sample", "scenario": s.scenario, "store": None, "orientation": s.effective_orientation,
                "stage": s.effective_stage, "task_type": s.task_type, "tags": list(s.tags)}


_MEMO: dict[Path, tuple[tuple[int, int], PreparedSample]] = {}


def load_prepared_sample(path: Path) -> PreparedSample:
    """Parse and check a sample file once per process (again when it changes)."""
    path = Path(os.path.abspath(path))
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    memo = _MEMO.get(path)
    if memo is None or memo[0] != stamp:
        sample = parse_model(path, Sample)
        memo = (stamp, PreparedSample(sample, path, hashlib.sha256(path.read_bytes()).hexdigest()[:16]))
        _MEMO[path] = memo
    return memo[1]
