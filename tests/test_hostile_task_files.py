"""Task and sample files made to hang or crash collection: each must be a clean collection error
naming the file, the line and the fix, and must be reported quickly.

One small fixed regression file per class of input lives in tests/data/hostile/ (its description
says what it used to do), named ``<name>.yaml`` so that neither pytest nor ``pytest-ecom validate``
picks it up from the tree; the tests copy it under its real name (``<name>.task.yaml`` or
``<name>.sample.yaml``). Whatever could hang or crash the interpreter runs in a subprocess with a
timeout, so a regression fails instead of hanging the suite; the rest is in-process and fast.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import UNRELATED_PLUGINS, line_of

from pytest_ecom.tools.visible import Seen as _Seen
from pytest_ecom.spec import SpecError, Task, parse_model
from pytest_ecom.spec.samples import Sample
from pytest_ecom.spec.yaml_io import MAX_FILE_BYTES, read_yaml

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
ROOT = Path(__file__).resolve().parents[1]
# Far above what the files take together (about a second, most of it the 1 s regex timeout), far
# below a hang: the billion laughs used to grow by ~20 MB/s, the regex never returned.
BOUND_S = 60

# file: (fragment of the line the error names, start of the message, fragment of the fix)
CASES = {
    "billion_laughs.task.yaml": ("a: &a", "YAML anchor &a is not allowed in task files", "write the value out"),
    "deep_nesting.task.yaml": ("- get_order:", "nested more than 64 levels deep", "flatten the data"),
    "huge_file.task.yaml": (None, "the file is larger than 1,048,576 bytes", "split it into several task files"),
    "huge_integer.task.yaml": ("- get_order:", "an integer of 5,000 digits (at most 64)", "quote it if it is an id"),
    "non_string_key.task.yaml": ("? [order_id, again]", "a mapping key is a list; keys must be text",
                                 "use a plain word or a quoted string"),
    "impossible_date.task.yaml": ("ordered_on:", "cannot read 2024-02-30 as timestamp: day is out of range",
                                  "quote it to keep it as text"),
    "infinite_timeout.task.yaml": ("limits:", "limits.timeout_s: Input should be a finite number",
                                   "use a finite number"),
    "nested_repeat_regex.sample.yaml": ("pattern:", "pattern: Value error, the answer does not match it",
                                        "fix the pattern or the answer"),
    "catastrophic_regex.sample.yaml": ("pattern:", "pattern: Value error, the pattern took longer than 1 s to match",
                                       "simplify the pattern"),
}


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The regression files, with huge_file.task.yaml padded past the size limit (kept small in git)."""
    folder = tmp_path_factory.mktemp("hostile")
    for name in CASES:
        shutil.copy(HOSTILE / f"{name.split('.')[0]}.yaml", folder / name)
    huge = folder / "huge_file.task.yaml"
    huge.write_text(huge.read_text(encoding="utf-8") + ("# " + "x" * 98 + "\n") * 11_000, encoding="utf-8")
    assert huge.stat().st_size > MAX_FILE_BYTES
    return folder


def expected_line(folder: Path, name: str) -> int:
    fragment = CASES[name][0]
    if fragment is None:  # the size error names the line on which the limit is passed
        return (folder / name).read_bytes()[:MAX_FILE_BYTES].count(b"\n") + 1
    return line_of((folder / name).read_text(encoding="utf-8"), fragment)


def assert_reported(lines: list[str], prefix: str, folder: Path, name: str) -> None:
    _, message, fix = CASES[name]
    found = [i for i, line in enumerate(lines) if line.startswith(f"{prefix}{name}:")]
    assert len(found) == 1, "\n".join(lines)
    at = found[0]
    assert lines[at].startswith(f"{prefix}{name}:{expected_line(folder, name)}: {message}"), lines[at]
    assert lines[at + 1].startswith("  fix: ") and fix in lines[at + 1], lines[at + 1]


@pytest.fixture(scope="module")
def validated(hostile_dir: Path) -> subprocess.CompletedProcess[str]:
    """``pytest-ecom validate`` over every regression file, in a subprocess bounded by BOUND_S."""
    return subprocess.run([sys.executable, "-m", "pytest_ecom.cli", "validate", "."], cwd=hostile_dir,
                          capture_output=True, text=True, timeout=BOUND_S, check=False)


def test_validate_refuses_every_hostile_file_without_a_traceback(validated):
    assert validated.returncode == 1, validated.stderr
    assert validated.stdout == f"0 of {len(CASES)} task and sample file(s) valid\n"
    assert "Traceback" not in validated.stderr, validated.stderr


@pytest.mark.parametrize("name", CASES)
def test_validate_names_the_file_the_line_and_the_fix(validated, hostile_dir, name):
    assert_reported(validated.stderr.splitlines(), "", hostile_dir, name)


