"""``pytest-ecom import ecomstage`` and the shipped stage-wise samples under ``tasks/stagewise``.

The importer's input is ``tests/data/ecomstage_samples.json``: samples written for these tests in
exactly EComStage's format (two per task type, then a few deliberately unsound or odd ones), and
``tests/data/ecomstage_layouts.json``: the ways a prompt lays out its options (one line, separate
lines, each separator, full-width forms, a skipped letter, false options in running text).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pytest_ecom.cli import main
from pytest_ecom.importers.common import ID_MAX, dump_yaml, safe_identifier
from pytest_ecom.importers.ecomstage import offered_options
from pytest_ecom.spec.loader import parse_model
from pytest_ecom.spec.samples import LABEL_TASK_TYPES, TASK_TYPES, Sample
from pytest_ecom.spec.yaml_io import read_yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "ecomstage_samples.json"
LAYOUTS = Path(__file__).resolve().parent / "data" / "ecomstage_layouts.json"
STAGEWISE = ROOT / "tasks" / "stagewise"
MIN_PER_TASK_TYPE = 11
MIN_LINKED_TO_TASKS = 20

# The unsound entries of the data file and what their `malformed` must say.
MALFORMED = {
    "3_query_match_3": "only option A is offered",
    "6_solution_decision_3": "answer '2' is not among the options offered (1, 3, 4)",
    "5_scenario_route_3": "the prompt states the answer 'F'",
    "7_RAG_QA_3": "the reference answer appears verbatim in the prompt",
}
# Odd but answerable entries: they run, and `source.notes` says what is odd.
NOTED = {"3_query_match_4": "the option list skips C"}


def entries(path: Path = DATA) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def sample_path(out: Path, entry: dict) -> Path:
    return out / entry["task_type"] / f"ecomstage_{entry['id']}.sample.yaml"


def run_import(capsys, source: Path, out: Path) -> tuple[int, str, str]:
    code = main(["import", "ecomstage", str(source), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def files_under(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def imported(tmp_path, capsys) -> tuple[Path, str]:
    out = tmp_path / "out"
    code, stdout, stderr = run_import(capsys, DATA, out)
    assert (code, stderr) == (0, ""), stderr
    return out, stdout


# -- the reference data itself ------------------------------------------------------------


@pytest.mark.parametrize("path", [DATA, LAYOUTS], ids=lambda p: p.name)
def test_the_data_files_are_in_the_reference_format(path):
    data = entries(path)
    assert len(data) >= 14
    assert len({e["id"] for e in data}) == len(data)
    for entry in data:
        assert list(entry) == ["id", "task_type", "system", "conversations", "gt_answer"]
        assert [turn["from"] for turn in entry["conversations"]] == ["human", "gpt"]
        assert entry["conversations"][1]["value"] == entry["gt_answer"]
        k = list(TASK_TYPES).index(entry["task_type"]) + 1  # TASK_TYPES is in the reference's order
        assert re.fullmatch(rf"{k}_{entry['task_type']}_\d+", entry["id"]), entry["id"]
    if path == DATA:
        sound = Counter(e["task_type"] for e in data if e["id"] not in MALFORMED and e["id"] not in NOTED)
        assert sound == {t: 2 for t in TASK_TYPES}
    else:
        assert {e["id"] for e in data} == set(LAYOUT_CASES)


# -- output files ---------------------------------------------------------------------------


def test_one_valid_sample_file_per_entry(imported):
    out, _ = imported
    data = entries()
    expected = {str(sample_path(out, e).relative_to(out)) for e in data}
    assert set(files_under(out)) == expected
    for entry in data:
        sample = parse_model(sample_path(out, entry), Sample)
        assert sample.id == f"ecomstage_{entry['id']}"
        assert sample.task_type == entry["task_type"]
        notes = {"notes": NOTED[entry["id"]]} if entry["id"] in NOTED else {}
        assert sample.source == {"benchmark": "EComStage", "id": entry["id"], **notes}
        assert [m.role for m in sample.messages] == ["user"]
        # stage and side come from the task type, not from the file
        assert sample.stage is None and sample.orientation is None and sample.scorer is None


def test_the_file_layout_is_stable(imported):
    out, _ = imported
    path = out / "solution_decision" / "ecomstage_6_solution_decision_1.sample.yaml"
    modeline, text = path.read_text(encoding="utf-8").split("\n", 1)
    assert modeline.startswith("# yaml-language-server: $schema=") and modeline.endswith("/sample.schema.json")
    assert text.startswith("schema_version: 1\nid: ecomstage_6_solution_decision_1\ntask_type: solution_decision\n")
    assert "options: ['3', '6', '8']\n" in text
    assert text.endswith("source:\n  benchmark: EComStage\n  id: 6_solution_decision_1\n")


def test_texts_round_trip_exactly(imported):
    out, _ = imported
    for entry in entries():
        loaded = read_yaml(sample_path(out, entry))
        assert loaded["system"] == entry["system"]
        assert loaded["messages"] == [{"role": "user", "content": entry["conversations"][0]["value"]}]
        assert loaded["answer"] == entry["gt_answer"]
    # the data holds the hard cases: check they are really there, so the test means something
    texts = json.dumps(entries(), ensure_ascii=False)
    assert "😕" in texts and "微波炉" in texts and "  \\n" in texts and "\\t" in texts


TRICKY = [
    "trailing spaces   ", "  leading spaces", "\nleading newline", "ends with two newlines\n\n", "ends with one\n",
    "line one  \nline two\n", "tab\there", "carriage\r\nreturn", "next line\x85and separator\u2028here",
    "emoji 😊🛒 and 中文：退货政策", "# not a comment", "key: value", "- not a list", "'single' and \"double\"",
    "---", "...", "null", "yes", "0123", "1e3", "|", ">", "   ", "a\n  indented\n\tand tabbed\n", "\ufeffBOM first",
    "  \n  blank-ish lines \n\n  ", "🙂" * 3 + "\n" + "x" * 500,
]


@pytest.mark.parametrize("text", TRICKY)
def test_dump_yaml_round_trips_any_text(tmp_path, text):
    data = {"schema_version": 1, "id": "x", "task_type": "RAG_QA", "system": text,
            "messages": [{"role": "user", "content": text}], "answer": text + "!"}
    path = tmp_path / "x.sample.yaml"
    path.write_bytes(dump_yaml(data).encode("utf-8"))
    assert read_yaml(path) == data
    sample = parse_model(path, Sample)
    assert (sample.system, sample.messages[0].content, sample.answer) == (text, text, text + "!")


def test_tricky_texts_survive_the_whole_import(tmp_path, capsys):
    source = tmp_path / "tricky.json"
    batch = [{"id": f"1_query_rewrite_{i}", "task_type": "query_rewrite", "system": text,
              "conversations": [{"from": "human", "value": f"History:\n{text}"}, {"from": "gpt", "value": f"<{text}>"}],
              "gt_answer": f"<{text}>"} for i, text in enumerate(TRICKY)]
    source.write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
    code, _, err = run_import(capsys, source, tmp_path / "out")
    assert (code, err) == (0, "")
    for entry in batch:
        sample = parse_model(sample_path(tmp_path / "out", entry), Sample)
        assert sample.system == entry["system"]
        assert sample.messages[0].content == entry["conversations"][0]["value"]
        assert sample.answer == entry["gt_answer"]


# -- options and malformed flags -------------------------------------------------------------


def test_options_are_the_labels_offered(imported):
    out, _ = imported
    options = {e["id"]: read_yaml(sample_path(out, e)).get("options") for e in entries()}
    assert options["3_query_match_1"] == ["A", "B", "C", "D", "E"]
    assert options["3_query_match_3"] == ["A"]
    assert options["3_query_match_4"] == ["A", "B", "D", "E"]
    assert options["5_scenario_route_1"] == list("ABCDEF")  # listed in the system prompt
    assert options["6_solution_decision_1"] == ["3", "6", "8"]
    assert options["6_solution_decision_2"] == ["1", "2", "9"]
    assert options["6_solution_decision_3"] == ["1", "3", "4"]
    assert options["2_attitude_cls_1"] == ["0", "1"]
    assert options["4_intent_recognition_1"] == [str(n) for n in range(1, 8)]
    assert options["1_query_rewrite_1"] is None and options["7_RAG_QA_1"] is None


def test_unsound_samples_are_kept_and_flagged_with_the_reason(imported):
    out, _ = imported
    for entry in entries():
        sample = parse_model(sample_path(out, entry), Sample)
        if entry["id"] in MALFORMED:
            assert sample.malformed and MALFORMED[entry["id"]] in sample.malformed, (entry["id"], sample.malformed)
        else:
            assert sample.malformed is None, (entry["id"], sample.malformed)
            if sample.task_type in LABEL_TASK_TYPES:
                assert sample.answer.strip() in sample.labels
        assert sample.source.get("notes") == NOTED.get(entry["id"]), entry["id"]


def summary_sections(stdout: str) -> dict[str, dict[str, int]]:
    """The summary's counted reasons under its "flagged malformed" and "noted" lines."""
    sections: dict[str, dict[str, int]] = {}
    current = None
    for line in stdout.splitlines():
        heading = re.match(r"^\d+ (flagged malformed|noted) ", line)
        count = re.match(r"^\s+(\d+)\s+(.+)$", line)
        if heading:
            current = sections.setdefault(heading.group(1), {})
        elif count and current is not None:
            current[count.group(2)] = int(count.group(1))
    return sections


