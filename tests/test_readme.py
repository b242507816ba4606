"""Every command the README and the docs/ pages give is true: run them as a newcomer would.

Bash blocks run from the checkout's root, in page order (README first, then docs/*.md by name,
so a new page is covered without touching this file). A block whose first line is
``# in your project`` is a user's: those run in an empty folder with the wheel of this checkout
installed in a fresh venv (tests/installed.py), in page order, one folder per page.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from ecom_bench_reference import rebuild_reference, stale_files
from installed import Installed, installed  # noqa: F401  (installed: the fixture)


ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROJECT_MARK = "# in your project"


def bash_blocks(page: Path) -> list[list[str]]:
    """The command lines of a page's bash blocks, block by block (comments stripped, the
    ``# in your project`` mark kept as the block's first line)."""
    blocks = []
    for block in re.findall(r"^ *```bash\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S | re.M):
        lines = block.splitlines()
        commands = [PROJECT_MARK] if lines and lines[0].strip() == PROJECT_MARK else []
        for line in lines:
            command = line.split("  #")[0].strip()
            if command and not command.startswith("#"):
                commands.append(command)
        blocks.append(commands)
    return blocks


def doc_commands() -> list[str]:
    """Every checkout command of the README and docs/, in page order, each once."""
    out: list[str] = []
    for page in PAGES:
        for block in bash_blocks(page):
            if block[:1] != [PROJECT_MARK]:
                out += [c for c in block if c not in out]
    return out


def project_commands() -> dict[str, list[str]]:
    """Per page, the commands of its ``# in your project`` blocks, in order."""
    out: dict[str, list[str]] = {}
    for page in PAGES:
        commands = [c for block in bash_blocks(page) if block[:1] == [PROJECT_MARK] for c in block[1:]]
        if commands:
            out[page.relative_to(ROOT).as_posix()] = commands
    return out


def readme_commands() -> list[str]:
    return [c for block in bash_blocks(ROOT / "README.md") for c in block if c != PROJECT_MARK]


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


# Installing is what CI does first (a user's ``pip install pytest-ecom`` is the venv of
# tests/installed.py, which installs this checkout's wheel); the test suite is what is running now.
NOT_RUN_HERE = ('pip install -e ".[dev]"', "pytest tests/ -n auto", "pip install pytest-ecom",
                'pip install "pytest-ecom[mcp]"')


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


CHAINS = command_chains([c for c in doc_commands() if c not in NOT_RUN_HERE])


def test_commands_that_share_a_file_are_chained():
    """Every command runs exactly once, and after the commands whose output it reads."""
    assert sorted(c for chain in CHAINS for c in chain) == sorted(c for c in doc_commands() if c not in NOT_RUN_HERE)
    merge = next(c for c in doc_commands() if c.startswith("pytest-ecom merge"))
    [shards] = [chain for chain in CHAINS if merge in chain]
    assert shards == [c for c in doc_commands() if "--ecom-shard" in c] + [merge]
    [resume] = [chain for chain in CHAINS if any("--ecom-resume" in c for c in chain)]
    assert ["--ecom-resume" in c for c in resume] == [False, True]


@pytest.mark.parametrize("chain", CHAINS, ids=[f"{i + 1}:{c[0][:60]}" for i, c in enumerate(CHAINS)])
def test_doc_commands_work_in_order(chain):
    """A chain of commands in page order: later commands use what earlier ones wrote.

    A command naming a model (``--agent-model=…``) runs against the tests' loopback stand-in for
    it (no key, no network): its base URL is added to the command."""
    from openai_stub import OpenAIStub

    with OpenAIStub() as model:
        for command in chain:
            run_readme_command(command, model.base_url)


# The README's placeholder for ECom-Bench's folder; the test rebuilds that folder from the repo.
ECOM_BENCH_FOLDER = "PATH/TO/ECom-Bench"


PROJECT_PAGES = project_commands()


def test_the_readme_tells_a_user_to_install_init_run_a_suite_and_gate():
    commands = readme_commands()
    assert "pip install pytest-ecom" in commands
    project = PROJECT_PAGES["README.md"]
    assert project[0] == "pytest-ecom init"
    assert any(c.startswith("pytest --pyargs pytest_ecom.suites.") for c in project)
    assert any("--ecom-gate" in c for c in project)


@pytest.mark.parametrize("page", sorted(PROJECT_PAGES))
def test_doc_commands_work_in_a_new_project(page: str, installed: Installed, tmp_path: Path):
    """A page's ``# in your project`` commands, in order, in an empty folder with the wheel installed.
    Once ``pytest-ecom init`` has run, the page's example task (a yaml block with the schema
    modeline) is added to ``tasks/``, so every later command runs it too."""
    from openai_stub import OpenAIStub

    with OpenAIStub() as model:
        for command in PROJECT_PAGES[page]:
            run_readme_command(command, model.base_url, cwd=tmp_path, installed=installed)
            if command == "pytest-ecom init":
                for task in example_tasks(ROOT / page):
                    data = yaml.safe_load(task)
                    (tmp_path / "tasks" / data["store"] / f"{data['id']}.task.yaml").write_text(task, encoding="utf-8")


def example_tasks(page: Path) -> list[str]:
    return [block for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
            if block.startswith("# yaml-language-server: $schema=") and "\nid: " in block]


def test_pages_link_to_pages_that_exist_and_the_index_lists_every_page():
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    unlisted = [p.name for p in PAGES[1:] if p.name != "index.md" and f"]({p.name})" not in index]
    assert not unlisted, f"docs/index.md does not list {unlisted}"


def _redirections(argv: list[str], cwd: Path) -> tuple[list[str], Path | None, Path | None]:
    """A command's ``< FILE`` and ``> FILE`` (the pages use no other shell syntax): the argv
    without them, the file to read stdin from and the file to write stdout to."""
    files: dict[str, Path | None] = {"<": None, ">": None}
    for op in files:
        if op in argv:
            i = argv.index(op)
            files[op] = cwd / argv[i + 1]
            del argv[i:i + 2]
    return argv, files["<"], files[">"]


def run_readme_command(command: str, model_url: str, cwd: Path = ROOT, installed: Installed | None = None) -> None:
    argv, stdin, stdout = _redirections(shlex.split(command), cwd)
    if any(a.startswith("--agent-model=") for a in argv) and not any(a.startswith("--agent-base-url") for a in argv):
        argv.append(f"--agent-base-url={model_url}")
    if ECOM_BENCH_FOLDER in argv:
        check_ecom_bench_import(argv)
        return
    if installed is not None:
        proc = installed.run(argv, cwd=cwd)
    else:
        runner = {"pytest": [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
                  "pytest-ecom": [sys.executable, "-m", "pytest_ecom.cli"], "python": [sys.executable],
                  "lint-imports": [shutil.which("lint-imports") or "lint-imports"], "mkdir": ["mkdir"]}[argv[0]]
        with open(stdin or "/dev/null", encoding="utf-8") as given:
            proc = subprocess.run(runner + argv[1:], cwd=cwd, stdin=given, capture_output=True, text=True, timeout=300)
    if stdout is not None:
        stdout.write_text(proc.stdout, encoding="utf-8")
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
