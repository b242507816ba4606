"""The offline stand-in for EComStage's free-text figures: does the reply carry the reference's content?

EComStage scores query_rewrite and RAG_QA by the cosine similarity of sentence embeddings (and,
in its second script, by an LLM judge). Without either model we report an approximation, and
say so. Token F1 is a poor one: its precision term rewards saying less, so the first half of the
reference scores about 0.67 while a faithful paraphrase scores 0.4–0.5.

This measure is a recall-weighted F-score (F2) over *content* tokens: words that are not
function words, reduced to a crude stem ("collects", "collected" → "collect"), numbers kept
whole, and Chinese, Japanese and Korean text as character bigrams (those scripts have no spaces
to split on). Recall counts four times as much as precision, because what matters is whether the
reference's facts reached the customer, not how many words it took; ignoring function words
makes a change of phrasing cost little. A truncated reference loses its second half's facts, so
it now ranks below a paraphrase that keeps them (checked on the shipped samples).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from pytest_ecom.scoring.checks import Dimension

BETA = 2.0  # recall weighs BETA² = 4 times precision
DEFAULT_THRESHOLD = 0.55  # between the shipped samples' truncations (most 0.34–0.50) and paraphrases (most 0.75–0.98)

_WORD = re.compile(r"[^\W\d_]+|\d+(?:[.,]\d+)*", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_SUFFIXES = ("ingly", "edly", "ing", "ed", "ly", "es", "s")
FUNCTION_WORDS = frozenset("""
a an the and or but if then so than that this these those there here it its it's is are was were be been
being am do does did done have has had having will would shall should can could may might must of in on at
to for from by with within without about into onto over under after before as up down out off again
further once i me my mine we us our ours you your yours he him his she her hers they them their theirs what
which who whom whose when where why how all any both each few more most other some such no nor not only own
same too very just also please yes ok okay
""".split())


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_tokens(text: str) -> Counter[str]:
    """The content of ``text`` as a bag of stems, numbers and CJK character bigrams."""
    text = unicodedata.normalize("NFKC", text).casefold()
    bag: Counter[str] = Counter()
    for run in _CJK.findall(text):
        bag.update([run] if len(run) == 1 else (run[i:i + 2] for i in range(len(run) - 1)))
    for word in _WORD.findall(_CJK.sub(" ", text)):
        if word not in FUNCTION_WORDS:
            bag[word if word[0].isdigit() else _stem(word)] += 1
    return bag


def content_f2(reference: str, reply: str) -> float:
    """How much of the reference's content the reply carries (recall-weighted F2, 0..1)."""
    want, got = content_tokens(reference), content_tokens(reply)
    if not want or not got:
        return float(not want and not got)
    common = sum((want & got).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return (1 + BETA**2) * precision * recall / (BETA**2 * precision + recall)


def score_overlap(reference: str, reply: str, threshold: float | None = None) -> Dimension:
    """Pass when the reply carries enough of the reference's content; marked ``approximate``."""
    limit = DEFAULT_THRESHOLD if threshold is None else threshold
    value = round(content_f2(reference, reply), 4)
    ok = value >= limit
    problems = [] if ok else [f"content overlap {value:.2f} below {limit:.2f} (an offline approximation: "
                              "give --embedding-model or --judge-model for EComStage's own figures)"]
    return Dimension("answer", ok, problems, {"overlap": value, "approximate": True})