def test_summary_counts_samples_and_reasons(imported):
    _, stdout = imported
    lines = stdout.splitlines()
    assert lines[0].startswith(f"{len(entries())} sample(s) written to ")
    assert f"\n{len(MALFORMED)} flagged malformed" in stdout
    assert f"\n{len(NOTED)} noted (sound: a run includes them" in stdout
    assert summary_sections(stdout) == {
        "flagged malformed": {"answer leaked in the prompt": 2, "answer not among the options offered": 1,
                              "only one option offered": 1},
        "noted": {"option list skips a letter": 1},
    }


def test_the_summary_has_no_noted_line_when_nothing_is_odd(tmp_path, capsys):
    source = tmp_path / "sound.json"
    source.write_text(json.dumps(entries()[:4]), encoding="utf-8")
    code, stdout, _ = run_import(capsys, source, tmp_path / "out")
    assert code == 0 and "\n0 flagged malformed" in stdout and " noted (" not in stdout


@pytest.mark.parametrize(("prompt", "leaked"), [
    ("Which team? (Answer: F)", True),
    ("The answer is F.", True),
    ("correct answer: (F)", True),
    ("the answer is E.", False),  # states another label: odd, but not this answer
    ("User: What is the answer: F or G?", False),  # a question, not a stated answer
    ("User: the fee is F. Please route it", False),
])
def test_a_stated_answer_is_detected_conservatively(tmp_path, capsys, prompt, leaked):
    entry = {"id": "5_scenario_route_9", "task_type": "scenario_route",
             "system": "A. a\nB. b\nC. c\nD. d\nE. e\nF. f\nOutput the letter only.",
             "conversations": [{"from": "human", "value": prompt}, {"from": "gpt", "value": "F"}], "gt_answer": "F"}
    source = tmp_path / "one.json"
    source.write_text(json.dumps([entry]), encoding="utf-8")
    assert run_import(capsys, source, tmp_path / "out")[0] == 0
    sample = parse_model(sample_path(tmp_path / "out", entry), Sample)
    assert (sample.malformed is not None) == leaked, sample.malformed


