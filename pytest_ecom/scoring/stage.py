"""Scorers for stage-wise samples: does the agent's reply give the expected answer?

Each returns a :class:`Dimension` named ``answer`` (detail: what was extracted or
the score). ``reference_verdict`` is EComStage's own rule for its label tasks —
the stripped expected answer is a substring of the reply (newlines and tabs
turned into spaces), case-sensitive and lenient ("10" counts for "1" and "0").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from pytest_ecom.scoring.checks import Dimension
from pytest_ecom.spec.patterns import PatternTimeout, search

DEFAULT_F1_THRESHOLD = 0.5


def normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def reference_verdict(answer: str, reply: str) -> bool:
    """EComStage's accuracy rule for its five label tasks."""
    return answer.strip() in reply.replace("\n", " ").replace("\t", " ")


# "Answer: B", "I'd go with **B**", "the final answer is (B)"; letters as written (not "a").
_STRONG = re.compile(r"\b(?:final answer|answer|choose|chose|pick|select(?:ed)?|go with|my choice)\b(?:\s+is)?"
                     r"[\s*_:#=\-]*[\(\[\"'*]*([A-Za-z0-9]+)\b", re.IGNORECASE)
# A reply that starts with its label: "D\n\nbecause…", "B) Can I…", "**C.** It is…"
_LEAD = re.compile(r"^[\s*_#>-]*[\(\[]?([A-Za-z0-9]+)(?:[\)\]]|[.:](?!\w)|\*\*|\s*$|\s*\n)")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc)\.", re.IGNORECASE)


def extract_choice(reply: str, labels: Sequence[str]) -> tuple[str | None, str]:
    """The one option label the reply commits to, or None with the reason.

    In order: the whole reply is a label ("b", "(B)", "Ｂ"); the reply starts with one ("D\n\n…",
    "B) …"); the last explicit commitment ("…the answer is C"); the only label mentioned.
    Letters count as written except when they are the whole reply, so the article "a" is not
    option A. A reply mentioning several labels without committing to one gets none.
    """
    text = normalise(reply)
    if not text:
        return None, "empty reply"
    lookup = {label.casefold(): label for label in labels}
    bare = text.strip(" .()[]*_\"'`").casefold()
    if bare in lookup:
        return lookup[bare], "the whole reply"
    exact = set(labels)
    lead = _LEAD.match(unicodedata.normalize("NFKC", reply).strip())  # line breaks kept
    if lead and lead.group(1) in exact:
        return lead.group(1), "the label it starts with"
    strong = []
    for m in _STRONG.finditer(text):
        label, after = m.group(1), text[m.end():m.end() + 1]
        if label in exact:
            strong.append(label)
        elif len(label) == 1 and label.upper() in exact and after in ("", ".", ")", "]", "*", ",", ";", "!"):
            strong.append(label.upper())  # "answer: b" (but not "the answer is a spend-pace issue")
    if strong:
        return strong[-1], "an explicit answer"
    text = _ABBREVIATIONS.sub(" ", text)
    named = set()
    for label in labels:
        for m in re.finditer(rf"(?<![A-Za-z0-9]){re.escape(label)}(?![A-Za-z0-9])", text):
            if label == "A" and re.match(r"A [a-z]", text[m.start():m.start() + 3]):
                continue  # "A refund is …": the article, not option A
            named.add(label)
    if len(named) == 1:
        return named.pop(), "the only option named"
    if named:
        return None, f"it names several options: {', '.join(sorted(named))}"
    return None, "it names none of the options"


def score_choice(answer: str, reply: str, labels: Sequence[str]) -> Dimension:
    picked, how = extract_choice(reply, labels)
    expected = answer.strip()
    if picked is None:
        return Dimension("answer", False, [f"no single option in the reply ({how}); expected {expected}"],
                         {"picked": None})
    ok = picked == expected
    problems = [] if ok else [f"picked {picked} ({how}); expected {expected}"]
    return Dimension("answer", ok, problems, {"picked": picked})


def score_exact(answer: str, reply: str) -> Dimension:
    ok = normalise(reply).casefold() == normalise(answer).casefold()
    return Dimension("answer", ok, [] if ok else [f"expected exactly {answer!r}"])


def score_contains(answer: str, reply: str) -> Dimension:
    ok = normalise(answer).casefold() in normalise(reply).casefold()
    return Dimension("answer", ok, [] if ok else [f"the reply does not contain {answer.strip()!r}"])


def score_regex(pattern: str, reply: str) -> Dimension:
    """The reply matches ``pattern``; a match that takes too long fails the check (never hangs)."""
    try:
        ok = search(pattern, reply) is not None
    except PatternTimeout as exc:
        return Dimension("answer", False, [f"/{pattern}/ was not checked: {exc}"], {"timed_out": True})
    return Dimension("answer", ok, [] if ok else [f"the reply does not match /{pattern}/"])


def score_json(answer: str, reply: str, field: str) -> Dimension:
    """``field`` (dotted path) of the JSON object in the reply (fenced or bare) equals ``answer``."""
    text = reply.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    candidate = fenced.group(1) if fenced else text[text.find("{"): text.rfind("}") + 1]
    try:
        value = json.loads(candidate)
        for part in field.split("."):
            value = value[part]
    except (json.JSONDecodeError, KeyError, TypeError, IndexError):
        return Dimension("answer", False, [f"no JSON object with field {field!r} in the reply"])
    ok = normalise(str(value)).casefold() == normalise(answer).casefold()
    return Dimension("answer", ok, [] if ok else [f"{field} is {value!r}; expected {answer!r}"], {"value": value})


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+", normalise(text).casefold())


def token_f1(answer: str, reply: str) -> float:
    """SQuAD-style token overlap F1 between the reference answer and the reply."""
    want, got = _tokens(answer), _tokens(reply)
    if not want or not got:
        return float(want == got)
    common = sum((Counter(want) & Counter(got)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


def score_token_f1(answer: str, reply: str, threshold: float | None) -> Dimension:
    limit = DEFAULT_F1_THRESHOLD if threshold is None else threshold
    f1 = round(token_f1(answer, reply), 4)
    ok = f1 >= limit
    return Dimension("answer", ok, [] if ok else [f"token F1 {f1:.2f} below {limit:.2f}"], {"token_f1": f1})
