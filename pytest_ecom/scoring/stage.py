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
# What may stand between two labels that are named together: "A or C", "A and B", "A, B", "A/C",
# "(A) or (C)", "B (or C)", "A vs. B", "A B C D E", "either A or option C" — no other word, no full
# stop, and a bracket only as a pair around labels ("B (C is wrong)" is not "B or C").
_LIST_WORDS = r"(?i:or|and|nor|vs\.?|versus|to|either|both|option|options|choice)(?![A-Za-z])"
_BETWEEN = (rf"(?P<close>[)\]])?[*_'\"`]*(?:[\s,/&|+]|\((?=\s*{_LIST_WORDS})|{_LIST_WORDS})*[*_'\"`]*"
            r"(?(close)[(\[]?)")
_BETWEEN_REACH = 80  # characters looked at before a label for another one named with it
# After "A", a word that makes it the letter, not the article: "A is wrong", "A or …", "A fits".
_LETTER_VERBS = frozenset({
    "is", "isn", "was", "wasn", "would", "wouldn", "could", "couldn", "should", "shouldn", "might", "may", "can",
    "cannot", "will", "won", "does", "doesn", "did", "didn", "has", "hasn", "had", "seems", "seem", "fits", "fit",
    "matches", "match", "looks", "applies", "covers", "describes", "only", "also", "too", "alone", "or", "and", "nor",
    "vs", "versus", "then",
})


_ARTICLE = re.compile(r"A ([a-z]+)")


def _label_pattern(labels: Sequence[str]) -> str:
    alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    return rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])"


def _next_to_another_label(text: str, start: int, end: int, labels: Sequence[str]) -> bool:
    """Whether the label at ``text[start:end]`` is named together with a different label, with
    only list words and punctuation between them ("A or C", "C, A", "A B C")."""
    others = [other for other in labels if other != text[start:end]]
    if not others:
        return False
    other = _label_pattern(others)
    if re.compile(_BETWEEN + other).match(text, end):
        return True
    return re.compile(other + _BETWEEN + r"\Z").search(text[max(0, start - _BETWEEN_REACH):start]) is not None


def _is_article(text: str, start: int) -> bool:
    """"A" followed by a lower-case word that is not a verb or a list word: "A refund is …"."""
    word = _ARTICLE.match(text, start)
    return bool(word) and word.group(1) not in _LETTER_VERBS


def extract_choice(reply: str, labels: Sequence[str]) -> tuple[str | None, str]:
    """The one option label the reply commits to, or None with the reason.

    In order: the whole reply is a label ("b", "(B)", "Ｂ"); the reply starts with one ("D\n\n…",
    "B) …"); the last explicit commitment ("…the answer is C"); the only label mentioned.
    Letters count as written except when they are the whole reply. A label named together with
    another ("A or C", "A and B both fit", "Answer: B, C", "A B C D E") commits to neither: it is
    not a start or an explicit answer, and the reply then names several options and gets none.
    The article "A" ("A refund is the best option, so B": B) is not option A, unless it stands
    next to another label or before a verb ("A is wrong, C fits" names two).
    """
    text = normalise(reply)
    if not text:
        return None, "empty reply"
    lookup = {label.casefold(): label for label in labels}
    bare = text.strip(" .()[]*_\"'`").casefold()
    if bare in lookup:
        return lookup[bare], "the whole reply"
    exact = set(labels)
    kept = unicodedata.normalize("NFKC", reply).strip()  # line breaks kept
    lead = _LEAD.match(kept)
    if lead and lead.group(1) in exact and not _next_to_another_label(kept, *lead.span(1), labels):
        return lead.group(1), "the label it starts with"
    strong = []
    for m in _STRONG.finditer(text):
        label, after = m.group(1), text[m.end():m.end() + 1]
        if label in exact:
            pass
        elif len(label) == 1 and label.upper() in exact and after in ("", ".", ")", "]", "*", ",", ";", "!"):
            label = label.upper()  # "answer: b" (but not "the answer is a spend-pace issue")
        else:
            continue
        if not _next_to_another_label(text, *m.span(1), labels):
            strong.append(label)
    if strong:
        return strong[-1], "an explicit answer"
    text = _ABBREVIATIONS.sub(" ", text)
    named = set()
    for m in re.finditer(_label_pattern(labels), text):
        if m.group() == "A" and _is_article(text, m.start()) and not _next_to_another_label(text, *m.span(), labels):
            continue  # "A refund is …": the article, not option A
        named.add(m.group())
    if len(named) == 1:
        return named.pop(), "the only option named"
    if named:
        return None, f"it names several options: {', '.join(sorted(named))}"
    return None, "it names none of the options"


def score_choice(answer: str, reply: str, labels: Sequence[str]) -> Dimension:
    """Passes when the one option the reply commits to (:func:`extract_choice`) is ``answer``; a
    reply that names two or more options without committing to one fails."""
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
