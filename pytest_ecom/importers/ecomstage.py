"""EComStage's JSON → ``<out>/<task_type>/<id>.sample.yaml`` (``pytest-ecom import ecomstage``).

The input is a JSON array of objects with exactly the keys ``id``, ``task_type``, ``system``,
``conversations`` (a human turn, then a gpt turn) and ``gt_answer``. Texts are copied exactly.
Unsound samples (one option, an answer that is not offered or already given away) are kept and
marked ``malformed`` with the reason, so a run skips them. An option list with a gap (A–D, then
F) is odd but answerable: the sample runs, and the gap is kept as ``source.notes`` and counted
in the summary. A structural problem (missing key, unknown task type, wrong conversation shape)
is an error and nothing is written.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
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

# What the importer reports about a sample: kind → what the summary calls it.
REASONS = {
    "one_option": "only one option offered",
    "no_options": "no options found in the prompt",
    "answer_not_offered": "answer not among the options offered",
    "answer_leaked": "answer leaked in the prompt",
    "skipped_letter": "option list skips a letter",
    "answer_differs": "gt_answer differs from the gpt turn",
    "empty_prompt": "empty prompt",
}
# Kinds that are worth a note but leave the sample sound: it runs, with the note in `source.notes`.
NOTES = frozenset({"skipped_letter"})

# Option markers are read from the prompt after NFKC (so "Ａ．", "（A）", "Ａ：" and full-width digits
# read as "A.", "(A)", "A:" and ASCII digits); the text written is the original, untouched.
# A letter option: "A." "A、" "A:" "A)" or "(A)" ("A.What", "Ａ：退货" too), not inside a word, an
# abbreviation ("U.S.A.") or a number ("B.2"); followed on its line by text, but not by a letter
# and a full stop ("E.g.", "I. e.", "A.M.", "J. K. Rowling").
_LETTER = re.compile(r"(?<![A-Za-z0-9.])(?:\((?P<enclosed>[A-J])\)|(?P<letter>[A-J])(?P<sep>[.、:)]))"
                     r"(?!\d)(?![ \t]*[A-Za-z]\.)(?=[ \t]*\S)")
_BULLET = frozenset(" \t-*•>")
MIN_UNPUNCTUATED = 3  # options an inline list needs when its options follow words ("A. x B. y C. z")
_NUMBER = re.compile(r"(?:^|(?<=\s))\(?(\d{1,2})(?:[.、)](?:\s+|(?=[^\d\s.]))|:(?:[ \t]+(?=\D)|(?=[^\d\s:])))")
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
    reasons: tuple[str, ...]  # kinds of REASONS that make it malformed
    notes: tuple[str, ...] = ()  # kinds of NOTES (the sample still runs)

    @property
    def relpath(self) -> str:
        return f"{self.task_type}/{self.sample_id}{SAMPLE_SUFFIX}"


@dataclass
class EComStageImport(ImportResult):
    noted_samples: int = 0  # samples with a note (sound: they run)
    noted: dict[str, int] = field(default_factory=dict)  # note kind → samples with it


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


@dataclass(frozen=True)
class _Mark:
    """A place in the text that looks like a letter option."""

    letter: str
    sep: str  # ".", "、", ":", ")" or "()"
    start: int
    line_start: bool  # only spaces or a bullet before it on its line
    after_colon: bool  # the last thing before it (line breaks included) is a colon: "question:\nA."
    after_word: bool  # a word ends just before it on its line: "plan B." (or "x B." in "A. x B. y")


def _marks(text: str) -> list[_Mark]:
    marks = []
    line_begin = searched = 0
    for m in _LETTER.finditer(text):
        line_begin = max(line_begin, text.rfind("\n", searched, m.start()) + 1)
        searched = m.start()
        i = m.start()
        while i > line_begin and text[i - 1] in _BULLET:  # spaces (and bullets) before it on its line
            i -= 1
        line_start = i == line_begin
        end = line_begin if line_start else i
        while line_start and end and text[end - 1].isspace():  # it starts its line: the lines above
            end -= 1
        while not line_start and end > line_begin and text[end - 1] in " \t":
            end -= 1
        before = text[end - 1] if end else ""
        marks.append(_Mark(m.group("enclosed") or m.group("letter"), m.group("sep") or "()", m.start(),
                           line_start=line_start, after_colon=before == ":",
                           after_word=not line_start and before.isascii() and before.isalpha()))
    return marks


def _place(mark: _Mark) -> str:
    return "line" if mark.line_start else "after_word" if mark.after_word else "after_text"


def _chain(index: dict[tuple[str, str, str], list[_Mark]], first: _Mark, plain: bool) -> list[_Mark]:
    """The option list that starts at ``first``: the next letters in order (at most one skipped
    at a time), with the same separator. If the second option starts a line, every option does
    (separate lines); otherwise (one line) each follows the previous option's text: after
    punctuation ("…shipment? B. …"), or, for a ``plain`` list, after a word ("A. x B. y")."""
    chain = [first]
    layout = None
    while True:
        current = chain[-1]
        places = ["line"] if layout == "lines" else ["line", "after_word" if plain else "after_text"]
        step = None
        for gap in (1, 2):  # the next letter, else the one after it (a skipped letter)
            letter = chr(ord(current.letter) + gap)
            found = []
            for place in places:
                marks = index.get((current.sep, letter, place), [])
                i = bisect.bisect_right(marks, current.start, key=lambda m: m.start)
                found += marks[i:i + 1]
            step = min(found, key=lambda m: m.start, default=None)
            if step:
                break
        if step is None:
            return chain
        layout = layout or ("lines" if step.line_start else "inline")
        chain.append(step)


def _letter_options(text: str) -> list[str]:
    """The letters of the longest option list in ``text``; a list starts at a line or after a colon."""
    marks = _marks(unicodedata.normalize("NFKC", text))
    index: dict[tuple[str, str, str], list[_Mark]] = {}
    for mark in marks:
        index.setdefault((mark.sep, mark.letter, _place(mark)), []).append(mark)
    best: list[_Mark] = []
    for mark in marks:
        if not (mark.line_start or mark.after_colon):
            continue
        for plain in (False, True):
            chain = _chain(index, mark, plain)
            if plain and len(chain) < MIN_UNPUNCTUATED:
                chain = chain[:1]
            if len(chain) > len(best):
                best = chain
    return [m.letter for m in best]


def offered_options(text: str, numbered: bool) -> list[str]:
    """Option labels offered in ``text``, in order of first appearance.

    Letters: the longest list of options in alphabetical order (at most one letter skipped at a
    time), all with the same separator ("A.", "A、", "A:", "A)", "(A)", full-width forms too),
    one per line or all on one line (``…question:\nA. … ? B. … ? C. …``). A list starts at the
    start of a line or after a colon, so "Plan A. …" inside a sentence starts nothing. On one
    line, an option follows the end of the previous one's text (punctuation, a digit, a bracket);
    a list whose options all follow words ("A. x B. y C. z") needs at least three, so "A. Can I
    switch to plan B. instead?" is one option. Numbers (``numbered``): every ``1.``/``1、``/``1)``/
    ``(1)``/``1:`` inside the option list (after the last "choices:"), not times or prices."""
    if numbered:
        text = unicodedata.normalize("NFKC", text)
        starts = list(_LIST_START.finditer(text))
        region = text[starts[-1].end():] if starts else text
        return list(dict.fromkeys(_NUMBER.findall(region)))
    return list(dict.fromkeys(_letter_options(text)))


def _skipped_letters(labels: list[str]) -> list[str]:
    last = max(labels)
    return [chr(c) for c in range(ord("A"), ord(last)) if chr(c) not in labels]


def judge(task_type: str, system: str, prompt: str, answer: str, reply: str) -> tuple[list[str] | None, list[str]]:
    """The options to write (None: the task type's default) and what is unsound or odd (kinds in
    NOTES), as ``kind: detail`` strings."""
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
    if any(stated == gt for stated in _STATED.findall(unicodedata.normalize("NFKC", prompt))):
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
    unsound = [issue for issue in issues if _kind(issue) not in NOTES]
    notes = [issue for issue in issues if _kind(issue) in NOTES]
    if unsound:
        data["malformed"] = "; ".join(_detail(issue) for issue in unsound)
    data["source"] = {"benchmark": BENCHMARK, "id": entry["id"]}
    if notes:
        data["source"]["notes"] = "; ".join(_detail(issue) for issue in notes)
    return Converted(task_type, sample_id, data, tuple(map(_kind, unsound)), tuple(map(_kind, notes)))


def _kind(issue: str) -> str:
    return issue.split(":", 1)[0]


def _detail(issue: str) -> str:
    return issue.split(": ", 1)[1]


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


def import_ecomstage(path: Path, out: Path) -> EComStageImport:
    """Convert ``path`` and write one sample file per entry under ``out`` (all or nothing)."""
    entries = read_entries(path)
    try:
        converted = convert(entries)
    except BadInput as exc:
        raise BadInput([f"{path}: {problem}" for problem in exc.problems]) from None
    files = {c.relpath: dump_yaml(c.data) for c in converted}
    _, unchanged = write_files(out, files)
    result = EComStageImport(out, written=len(files), unchanged=unchanged)
    result.by_task_type = dict(Counter(c.task_type for c in converted))
    result.malformed = dict(Counter(kind for c in converted for kind in c.reasons))
    result.flagged_samples = sum(1 for c in converted if c.reasons)
    result.noted_samples = sum(1 for c in converted if c.notes)
    result.noted = dict(Counter(kind for c in converted for kind in c.notes))
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
    noted = getattr(result, "noted", {})
    if noted:
        lines.append(f"{getattr(result, 'noted_samples', 0)} noted (sound: a run includes them; "
                     "the note is `notes:` under `source:`)")
        for kind, n in sorted(noted.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {n:>4}  {REASONS[kind]}")
    return "\n".join(lines)
