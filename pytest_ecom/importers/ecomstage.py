"""EComStage's JSON → ``<out>/<task_type>/<id>.sample.yaml`` (``pytest-ecom import ecomstage``).

The input is a JSON array of objects with exactly the keys ``id``, ``task_type``, ``system``,
``conversations`` (a human turn, then a gpt turn) and ``gt_answer``. Texts are copied exactly.
Unsound samples (one option, an answer that is not offered or already given away, an option
list with a gap) are kept and marked ``malformed`` with the reason, so a run skips them.
A structural problem (missing key, unknown task type, wrong conversation shape) is an error
and nothing is written.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_ecom.importers.common import (
    BadInput,
    ImportResult,
    dump_yaml,
    model_problem,
    safe_identifier,
    write_files,
)
from pytest_ecom.spec.samples import SAMPLE_SUFFIX, TASK_TYPES, Sample

BENCHMARK = "EComStage"
ID_PREFIX = "ecomstage"
FIELDS = ("id", "task_type", "system", "conversations", "gt_answer")
FREE_TEXT = tuple(t for t, spec in TASK_TYPES.items() if spec[2] != "choice")
# Task types whose offered options are read from the prompt (the others have fixed labels).
OPTIONS_IN_PROMPT = ("query_match", "scenario_route", "solution_decision")

# Why a sample is unsound: kind → what the summary calls it.
REASONS = {
    "one_option": "only one option offered",
    "no_options": "no options found in the prompt",
    "answer_not_offered": "answer not among the options offered",
    "answer_leaked": "answer leaked in the prompt",
    "skipped_letter": "option list skips a letter",
    "answer_differs": "gt_answer differs from the gpt turn",
    "empty_prompt": "empty prompt",
}

# An option at the start of a line: "A. ...", "B) ...", "(C) ...", "D、..." (not "E.g.").
_LETTER_LINE = re.compile(r"^[ \t]*[(（]?([A-J])[.．、)）](?![A-Za-z]\.)[ \t]*\S", re.MULTILINE)
# An option inside running text, after a space: "... choices: 2. Do this 5. Do that".
_LETTER_INLINE = re.compile(r"(?:^|(?<=\s))[(（]?([A-J])[.．、)）](?![A-Za-z]\.)(?:\s+|(?=[^\s.]))")
_NUMBER = re.compile(r"(?:^|(?<=\s))[(（]?(\d{1,2})[.．、)）](?:\s+|(?=[^\d\s.]))")
# Where an inline option list starts ("... response choices: 1. ..."); the last such place counts.
_LIST_START = re.compile(r"(?i)\b(?:options|choices|candidates|responses|answers)\s*[:：]")
# A prompt that states its own answer: "the answer is B", "Answer: 3", "correct answer: (C)".
# Conservative: the label must end the phrase ("Answer: 1 or 2" states nothing).
_STATED = re.compile(
    r"(?i)\banswer\s*(?:is|should be|would be|[:：=])\s*(?:option\s+|category\s+|scenario\s+)?"
    r"[\"'“(\[]?([A-Za-z0-9]{1,2})[\"'”)\]]?(?=\s*(?:$|[.。!！,，;；)\]]))", re.MULTILINE)


@dataclass(frozen=True)
class Converted:
    task_type: str
    sample_id: str
    data: dict[str, Any]
    reasons: tuple[str, ...]  # kinds of REASONS

    @property
    def relpath(self) -> str:
        return f"{self.task_type}/{self.sample_id}{SAMPLE_SUFFIX}"


# -- reading ---------------------------------------------------------------------


def read_entries(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput([f"{path}: cannot read it as UTF-8 text ({exc})"]) from None
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput([f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"]) from None
    if not isinstance(entries, list):
        raise BadInput([f"{path}: expected a JSON array of samples, found a {type(entries).__name__}"])
    return entries


def _where(index: int, entry: Any) -> str:
    raw = entry.get("id") if isinstance(entry, dict) else None
    return f"entry [{index}] (id {raw!r})" if isinstance(raw, str) else f"entry [{index}]"


def entry_problems(index: int, entry: Any) -> list[str]:
    """What is structurally wrong with one entry, each naming the entry and the field."""
    where = _where(index, entry)
    if not isinstance(entry, dict):
        return [f"{where}: expected an object with keys {', '.join(FIELDS)}, found a {type(entry).__name__}"]
    problems = [f"{where}: field {key!r} is missing" for key in FIELDS if key not in entry]
    problems += [f"{where}: field {key!r} is not part of the format (expected exactly {', '.join(FIELDS)})"
                 for key in entry if key not in FIELDS]
    for key in ("id", "task_type", "system", "gt_answer"):
        if key in entry and not isinstance(entry[key], str):
            problems.append(f"{where}: field {key!r} must be a string, found {type(entry[key]).__name__}")
    if isinstance(entry.get("id"), str) and not entry["id"].strip():
        problems.append(f"{where}: field 'id' is empty")
    task_type = entry.get("task_type")
    if isinstance(task_type, str) and task_type not in TASK_TYPES:
        problems.append(f"{where}: field 'task_type': unknown task type {task_type!r} "
                        f"(expected one of {', '.join(TASK_TYPES)})")
    if isinstance(entry.get("gt_answer"), str) and not entry["gt_answer"].strip():
        problems.append(f"{where}: field 'gt_answer' is empty (a sample needs an expected answer)")
    if "conversations" in entry:
        problems += _conversation_problems(where, entry["conversations"])
    return problems


def _conversation_problems(where: str, turns: Any) -> list[str]:
    shape = "exactly two turns, {from: human, value: ...} then {from: gpt, value: ...}"
    if not isinstance(turns, list):
        return [f"{where}: field 'conversations' must be a list of {shape}"]
    if len(turns) != 2:
        return [f"{where}: field 'conversations' has {len(turns)} turn(s); expected {shape}"]
    problems = []
    for i, (turn, speaker) in enumerate(zip(turns, ("human", "gpt"))):
        if not isinstance(turn, dict) or set(turn) != {"from", "value"}:
            problems.append(f"{where}: field 'conversations[{i}]' must be an object with keys 'from' and 'value'")
        elif turn["from"] != speaker:
            problems.append(f"{where}: field 'conversations[{i}].from' is {turn['from']!r}; expected {speaker!r}")
        elif not isinstance(turn["value"], str):
            problems.append(f"{where}: field 'conversations[{i}].value' must be a string")
    return problems


# -- judging a sample ------------------------------------------------------------------


def offered_options(text: str, numbered: bool) -> list[str]:
    """Option labels offered in ``text``, in order of first appearance: letters at the start of
    lines (else inline after a space), or numbers (``numbered``) inside the option list."""
    if numbered:
        starts = list(_LIST_START.finditer(text))
        region = text[starts[-1].end():] if starts else text
        found = _NUMBER.findall(region)
    else:
        found = _LETTER_LINE.findall(text)
        if not found:
            starts = list(_LIST_START.finditer(text))
            found = _LETTER_INLINE.findall(text[starts[-1].end():]) if starts else []
    return list(dict.fromkeys(found))


def _skipped_letters(labels: list[str]) -> list[str]:
    last = max(labels)
    return [chr(c) for c in range(ord("A"), ord(last)) if chr(c) not in labels]


def judge(task_type: str, system: str, prompt: str, answer: str, reply: str) -> tuple[list[str] | None, list[str]]:
    """The options to write (None: the task type's default) and what is unsound, as
    ``kind: detail`` strings."""
    issues: list[str] = []
    gt = answer.strip()
    if not prompt.strip():
        issues.append("empty_prompt: the human turn is empty")
    if gt != reply.strip():
        issues.append(f"answer_differs: gt_answer {gt!r} differs from the gpt turn {reply.strip()!r}")
    if task_type in FREE_TEXT:
        if gt in prompt:
            issues.append("answer_leaked: the reference answer appears verbatim in the prompt")
        return None, issues

    options: list[str] | None = list(TASK_TYPES[task_type][3])
    if task_type in OPTIONS_IN_PROMPT:
        numbered = task_type == "solution_decision"
        # The human turn first; scenario routing lists its scenarios in the system prompt.
        options = offered_options(prompt, numbered) or offered_options(system, numbered) or None
        if task_type != "solution_decision" and not options:
            options = list(TASK_TYPES[task_type][3])  # the usual labels, though not seen in the prompt
    if not options:
        issues.append("no_options: no numbered options found in the prompt")
        return None, issues
    if len(options) == 1:
        issues.append(f"one_option: only option {options[0]} is offered")
    if options[0].isalpha():
        skipped = _skipped_letters(options)
        if skipped:
            issues.append(f"skipped_letter: the option list skips {', '.join(skipped)}")
    if gt not in options:
        issues.append(f"answer_not_offered: answer {gt!r} is not among the options offered ({', '.join(options)})")
    if any(stated == gt for stated in _STATED.findall(prompt)):
        issues.append(f"answer_leaked: the prompt states the answer {gt!r}")
    return options, issues


# -- converting ----------------------------------------------------------------------


def convert_entry(entry: dict[str, Any], sample_id: str) -> Converted:
    """One checked entry → the sample's fields (in the order they are written)."""
    task_type = entry["task_type"]
    human, gpt = (turn["value"] for turn in entry["conversations"])
    options, issues = judge(task_type, entry["system"], human, entry["gt_answer"], gpt)
    data: dict[str, Any] = {
        "schema_version": 1,
        "id": sample_id,
        "task_type": task_type,
        "system": entry["system"],
        "messages": [{"role": "user", "content": human}],
        "answer": entry["gt_answer"],
    }
    if options is not None:
        data["options"] = options
    if issues:
        data["malformed"] = "; ".join(issue.split(": ", 1)[1] for issue in issues)
    data["source"] = {"benchmark": BENCHMARK, "id": entry["id"]}
    return Converted(task_type, sample_id, data, tuple(issue.split(":", 1)[0] for issue in issues))


def convert(entries: list[Any]) -> list[Converted]:
    """Every entry converted and validated as a :class:`Sample`, or :class:`BadInput` listing
    every structural problem."""
    problems = [p for i, entry in enumerate(entries) for p in entry_problems(i, entry)]
    if problems:
        raise BadInput(problems)
    taken: set[str] = set()
    converted = []
    for i, entry in enumerate(entries):
        sample = convert_entry(entry, safe_identifier(entry["id"], ID_PREFIX, taken))
        problem = model_problem(Sample, sample.data, _where(i, entry), "sample")
        if problem:
            problems.append(problem)
        converted.append(sample)
    if problems:
        raise BadInput(problems)
    return converted


def import_ecomstage(path: Path, out: Path) -> ImportResult:
    """Convert ``path`` and write one sample file per entry under ``out`` (all or nothing)."""
    entries = read_entries(path)
    try:
        converted = convert(entries)
    except BadInput as exc:
        raise BadInput([f"{path}: {problem}" for problem in exc.problems]) from None
    files = {c.relpath: dump_yaml(c.data) for c in converted}
    _, unchanged = write_files(out, files)
    result = ImportResult(out, written=len(files), unchanged=unchanged)
    result.by_task_type = dict(Counter(c.task_type for c in converted))
    result.malformed = dict(Counter(kind for c in converted for kind in c.reasons))
    result.flagged_samples = sum(1 for c in converted if c.reasons)
    return result


def summary(result: ImportResult) -> str:
    """What the command prints."""
    lines = [f"{result.written} sample(s) written to {result.out}"
             + (f" ({result.unchanged} unchanged)" if result.unchanged else "")]
    if result.by_task_type:
        lines.append("  by task type: " + ", ".join(f"{t} {n}" for t, n in sorted(result.by_task_type.items())))
    lines.append(f"{result.flagged_samples} flagged malformed (kept; a run skips them unless --ecom-include-malformed)")
    for kind, n in sorted(result.malformed.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {n:>4}  {REASONS[kind]}")
    return "\n".join(lines)
