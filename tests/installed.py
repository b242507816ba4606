"""pytest-ecom as a user gets it: the wheel built from this checkout, in a fresh venv.

The venv sees the shared site-packages (``--system-site-packages``: pytest, litellm and the other
dependencies need no network) but has the wheel installed in its own site-packages, which comes
first on its sys.path; commands run without PYTHONPATH, in an empty folder outside the checkout, so
the package they import is the wheel's (``Installed.run`` checks it once). Built once per test
session: xdist workers share one build through a lock file.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Installed:
    venv: Path
    wheel: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self) -> dict[str, str]:
        # No PYTHONPATH (it would put a checkout first) and none of this run's pytest/xdist settings.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("PYTEST_", "COV_"))}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return env

    def run(self, command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``command`` (``pytest ...``, ``pytest-ecom ...``, ``python ...``, ``mkdir ...``) with the venv's executables."""
        exe = {"python": [str(self.bin / "python")], "pytest": [str(self.bin / "python"), "-m", "pytest"],
               "pytest-ecom": [str(self.bin / "pytest-ecom")], "mkdir": ["mkdir"]}[command[0]]
        return subprocess.run(exe + command[1:], cwd=cwd, env=self.env(), capture_output=True, text=True,
                              timeout=timeout)


def _build(where: Path) -> Installed:
    done = where / "venv" / "ready"
    if done.exists():
        return Installed(where / "venv", next((where / "dist").glob("*.whl")))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q",
                    "-w", str(where / "dist"), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next((where / "dist").glob("pytest_ecom-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(where / "venv")], check=True,
                   timeout=300)
    subprocess.run([str(where / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=300)
    done.write_text("")
    return Installed(where / "venv", wheel)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Installed:
    """The wheel of this checkout installed in a fresh venv (see the module's docstring)."""
    # Under xdist the workers of one session share basetemp's parent; alone, the session's own tmp.
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    where = shared / "installed-wheel"
    where.mkdir(exist_ok=True)
    with open(shared / "installed-wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = _build(where)
    empty = tmp_path_factory.mktemp("where-am-i")
    proc = installed.run(["python", "-c", "import pytest_ecom; print(pytest_ecom.__file__)"], cwd=empty)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_relative_to(installed.venv), f"not the wheel's package: {proc.stdout}"
    return installed