@pytest.mark.parametrize(("task_type", "human", "gpt", "gt", "reason"), [
    ("solution_decision", "Pick the best reply: ask for a photo, or close the chat.", "2", "2",
     "no numbered options found in the prompt"),
    ("attitude_cls", "Merchant: Sure, happy to help!", "1", "0", "gt_answer '0' differs from the gpt turn '1'"),
    ("query_rewrite", "  \n", "Where is order 5?", "Where is order 5?", "the human turn is empty"),
])
def test_other_unsound_samples(tmp_path, capsys, task_type, human, gpt, gt, reason):
    entry = {"id": f"x_{task_type}_1", "task_type": task_type, "system": "",
             "conversations": [{"from": "human", "value": human}, {"from": "gpt", "value": gpt}], "gt_answer": gt}
    source = tmp_path / "one.json"
    source.write_text(json.dumps([entry]), encoding="utf-8")
    code, stdout, _ = run_import(capsys, source, tmp_path / "out")
    assert code == 0 and "1 flagged malformed" in stdout
    assert reason in parse_model(sample_path(tmp_path / "out", entry), Sample).malformed


# -- option layouts (tests/data/ecomstage_layouts.json) ---------------------------------------

ABCDE = ["A", "B", "C", "D", "E"]
# id → (options written, what `malformed` says or None, what `source.notes` says or None)
LAYOUT_CASES = {
    "3_query_match_101": (ABCDE, None, None),  # one line, "A."
    "3_query_match_102": (ABCDE, None, None),  # separate lines, "A、"
    "3_query_match_103": (ABCDE, None, None),  # one line, "A:"
    "3_query_match_104": (ABCDE, None, None),  # separate lines, "(A)"
    "3_query_match_105": (ABCDE, None, None),  # one line, "A)"
    "3_query_match_106": (ABCDE, None, None),  # separate lines, full-width "Ａ．", Chinese text
    "3_query_match_107": (ABCDE, None, None),  # one line, full-width "（A）", no spaces between
    "3_query_match_108": (["A", "B", "C", "D", "F"], None, "the option list skips E"),  # one line
    "3_query_match_109": (["A", "B", "D", "E"], None, "the option list skips C"),  # separate lines
    "3_query_match_110": (["C"], "only option C is offered", "the option list skips A, B"),
    "3_query_match_111": (ABCDE, "the prompt states the answer 'B'", None),
    "3_query_match_112": (ABCDE, None, None),  # "Plan A.", "10.30", "e.g.", "5.99", "I. e." before the list
    "3_query_match_113": (["A"], "only option A is offered", None),  # "A. … plan B. instead?"
    "3_query_match_114": (["A", "B", "C"], "answer 'E' is not among the options offered (A, B, C)", None),
    "5_scenario_route_101": (list("ABCDEF"), None, None),  # one line in the system prompt
    "5_scenario_route_102": (list("ABCDEF"), None, None),  # full-width "Ａ：", one per line, system prompt
    "6_solution_decision_101": (["1", "3", "4"], None, None),  # full-width digits, one line
    "6_solution_decision_102": (["2", "5", "7"], None, None),  # "(2)" per line, with "5.99" and "10.30"
}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("layouts") / "out"
    code = main(["import", "ecomstage", str(LAYOUTS), "--out", str(out)])
    assert code == 0
    return out