def test_collection_errors_name_file_line_and_fix_and_the_good_tasks_still_collect(mini_project, hostile_dir):
    shutil.copytree(hostile_dir, mini_project.path / "hostile")
    result = mini_project.pytester.runpytest_subprocess("-p", "no:cacheprovider", *UNRELATED_PLUGINS,
                                                        "--collect-only", "-q", timeout=BOUND_S)
    out = mini_project.output(result)
    assert result.ret == pytest.ExitCode.INTERRUPTED, out
    assert f"{len(CASES)} errors" in out, out
    assert "Traceback" not in out, out
    for name in CASES:
        assert_reported(result.stdout.lines, "hostile/", hostile_dir, name)
    assert len(mini_project.collected_ids(result)) == 3, out  # the mini project's own tasks


def test_a_reply_a_pattern_cannot_match_in_time_fails_the_check_saying_so():
    """At scoring the same pattern meets the agent's reply: a failed check, never a hung trial."""
    script = ("import json\nfrom pytest_ecom.scoring.stage import score_regex\n"
              "d = score_regex('^(a|aa)+$', 'a' * 40 + '!')\n"
              "print(json.dumps({'passed': d.passed, 'problems': d.problems}))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=BOUND_S,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)
    assert verdict["passed"] is False
    [problem] = verdict["problems"]
    assert problem.startswith("/^(a|aa)+$/ was not checked: the pattern took longer than 1 s"), problem


def test_a_pattern_that_matches_in_time_scores_as_before():
    from pytest_ecom.scoring.stage import score_regex

    assert score_regex(r"^(a+)+$", "a" * 40).passed
    assert score_regex(r"^(a+)+$", "a" * 40 + "!").problems == ["the reply does not match /^(a+)+$/"]


# -- limits: finite and at most the documented maximum ----------------------------------------

KETTLE = ROOT / "tasks/home_appliances/returns/damaged_kettle.task.yaml"


@pytest.mark.parametrize("limits, message", [
    ("{timeout_s: .inf}", "limits.timeout_s: Input should be a finite number"),
    ("{timeout_s: -.inf}", "limits.timeout_s: Input should be a finite number"),
    ("{timeout_s: .nan}", "limits.timeout_s: Input should be a finite number"),
    ("{timeout_s: 3601}", "limits.timeout_s: Input should be less than or equal to 3600"),
    ("{timeout_s: 0}", "limits.timeout_s: Input should be greater than 0"),
    ("{max_turns: 201}", "limits.max_turns: Input should be less than or equal to 200"),
    ("{max_steps: .inf}", "limits.max_steps: Input should be a finite number"),
    ("{max_steps: 501}", "limits.max_steps: Input should be less than or equal to 500"),
])
def test_a_limit_must_be_finite_and_at_most_its_maximum(tmp_path, limits, message):
    text = KETTLE.read_text(encoding="utf-8").split("\nlimits:")[0] + f"\nlimits: {limits}\n"
    path = tmp_path / "limit.task.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        parse_model(path, Task)
    assert info.value.message.startswith(message), info.value.format()
    assert info.value.line == line_of(text, "limits:") and info.value.fix


def test_the_largest_limits_are_accepted(tmp_path):
    path = tmp_path / "limit.task.yaml"
    text = KETTLE.read_text(encoding="utf-8").split("\nlimits:")[0]
    path.write_text(text + "\nlimits: {max_turns: 200, max_steps: 500, timeout_s: 3600}\n", encoding="utf-8")
    assert parse_model(path, Task).limits.timeout_s == 3600


def test_a_threshold_must_be_finite(tmp_path):
    path = tmp_path / "t.sample.yaml"
    path.write_text("schema_version: 1\nid: t\ntask_type: query_rewrite\nmessages: [{role: user, content: hi}]\n"
                    "answer: hello\nthreshold: .nan\n", encoding="utf-8")
    with pytest.raises(SpecError, match="threshold: Input should be a finite number"):
        parse_model(path, Sample)


# -- well-formed files read exactly as before ---------------------------------------------------

SHIPPED = sorted(p for folder in ("tasks", "personas") for p in (ROOT / folder).rglob("*.yaml"))


def test_every_shipped_file_reads_exactly_as_plain_yaml_does():
    """The checked reader changes nothing for good files (and no shipped file uses an anchor)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert len(SHIPPED) > 100
    for path in SHIPPED:
        assert read_yaml(path) == yaml.load(path.read_text(encoding="utf-8"), Loader=loader), path


def test_what_the_agent_can_see_answers_as_one_joined_text_would():
    """The value index of the golden-call check says what ``value in "\\n".join(texts)`` says."""
    rng = random.Random(7)
    alphabet = "ab1-. \n_é"
    for _ in range(300):
        texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 5))]
        seen = _Seen(texts[:1])
        for i in range(1, len(texts) + 1):
            joined = "\n".join(t.casefold() for t in texts[:i])
            for _ in range(5):
                value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))).casefold()
                assert seen.has(value) == (value in joined), (texts[:i], value)
            if i < len(texts):
                seen.add(texts[i])
