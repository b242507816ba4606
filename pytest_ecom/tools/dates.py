"""Dates a customer writes in words, read as ISO dates (``2026-03-20``).

The solvability check asks whether something the agent can see supplies each value a golden
call needs. A customer says "March 20th" or "3月20日", not "2026-03-20"; this module finds such
dates so that they count. It reads the common written forms only, and exactly:

- English: ``March 20``, ``March 20th, 2026``, ``Mar. 20 2026``, ``20 March 2026``,
  ``the 20th of March`` (month names in full or abbreviated, any case);
- Chinese: ``3月20日``, ``3月20号``, ``2026年3月20日`` (Arabic digits, full-width too);
- numbers year first: ``2026/3/20``, ``2026.03.20``, ``2026-3-20``.

A form without a year takes the year of the store's today; a store without a today gives such
forms no year, so they supply nothing. Relative words ("tomorrow", "next Friday") and
day-first or month-first numbers (``20/03``, ``03/20``) are not read: they depend on a clock or
a locale, and the customer should then say the date itself.

Why not a general parser (dateparser): it is a 3.6 MB dependency with 0.16 s of import and
0.2 s for its first search, and it guesses: it read "it is 5 past 3" as May 10 and "3月20日" as
November 20 of the year before. A wrong guess here would let an unsolvable task through.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {name: i for i, names in enumerate(
    (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
     ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"),
     ("november", "nov"), ("december", "dec")), start=1) for name in names}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_DAY = r"(?<!\d)(?P<day>\d{1,2})(?:st|nd|rd|th)?(?![\d:])"  # not a clock time (20:30) nor part of a number
_YEAR = r"(?:,?\s+(?P<year>\d{4})(?!\d))?"

_FORMS = (
    re.compile(r"\b" + _MONTH + r"\s+" + _DAY + _YEAR, re.IGNORECASE),  # March 20th, 2026
    re.compile(_DAY + r"\s+(?:of\s+)?" + r"\b" + _MONTH + _YEAR, re.IGNORECASE),  # 20 March 2026, 20th of March
    re.compile(r"(?:(?<!\d)(?P<year>\d{4})\s*年\s*)?(?<!\d)(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号號]"),
    re.compile(r"(?<!\d)(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)"),
)


# Most texts an agent sees (tool results, JSON) hold no month name and no 月: the forms needing
# one are skipped after one cheap search instead of trying every digit of the text.
_MONTH_STEMS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _may_name_a_month(text: str) -> bool:
    low = text.lower()
    return any(stem in low for stem in _MONTH_STEMS)  # substring tests in C: a false hit only costs a search


_NEEDS = (_may_name_a_month, _may_name_a_month, lambda text: "月" in text, lambda text: True)


def _month(text: str) -> int:
    return int(text) if text.isdigit() else _MONTHS[text.lower()]


def dates_in(text: str, today: date | None = None) -> set[str]:
    """The ISO dates written in ``text`` in the forms above; a year-less one in ``today``'s year."""
    found = set()
    for form, needs in zip(_FORMS, _NEEDS):
        if not needs(text):
            continue
        for m in form.finditer(text):
            year = m.group("year")
            if year is None and today is None:
                continue
            if m.group("month") == "may" and year is None and not _ORDINAL_DAY.search(m.group(0)):
                continue  # "I may 20 items" is a verb: a lowercase may needs "20th" or a year
            try:
                day = date(int(year) if year else today.year, _month(m.group("month")), int(m.group("day")))  # type: ignore[union-attr]
            except ValueError:  # February 30th, 13月1日: not a date
                continue
            found.add(day.isoformat())
    return found


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ORDINAL_DAY = re.compile(r"\d(?:st|nd|rd|th)")


def is_iso_day(value: str) -> bool:
    return bool(_ISO_DAY.fullmatch(value))