@pytest.mark.parametrize("sample_id", list(LAYOUT_CASES))
def test_each_option_layout_gives_its_options_flags_and_notes(layouts, sample_id):
    options, malformed, notes = LAYOUT_CASES[sample_id]
    entry = next(e for e in entries(LAYOUTS) if e["id"] == sample_id)
    sample = parse_model(sample_path(layouts, entry), Sample)
    assert sample.options == options
    assert sample.malformed == malformed
    assert sample.source == {"benchmark": "EComStage", "id": sample_id, **({"notes": notes} if notes else {})}
    # the texts are the input's, byte for byte (full-width forms are only read, never rewritten)
    assert sample.system == entry["system"]
    assert sample.messages[0].content == entry["conversations"][0]["value"]
    assert sample.answer == entry["gt_answer"]


def test_the_layout_data_holds_what_it_claims():
    texts = {e["id"]: e["system"] + e["conversations"][0]["value"] for e in entries(LAYOUTS)}
    assert "\nA. What if" in texts["3_query_match_101"] and "? B. How do I" in texts["3_query_match_101"]
    assert "\nB、" in texts["3_query_match_102"] and ": A: How" in texts["3_query_match_103"]
    assert "\n(D) " in texts["3_query_match_104"] and "? E) Which" in texts["3_query_match_105"]
    assert "\nＢ．" in texts["3_query_match_106"] and "?（B）Can" in texts["3_query_match_107"]
    assert all(s in texts["3_query_match_112"] for s in ("Plan A. It", "10.30", "e.g.", "5.99", "I. e."))
    assert "\nＦ：" in texts["5_scenario_route_102"] and "１．Offer" in texts["6_solution_decision_101"]


def test_the_layout_summary_counts_flags_and_notes(tmp_path, capsys):
    code, stdout, _ = run_import(capsys, LAYOUTS, tmp_path / "out")
    assert code == 0
    assert "\n4 flagged malformed" in stdout and "\n3 noted (sound: a run includes them" in stdout
    assert summary_sections(stdout) == {
        "flagged malformed": {"only one option offered": 2, "answer leaked in the prompt": 1,
                              "answer not among the options offered": 1},
        "noted": {"option list skips a letter": 3},  # 3_query_match_110 too: one option, and not A
    }


