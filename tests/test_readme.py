"""Every command the README gives is true: run them as a newcomer would."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from ecom_bench_reference import rebuild_reference, stale_files


ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    """Command lines of the README's bash blocks (comments stripped)."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command and not command.startswith("#"):
                out.append(command)
    return out


def test_readme_has_install_run_and_test_commands():
    commands = readme_commands()
    assert 'pip install -e ".[dev]"' in commands
    assert "pytest tasks/ --agent=oracle --repeat=3" in commands
    assert "pytest tests/ -n auto" in commands


def test_ci_runs_the_readme_install_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -e ".[dev]"' in ci
    assert "\npytest tests/ -n auto\n" in ci
    assert "\nlint-imports\n" in ci
    assert "pytest tasks/ --agent=oracle --repeat=3" in ci


# Installing is what CI does first; the test suite is what is running now.
NOT_RUN_HERE = ('pip install -e ".[dev]"', "pytest tests/ -n auto")


def _out_paths(command: str) -> set[str]:
    return {part for arg in shlex.split(command) for part in arg.split("=") if part.startswith("out/")}


def command_chains(commands: list[str]) -> list[list[str]]:
    """The commands grouped into chains, each in README order: a command joins every earlier chain
    naming one of its ``out/...`` files or folders (a shard's report and the merge, a log and its
    resume, a recording and its replay). Chains share nothing, so they may run at the same time."""
    chains: list[list[str]] = []
    for command in commands:
        mine = _out_paths(command)
        joined = [chain for chain in chains if mine & set().union(*map(_out_paths, chain))]
        merged = sorted([c for chain in joined for c in chain] + [command], key=commands.index)
        chains = [chain for chain in chains if chain not in joined] + [merged]
    return sorted(chains, key=lambda chain: commands.index(chain[0]))


CHAINS = command_chains([c for c in readme_commands() if c not in NOT_RUN_HERE])


def test_commands_that_share_a_file_are_chained():
    """Every command runs exactly once, and after the commands whose output it reads."""
    assert sorted(c for chain in CHAINS for c in chain) == sorted(c for c in readme_commands() if c not in NOT_RUN_HERE)
    merge = next(c for c in readme_commands() if c.startswith("pytest-ecom merge"))
    [shards] = [chain for chain in CHAINS if merge in chain]
    assert shards == [c for c in readme_commands() if "--ecom-shard" in c] + [merge]
    [resume] = [chain for chain in CHAINS if any("--ecom-resume" in c for c in chain)]
    assert ["--ecom-resume" in c for c in resume] == [False, True]


@pytest.mark.parametrize("chain", CHAINS, ids=[f"{i + 1}:{c[0][:60]}" for i, c in enumerate(CHAINS)])
def test_readme_commands_work_in_order(chain):
    """A chain of README commands in README order: later commands use what earlier ones wrote.

    A command naming a model (``--agent-model=…``) runs against the tests' loopback stand-in for
    it (no key, no network): its base URL is added to the command."""
    from openai_stub import OpenAIStub

    with OpenAIStub() as model:
        for command in chain:
            run_readme_command(command, model.base_url)


# The README's placeholder for ECom-Bench's folder; the test rebuilds that folder from the repo.
ECOM_BENCH_FOLDER = "PATH/TO/ECom-Bench"


def run_readme_command(command: str, model_url: str) -> None:
    argv = shlex.split(command)
    if any(a.startswith("--agent-model=") for a in argv) and not any(a.startswith("--agent-base-url") for a in argv):
        argv.append(f"--agent-base-url={model_url}")
    if ECOM_BENCH_FOLDER in argv:
        check_ecom_bench_import(argv)
        return
    runner = {"pytest": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
              "pytest-ecom": [sys.executable, "-m", "pytest_ecom.cli"]}[argv[0]]
    proc = subprocess.run(runner + argv[1:], cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    if "--agent=" not in command:
        assert proc.returncode == 0, f"{command}\n{output}"
        return
    summary = re.search(r"agent \S+: \d+ (?:tasks|samples), (\d+) trials: (\d+) passed, (\d+) failed, (\d+) errors", output)
    assert summary, f"{command}\n{output}"
    trials, passed, failed, errors = map(int, summary.groups())
    assert trials > 0 and errors == 0, output
    if "--agent=oracle" in argv:
        assert proc.returncode == 0 and passed == trials, output
    else:  # the example agent is not meant to solve tasks; the run must complete and be scored
        assert proc.returncode in (0, 1), output


def check_ecom_bench_import(argv: list[str]) -> None:
    """The import command, from the reference rebuilt out of the repo, into a scratch folder: it
    must reproduce the committed tasks byte for byte (so running it for real changes nothing)."""
    with tempfile.TemporaryDirectory() as scratch:
        reference = rebuild_reference(Path(scratch) / "ECom-Bench")
        out = Path(scratch) / "out"
        assert argv[argv.index("--out") + 1] == "tasks/ecom-bench"
        args = [str(reference) if a == ECOM_BENCH_FOLDER else a for a in argv[1:]]
        args[args.index("--out") + 1] = str(out)
        proc = subprocess.run([sys.executable, "-m", "pytest_ecom.cli", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert not stale_files(out)
