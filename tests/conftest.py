"""Shared fixtures of pytest-ecom's own tests.

Everything runs against ``tests/mini/``, a tiny self-contained project (a
four-tool ``mini`` store, a persona, three tasks, a few agents), never against
the shipped ``home_appliances`` domain:

- unit tests use ``mini_modules`` / ``mini_task`` / ``run_agent`` in-process;
- pytester tests use ``mini_project``, a copy of ``tests/mini`` in the pytester
  directory whose ``conftest.py`` registers the store with ``register_domain``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from pytest_ecom.agents import AgentSpec
from pytest_ecom.domains import Domain, load_domain, register_domain
from pytest_ecom.prepare.task import PreparedTask, prepare
from pytest_ecom.runner import TrialRun, run_task
from pytest_ecom.runner.score import reward, score_trajectory
from pytest_ecom.spec import load_task

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent
MINI = TESTS / "mini"
MINI_SAMPLES = TESTS / "mini_samples"  # stage-wise samples, added to a mini project on demand
# tests/mini is data for the tests (its task files would otherwise be collected as items).
collect_ignore = ["mini", "mini_samples"]


def _import_file(path: Path) -> ModuleType:
    """Import a mini-project module under a private name, so that pytester runs importing
    the copied ``mini_domain`` / ``mini_agents`` never pick up this instance from sys.modules."""
    name = f"_ecom_tests_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def line_of(text: str, fragment: str) -> int:
    """1-based number of the only line of ``text`` containing ``fragment``."""
    found = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line]
    assert len(found) == 1, f"{fragment!r} is on lines {found}"
    return found[0]


@pytest.fixture
def find_line() -> Callable[[str, str], int]:
    return line_of


# -- in-process: the mini domain, its tasks and agents --------------------------------


@pytest.fixture(scope="session")
def mini_modules() -> SimpleNamespace:
    return SimpleNamespace(domain=_import_file(MINI / "mini_domain.py"), agents=_import_file(MINI / "mini_agents.py"))


@pytest.fixture
def mini_domain(mini_modules: SimpleNamespace) -> Domain:
    """The ``mini`` domain, (re-)registered from tests/mini and loaded from its fixture."""
    register_domain(mini_modules.domain.DOMAIN)
    return load_domain("mini", MINI / "tasks")


@pytest.fixture
def mini_agents(mini_modules: SimpleNamespace) -> ModuleType:
    return mini_modules.agents


@pytest.fixture
def mini_task(mini_domain: Domain) -> Callable[[str], PreparedTask]:
    """``mini_task("cancel")`` → tests/mini/tasks/cancel.task.yaml, prepared."""

    def get(name: str, folder: Path = MINI / "tasks") -> PreparedTask:
        path = folder / f"{name}.task.yaml"
        return prepare(load_task(path), path)

    return get


@pytest.fixture
def run_agent() -> Callable[..., TrialRun]:
    """Run one trial of a prepared task with a plain agent callable (or an AgentSpec)."""

    def run(prepared: PreparedTask, agent: Any, trial: int = 1) -> TrialRun:
        spec = agent if isinstance(agent, AgentSpec) else AgentSpec("under_test", agent)
        return asyncio.run(run_task(prepared, spec, trial))

    return run


@pytest.fixture
def score(run_agent: Callable[..., TrialRun]) -> Callable[..., SimpleNamespace]:
    """Run and score a trial: ``.dims`` maps dimension name → Dimension, ``.reward`` is 0/1."""

    def go(prepared: PreparedTask, agent: Any, trial: int = 1) -> SimpleNamespace:
        run = run_agent(prepared, agent, trial)
        assert run.error is None, run.error
        dims = score_trajectory(prepared, run.trajectory)
        return SimpleNamespace(run=run, dims={d.name: d for d in dims}, reward=reward(dims))

    return go


@pytest.fixture
def mini_copy(tmp_path: Path, mini_domain: Domain) -> Path:
    """A private copy of the mini project in ``tmp_path`` (with the domain registered)."""
    shutil.copytree(MINI, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


# -- pytester: the mini project as a pytest project ------------------------------------


# Plugins of this environment that have nothing to do with pytest-ecom; hypothesis's alone
# re-imports hypothesis in every in-process run (about a second each).
UNRELATED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:anyio")
RERUN = re.compile(r"^rerun this trial: (pytest .*)$", re.M)


class MiniProject:
    """The mini project copied into the pytester directory."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path

    def run(self, *args: str, cache: bool = False) -> pytest.RunResult:
        """pytest in-process (fast; the plugin caches per path, and every test has its own path)."""
        no_cache = () if cache else ("-p", "no:cacheprovider")
        return self.pytester.runpytest(*no_cache, *UNRELATED_PLUGINS, *args)

    def run_subprocess(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess("-p", "no:cacheprovider", *UNRELATED_PLUGINS, *args)

    def task_text(self, name: str) -> str:
        return (self.path / "tasks" / f"{name}.task.yaml").read_text(encoding="utf-8")

    def write(self, relpath: str, text: str) -> Path:
        path = self.path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def copy_samples(self) -> None:
        """Add the stage-wise samples (tests/mini_samples) to the project, under samples/."""
        shutil.copytree(MINI_SAMPLES, self.path / "samples")

    def add_conftest(self, text: str) -> None:
        """Append to the project's conftest.py (which registers the mini store)."""
        conftest = self.path / "conftest.py"
        conftest.write_text(conftest.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")

    def assert_oracle_run_never_imports_litellm(self, *args: str) -> None:
        """``pytest --agent=oracle ARGS`` in a fresh interpreter passes and leaves litellm unimported."""
        script = ("import sys, pytest\n"
                  f"code = pytest.main(['-q', '-p', 'no:cacheprovider', '--agent=oracle', *{list(args)!r}])\n"
                  "assert 'litellm' not in sys.modules, 'litellm was imported'\n"
                  "sys.exit(int(code))\n")
        self.write("run_oracle.py", script)
        result = self.pytester.run(sys.executable, "run_oracle.py")
        assert result.ret == 0, result.stdout.str() + result.stderr.str()

    def report(self, name: str = "report.json") -> dict[str, Any]:
        return json.loads((self.path / name).read_text(encoding="utf-8"))

    line_of = staticmethod(line_of)

    @staticmethod
    def output(result: pytest.RunResult) -> str:
        return result.stdout.str() + "\n" + result.stderr.str()

    @staticmethod
    def collected_ids(result: pytest.RunResult) -> list[str]:
        return [line for line in result.stdout.lines if "::" in line and not line.startswith(("ERROR", "FAILED"))]

    @staticmethod
    def rerun_commands(result: pytest.RunResult) -> list[str]:
        return RERUN.findall(result.stdout.str())


@pytest.fixture(scope="module")
def model_server() -> Iterator[Any]:
    """The loopback OpenAI-compatible stub (tests/openai_stub.py), one per test module.

    litellm is imported here, before pytester snapshots sys.modules: a module-scoped fixture is
    set up before the function-scoped pytester, and each in-process run drops the modules it
    imported; importing litellm a second time in one process breaks plugin loading.
    """
    from openai_stub import OpenAIStub

    from pytest_ecom.models.llm import _litellm

    _litellm()
    with OpenAIStub() as server:
        yield server


@pytest.fixture
def stub(model_server: Any) -> Any:
    """The module's model server with no requests seen, no failures planned and no latency."""
    model_server.reset()
    return model_server


@pytest.fixture
def mini_project(pytester: pytest.Pytester) -> MiniProject:
    shutil.copytree(MINI, pytester.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    pytester.syspathinsert()  # mini_agents:NAME must import in-process too
    return MiniProject(pytester)