def test_a_sample_with_a_skipped_letter_runs_and_malformed_ones_are_skipped(mini_project):
    code = main(["import", "ecomstage", str(LAYOUTS), "--out", str(mini_project.path / "imported")])
    assert code == 0
    result = mini_project.run("imported", "--agent=oracle", "-rs")
    malformed = sum(1 for _, flag, _ in LAYOUT_CASES.values() if flag)
    result.assert_outcomes(passed=len(LAYOUT_CASES) - malformed, skipped=malformed)
    out = result.stdout.str()
    assert "malformed sample: only option C is offered" in out
    assert "skips E" not in out and "skips C" not in out  # the noted samples ran


@pytest.mark.parametrize(("text", "numbered", "found"), [
    ("Pick one:\nA. x\nB. y\nC. z", False, ["A", "B", "C"]),
    ("Pick one:\n(A) x\n(B) y", False, ["A", "B"]),
    ("E.g. a note\nA. x\nB. y", False, ["A", "B"]),
    ("choices: A. x B. y C. z", False, ["A", "B", "C"]),
    ("It weighs 3.5 kg.\nOrder 5521. Response choices: 2. Ask. 5. Refund 7. Close", True, ["2", "5", "7"]),
    ("Options:\n1. Offer a refund of $9.99. \n4. Explain the 30-day rule.", True, ["1", "4"]),
    ("no options here", True, []),
    # one line and separate lines, every separator, full-width forms
    ("Pick:\nA. Why? B. How? C. When?", False, ["A", "B", "C"]),
    ("Pick: A、为什么？B、怎么办？C、多久？", False, ["A", "B", "C"]),
    ("Pick:\nA: Why?\nB: How?\nC: When?", False, ["A", "B", "C"]),
    ("Pick: (A) Why? (B) How? (C) When?", False, ["A", "B", "C"]),
    ("Pick:\nA) Why?\nB) How?", False, ["A", "B"]),
    ("Pick:\nＡ．Why?\nＢ．How?\nＣ．When?", False, ["A", "B", "C"]),
    ("Pick:（A）Why?（B）How?（C）When?", False, ["A", "B", "C"]),
    ("Pick:\nＡ：Why?\nＢ：How?", False, ["A", "B"]),
    ("Pick:\nA.Why? B.How? C.When?", False, ["A", "B", "C"]),  # no space after the separator
    ("Pick:\nA. Why? B. How? C. When? D. Who? F. Where?", False, ["A", "B", "C", "D", "F"]),
    ("Pick:\nB. How?\nC. When?", False, ["B", "C"]),  # starts late: the importer notes "skips A"
    ("Pick:\nC. When?", False, ["C"]),
    # false options in running text
    ("I chose Plan A. It was fine.", False, []),  # not at a line's start or after a colon
    ("Plan A. Then plan B. Then plan C.", False, []),
    ("Pick:\nA. Can I switch to plan B. instead?", False, ["A"]),  # two options after words: too few
    ("Pick:\nA. Why? B. How? C. When? I. e. soon", False, ["A", "B", "C"]),  # "I. e." is no option I
    ("E.g. today\nI. e. now\nPick:\nA. Why? B. How?", False, ["A", "B"]),
    ("At 10.30 it costs 5.99.\nPick:\nA. At 10.30? B. For 5.99? C. Never?", False, ["A", "B", "C"]),
    ("Pick:\nA. x?\nB. y?\nJ. Smith wrote this list.", False, ["A", "B"]),  # a gap of seven letters
    ("Pick:\nA. x?\nB. y?\nshe said C. was best", False, ["A", "B"]),  # one per line: C is not on its own
    ("Pick:\nA. x? B. y: C) z?", False, ["A", "B"]),  # a different separator is not the same list
    ("U.S.A. only:\nA. x\nB. y", False, ["A", "B"]),
    # numbers
    ("Reply choices: １．Refund. ３．Photo. ４．Close.", True, ["1", "3", "4"]),
    ("Reply choices:\n（２）Refund.\n（５）Photo.", True, ["2", "5"]),
    ("Reply choices: 1: Refund now. 3: Send a photo. 4: Close.", True, ["1", "3", "4"]),
    ("Reply choices: 1. Refund 5.99 today. 3. Call at 10.30. 4. Close.", True, ["1", "3", "4"]),
    ("Call at 10: 30 or 10:45, for 5.99.", True, []),
])
def test_offered_options(text, numbered, found):
    assert offered_options(text, numbered) == found


