"""Dates in words count as the ISO date a golden call needs (the collection-time solvability check)."""

from __future__ import annotations

import asyncio

from datetime import date
from pathlib import Path

import pytest

from pytest_ecom import TrialSettings, run_trial
from pytest_ecom.tools.dates import dates_in
from pytest_ecom.prepare.task import prepare
from pytest_ecom.spec import SpecError, load_task

TODAY = date(2026, 3, 10)  # the home_appliances store's today
SHIPPED = Path(__file__).resolve().parents[1] / "tasks" / "home_appliances" / "installation" / \
    "book_ac_installation.task.yaml"  # books the installation for 2026-03-14

# text -> whether it supplies 2026-03-20 (with the store's today 2026-03-10)
SUPPLIES_MARCH_20 = {
    "March 20th": True,
    "march 20": True,
    "on MARCH 20TH please": True,
    "20 March 2026": True,
    "Mar 20, 2026": True,
    "Mar. 20 2026": True,
    "Friday, March 20, 2026": True,
    "the 20th of March": True,
    "20th March": True,
    "Sept 20": False,  # another month
    "3月20日": True,
    "3月20号上门": True,
    "2026年3月20日": True,
    "2026 年 3 月 20 日": True,
    "３月２０日": True,  # full-width digits
    "2026/3/20": True,
    "2026.03.20": True,
    "2026-3-20": True,
    # near misses: a different day, month or year, or no day at all
    "March 21st": False,
    "March 2nd": False,
    "February 20th": False,
    "20 March 2025": False,
    "Mar 20, 2027": False,
    "3月21日": False,
    "4月20日": False,
    "2025年3月20日": False,
    "March 2026": False,
    "March 200": False,
    "order 100320": False,
    "2026/3/21": False,
    "2026/03-20": False,  # mixed separators
    "20/03/2026": False,  # day-first numbers depend on a locale: not read
    "03/20/2026": False,
    "tomorrow": False,
    "March 20:30": False,  # a clock time, not the 20th
}


@pytest.mark.parametrize(("text", "supplies"), list(SUPPLIES_MARCH_20.items()))
def test_dates_in_words_are_read_exactly(text, supplies):
    assert ("2026-03-20" in dates_in(text, TODAY)) is supplies


@pytest.mark.parametrize("text", ["March 20th", "20 March", "3月20日", "the 20th of March"])
def test_a_date_without_a_year_needs_the_stores_today(text):
    assert dates_in(text, None) == set()
    assert dates_in(text, date(2027, 1, 1)) == {"2027-03-20"}


@pytest.mark.parametrize("text", ["February 30th", "2月30日", "2026/2/30", "13月1日", "March 0"])
def test_impossible_dates_supply_nothing(text):
    assert dates_in(text, TODAY) == set()


def test_several_dates_in_one_text():
    assert dates_in("Not March 14th; move it to 16 March, or 3月18日 at the latest.", TODAY) == {
        "2026-03-14", "2026-03-16", "2026-03-18"}


def _booking_task(tmp_path: Path, said: str) -> Path:
    """The shipped AC-installation task with the customer saying the date as ``said``."""
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace("Saturday 2026-03-14", f"Saturday {said}").replace("for 2026-03-14?", f"for {said}?")
    assert text.count("2026-03-14") == 2  # left: the description (unseen by the agent) and the golden call
    path = tmp_path / "book.task.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("said", ["March 14th", "14 March 2026", "Mar 14, 2026", "3月14日", "2026年3月14日"])
def test_a_task_whose_customer_says_the_date_in_words_is_solvable(tmp_path, said):
    path = _booking_task(tmp_path, said)
    prepared = prepare(load_task(path), path)
    assert prepared.actions[0][1]["date"] == "2026-03-14"


@pytest.mark.parametrize("said", ["March 15th", "14 March 2027", "3月13日", "next Saturday"])
def test_a_different_date_in_words_is_still_refused_with_a_fix(tmp_path, said):
    path = _booking_task(tmp_path, said)
    with pytest.raises(SpecError) as exc:
        prepare(load_task(path), path)
    assert "book_service needs date='2026-03-14', but nothing the agent can see supplies it" in exc.value.message
    assert "'March 20th', '20 March 2026', '3月20日' or '2026-03-20'" in exc.value.fix


@pytest.mark.parametrize("said", ["March 14th", "3月14日"])
def test_a_booking_for_a_date_said_in_words_is_informed_and_confirmed(tmp_path, said):
    """The procedure check and the oracle read dates as collection does: the oracle books for the date
    the customer said in words, after listing the change, and procedure passes."""
    path = _booking_task(tmp_path, said)
    record = asyncio.run(run_trial(str(path), "oracle", 1, repeat=1, settings=TrialSettings(timeout_s=60)))
    procedure = record["dimensions"]["procedure"]
    assert record["outcome"] == "pass", record["dimensions"]
    assert [w["informed"] for w in procedure["detail"]["writes"]] == [True]
    assert [w["confirm"] for w in procedure["detail"]["writes"]] == ["confirmed"]


@pytest.mark.parametrize("phrase", ["March 14th", "14th March", "the 14th"])
def test_a_required_date_in_words_is_grounded_by_the_iso_date_a_result_shows(tmp_path, phrase):
    path = _booking_task(tmp_path, "3月14日")  # the customer never says "14th"; the booking's result shows 2026-03-14
    path.write_text(path.read_text(encoding="utf-8").replace('    - "99"', f'    - "99"\n    - "{phrase}"'),
                    encoding="utf-8")
    assert phrase in prepare(load_task(path), path).task.expect.outputs


def test_a_required_date_nothing_shows_is_still_refused(tmp_path):
    path = _booking_task(tmp_path, "March 14th")
    path.write_text(path.read_text(encoding="utf-8").replace('    - "99"', '    - "99"\n    - "March 17th"'),
                    encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        prepare(load_task(path), path)
    assert "required phrase 'March 17th' contains '17'" in exc.value.message


def test_a_lowercase_may_is_a_month_only_with_an_ordinal_or_a_year():
    assert dates_in("I may 20 items back", TODAY) == set()  # a verb, not a date
    assert dates_in("May 20", TODAY) == dates_in("may 20th", TODAY) == dates_in("may 20, 2026", TODAY) == {"2026-05-20"}