def test_safe_identifiers():
    taken: set[str] = set()
    assert safe_identifier("1_query_rewrite_1", "ecomstage", taken) == "ecomstage_1_query_rewrite_1"
    assert safe_identifier("1_query_rewrite_1", "ecomstage", taken) == "ecomstage_1_query_rewrite_1_2"
    assert safe_identifier("a-b c/d", "ecomstage", taken) == "ecomstage_a_b_c_d"
    long = safe_identifier("x" * 200, "ecomstage", taken)
    assert len(long) == ID_MAX and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", long)
    assert safe_identifier("x" * 200, "ecomstage", taken) != long


def test_duplicate_ids_get_distinct_files(tmp_path, capsys):
    twice = entries()[:1] * 2
    source = tmp_path / "dup.json"
    source.write_text(json.dumps(twice), encoding="utf-8")
    assert run_import(capsys, source, tmp_path / "out")[0] == 0
    assert sorted(files_under(tmp_path / "out")) == ["query_rewrite/ecomstage_1_query_rewrite_1.sample.yaml",
                                                     "query_rewrite/ecomstage_1_query_rewrite_1_2.sample.yaml"]


# -- bad input --------------------------------------------------------------------------------


def _broken(index: int, change) -> list[dict]:
    data = entries()
    change(data[index])
    return data


def _drop(key):
    return lambda e: e.pop(key)


def _set(key, value):
    return lambda e: e.__setitem__(key, value)


@pytest.mark.parametrize(("index", "change", "message"), [
    (3, _set("task_type", "sentiment_cls"), "entry [3] (id '2_attitude_cls_2'): field 'task_type': unknown task type 'sentiment_cls'"),
    (5, _drop("gt_answer"), "entry [5] (id '3_query_match_2'): field 'gt_answer' is missing"),
    (0, lambda e: e["conversations"].pop(), "entry [0] (id '1_query_rewrite_1'): field 'conversations' has 1 turn(s)"),
    (2, _set("conversations", [{"from": "gpt", "value": "0"}, {"from": "human", "value": "?"}]),
     "entry [2] (id '2_attitude_cls_1'): field 'conversations[0].from' is 'gpt'; expected 'human'"),
    (4, _set("gt_answer", "   "), "entry [4] (id '3_query_match_1'): field 'gt_answer' is empty"),
    (6, _set("label", "x"), "entry [6] (id '4_intent_recognition_1'): field 'label' is not part of the format"),
    (7, _drop("id"), "entry [7]: field 'id' is missing"),
    (8, _set("system", None), "entry [8] (id '5_scenario_route_1'): field 'system' must be a string"),
])
def test_bad_entries_are_errors_naming_entry_and_field_and_nothing_is_written(tmp_path, capsys, index, change,
                                                                              message):
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(_broken(index, change), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, stdout, stderr = run_import(capsys, source, out)
    assert code == 2 and stdout == ""
    assert f"error: {source}: {message}" in stderr, stderr
    assert stderr.rstrip().endswith("nothing written")
    assert files_under(out) == {"keep.txt": b"mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "out"]  # no staging folder left


def test_every_bad_entry_is_reported_at_once(tmp_path, capsys):
    data = entries()
    data[1]["task_type"] = "nope"
    del data[9]["gt_answer"]
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    code, _, stderr = run_import(capsys, source, tmp_path / "out")
    assert code == 2 and "entry [1]" in stderr and "entry [9]" in stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("content", "message"), [
    ("{\"id\": 1}", "expected a JSON array of samples, found a dict"),
    ("[{\"id\": \"1\",]", "invalid JSON"),
    ("[\"just text\"]", "entry [0]: expected an object"),
])
def test_a_file_that_is_not_a_sample_array(tmp_path, capsys, content, message):
    source = tmp_path / "bad.json"
    source.write_text(content, encoding="utf-8")
    code, _, stderr = run_import(capsys, source, tmp_path / "out")
    assert code == 2 and message in stderr and str(source) in stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_input_file(tmp_path, capsys):
    code, _, stderr = run_import(capsys, tmp_path / "nope.json", tmp_path / "out")
    assert code == 2 and "no such file" in stderr


# -- idempotence, help ------------------------------------------------------------------------


def test_running_twice_gives_identical_bytes_and_keeps_other_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_import(capsys, DATA, out)[0] == 0
    first = files_under(out)
    (out / "README.md").write_text("my notes")
    (out / "query_rewrite" / "mine.sample.yaml").write_text("# hand-written")
    code, stdout, _ = run_import(capsys, DATA, out)
    assert code == 0 and f"({len(first)} unchanged)" in stdout
    second = files_under(out)
    assert {k: v for k, v in second.items() if k in first} == first
    assert second["README.md"] == b"my notes" and second["query_rewrite/mine.sample.yaml"] == b"# hand-written"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_changed_file_is_rewritten(tmp_path, capsys):
    out = tmp_path / "out"
    run_import(capsys, DATA, out)
    target = sample_path(out, entries()[0])
    original = target.read_bytes()
    target.write_text("edited")
    run_import(capsys, DATA, out)
    assert target.read_bytes() == original


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["import", "--help"])
    assert exc.value.code == 0
    assert "ecomstage" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["import", "ecomstage", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "usage: pytest-ecom import ecomstage [-h] --out DIR FILE" in text
    assert "malformed" in text and "nothing is written" in text


def test_a_benchmark_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["import"])
    assert exc.value.code == 2
    assert "<benchmark>" in capsys.readouterr().err


# -- the shipped stage-wise samples -------------------------------------------------------------


def shipped() -> list[tuple[Path, Sample]]:
    return [(path, parse_model(path, Sample)) for path in sorted(STAGEWISE.rglob("*.sample.yaml"))]


def task_files() -> list[dict]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [yaml.load(p.read_text(encoding="utf-8"), Loader=loader) for p in sorted((ROOT / "tasks").rglob("*.task.yaml"))]


def test_every_shipped_sample_is_valid_and_sound():
    samples = shipped()
    assert samples, f"no samples under {STAGEWISE}"
    for path, sample in samples:
        assert path.name == f"{sample.id}.sample.yaml", path
        assert path.parent.name == sample.task_type, path
        assert sample.malformed is None and sample.source is None, path
        assert sample.language == "en" and sample.system, path
        assert sample.messages[-1].role == "user", path
        if sample.task_type in LABEL_TASK_TYPES:
            assert sample.answer in sample.labels, path
            assert not re.search(rf"answer\s*(is|:)\s*{re.escape(sample.answer)}\b", sample.messages[-1].content, re.IGNORECASE)
        else:
            assert sample.answer not in sample.messages[-1].content, path


def test_enough_shipped_samples_of_each_task_type():
    counts = Counter(sample.task_type for _, sample in shipped())
    short = {t: counts[t] for t in TASK_TYPES if counts[t] < MIN_PER_TASK_TYPE}
    assert not short, f"fewer than {MIN_PER_TASK_TYPE} samples: {short}"


def test_shipped_sample_ids_are_unique_and_distinct_from_task_ids():
    ids = Counter(sample.id for _, sample in shipped())
    assert [i for i, n in ids.items() if n > 1] == []
    assert set(ids) & {t["id"] for t in task_files()} == set()


def test_shipped_solution_decisions_offer_exactly_the_numbers_in_the_prompt():
    decisions = [(p, s) for p, s in shipped() if s.task_type == "solution_decision"]
    for path, sample in decisions:
        assert sample.options == offered_options(sample.messages[-1].content, numbered=True), path
    assert any(s.options != [str(n) for n in range(1, len(s.options) + 1)] for _, s in decisions)


def test_fixed_label_lists_match_the_prompts():
    for path, sample in shipped():
        if sample.task_type in ("query_match", "scenario_route"):
            offered = offered_options(sample.messages[-1].content, False) or offered_options(sample.system, False)
            assert offered == sample.labels == list(TASK_TYPES[sample.task_type][3]), path


def test_many_samples_share_a_scenario_with_an_end_to_end_task():
    scenarios = {t["scenario"] for t in task_files()}
    linked = [s.id for _, s in shipped() if s.scenario in scenarios]
    assert len(linked) >= MIN_LINKED_TO_TASKS, f"only {len(linked)} samples share a scenario with a task"
