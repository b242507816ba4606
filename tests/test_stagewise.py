"""Stage-wise samples: scorers on tricky replies, the reference rule, runs through pytest."""

from __future__ import annotations


import pytest

from pytest_ecom.scoring.stage import (extract_choice, reference_verdict, score_choice, score_json, score_regex,
                                      token_f1)
from test_run import summary_block

LETTERS = ["A", "B", "C", "D", "E"]


@pytest.mark.parametrize(("reply", "picked"), [
    ("B", "B"), ("b", "B"), ("(B)", "B"), ("B.", "B"), ("Answer: B", "B"), ("answer: b", "B"),
    ("**B**", "B"), ("Ｂ", "B"), ("The answer is B.", "B"), ("I would pick option B because it fits.", "B"),
    ("A refund question is covered by option C.", "C"), ("C. Can I change my delivery address?", "C"),
    ("The answer is B, not C.", "B"),
    ("**Answer:** B. (Option A would be for rejected creatives.)", "B"),
    ("The answer is a spend-pace issue, so D", "D"), ("Option B is wrong, the answer is C", "C"),
    ("Answer: B\n\nExplanation: option A is not right", "B"), ("D\n\nIt is about spend pace, not C", "D"),
    ("E.g. D", "D"), ("(b)", "B"), ("答案是B", "B"), ("B) Can I change my address?", "B"), ("**C.** It is pace", "C"),
])
def test_choice_finds_the_option_the_reply_commits_to(reply, picked):
    assert extract_choice(reply, LETTERS)[0] == picked


@pytest.mark.parametrize("reply", ["B or C", "A B C D E", "Either D or E could work.", "", "I am not sure.",
                                   "Option F"])
def test_choice_refuses_replies_naming_several_options_or_none(reply):
    assert extract_choice(reply, LETTERS)[0] is None


NUMBERS = ["2", "5", "7"]

# reply, the labels offered, the one label it commits to (None: it commits to none)
CHOICES = [
    # correct replies still pass
    ("D", LETTERS, "D"), ("(E)", LETTERS, "E"), ("Answer: B", LETTERS, "B"), ("B) because it fits", LETTERS, "B"),
    ("**C.** It is about the address", LETTERS, "C"), ("The answer is C.", LETTERS, "C"), ("Ｄ", LETTERS, "D"),
    ("A", LETTERS, "A"), ("A.", LETTERS, "A"), ("Answer: A", LETTERS, "A"),
    # two or more labels named together: none, whatever the words around them
    ("A or C", LETTERS, None), ("C or A", LETTERS, None), ("A or B", LETTERS, None),
    ("A and B both fit", LETTERS, None), ("Either C or A might work", LETTERS, None), ("A/C", LETTERS, None),
    ("A, C", LETTERS, None), ("A & B", LETTERS, None), ("A vs. B", LETTERS, None), ("(A) or (C)", LETTERS, None),
    ("A) or C)", LETTERS, None), ("B (or C)", LETTERS, None), ("option A or option C", LETTERS, None),
    ("A B C D E", LETTERS, None), ("A, B, C, D or E", LETTERS, None), ("B\nC", LETTERS, None),
    ("The answer is A or C", LETTERS, None), ("Answer: B, C", LETTERS, None), ("I'd go with B or C", LETTERS, None),
    ("A or C, I think", LETTERS, None), ("Ａ或Ｃ", LETTERS, None), ("5 or 7", NUMBERS, None),
    ("Answer: 2 and 5", NUMBERS, None),
    # "A" as a letter, not the article, when a verb follows: two options named
    ("A is wrong, C fits", LETTERS, None), ("A would also work, but C", LETTERS, None),
    # the article "A" before a noun is not option A; the one option named is the pick
    ("A refund is the best option, so B", LETTERS, "B"), ("A refund or B", LETTERS, "B"),
    ("B. A refund is what they want", LETTERS, "B"),
    # explicit commitments beside another label (existing rules kept)
    ("The answer is B, not C.", LETTERS, "B"), ("Answer: B (C is wrong)", LETTERS, "B"),
    ("Option B is wrong, the answer is C", LETTERS, "C"), ("D\n\nIt is about spend pace, not C", LETTERS, "D"),
]


@pytest.mark.parametrize(("reply", "labels", "picked"), CHOICES)
def test_choice_table(reply, labels, picked):
    assert extract_choice(reply, labels)[0] == picked


@pytest.mark.parametrize(("answer", "reply"), [("C", "A or C"), ("B", "A or B"), ("B", "A and B both fit"),
                                               ("A", "A B C D E"), ("C", "The answer is A or C")])
def test_a_reply_naming_several_options_fails_for_each_of_them(answer, reply):
    dim = score_choice(answer, reply, LETTERS)
    assert not dim.passed and dim.detail == {"picked": None}
    assert "names several options" in dim.problems[0]


def test_choice_stays_quick_on_huge_replies():
    for reply in ("A " * 100_000, "A or " * 50_000 + "B", " " * 100_000 + "x", "A refund " * 50_000 + "B"):
        extract_choice(reply, LETTERS)  # returns (the tests time out otherwise)


def test_choice_with_numbered_options_is_not_fooled_by_other_numbers():
    labels = ["2", "5", "7"]
    assert extract_choice("5", labels)[0] == "5"
    assert extract_choice("Option 5: ask for the company name.", labels)[0] == "5"
    assert extract_choice("10", ["0", "1"])[0] is None  # "10" names neither label on its own


def test_reference_rule_is_the_lenient_substring_rule():
    assert reference_verdict("1", "10")  # the reference counts "10" right for "1" ...
    assert reference_verdict("0", "10")  # ... and for "0"
    assert reference_verdict("A", "A B C D E")
    assert reference_verdict(" B \n", "The answer:\tB")
    assert not reference_verdict("b", "B")  # case-sensitive
    assert reference_verdict("two words", "two\nwords")


def test_reference_accuracy_parity_on_fixed_predictions(tmp_path):
    """Our reference-compatible verdicts equal the reference's rule, recomputed here from its
    definition (gt stripped, substring of the prediction with newlines/tabs as spaces)."""
    predictions = [("A", "A"), ("B", "The answer is B"), ("1", "10"), ("0", "10"), ("C", "c"), ("D", "Option\nD"),
                   ("3", "category 3"), ("5", "2"), ("E", "A, B, C or E"), ("1", "")]

    def rule(gt: str, pred: str) -> bool:
        flat = pred.replace("\n", " ").replace("\t", " ")
        return flat.find(gt.strip()) != -1

    ours = [reference_verdict(gt, pred) for gt, pred in predictions]
    assert ours == [rule(gt, pred) for gt, pred in predictions]
    assert sum(ours) / len(ours) == pytest.approx(0.7)


def test_token_f1_and_json_and_regex_scorers():
    assert token_f1("How do I descale the kettle?", "how do i descale the kettle") == 1.0
    assert 0 < token_f1("free installation within 30 days", "installation is free") < 1
    assert token_f1("anything", "") == 0.0
    assert score_json("D", 'Sure! ```json\n{"route": {"letter": "D"}}\n```', "route.letter").passed
    assert not score_json("D", '{"route": "C"}', "route").passed
    assert not score_json("D", "no json here", "route").passed
    assert score_regex(r"^\s*[A-F]\s*$", " D ").passed


def test_samples_run_next_to_tasks_and_the_summary_shows_stages(mini_project):
    mini_project.copy_samples()
    result = mini_project.run("--agent=oracle", "--repeat=2", "-rs")
    result.assert_outcomes(passed=10, skipped=2)
    out = result.stdout.str()
    assert "malformed sample: only one option (run it anyway with --ecom-include-malformed)" in out
    block = summary_block(result)
    assert any(line.startswith("  planning   merchant scenario_route") and "reference 1.000" in line for line in block)
    assert any(line.startswith("  end_to_end customer conversation") for line in block)
    assert "scenario cancel_before_shipping: end_to_end 1.000 | planning 1.000" in block


def test_default_and_reference_scoring_are_both_reported(mini_project):
    mini_project.copy_samples()
    mini_project.write("lenient_agents.py", "def all_letters(messages, tools, context):\n"
                                            "    return 'A B C D E F'\n")
    args = ("--agent=lenient_agents:all_letters", "-k", "route_pace", "--ecom-report=report.json")
    failed = mini_project.run(*args)
    failed.assert_outcomes(failed=1)
    story = failed.stdout.str()
    assert "sample failed (planning / scenario_route, ended by answered; the reference rule says pass)" in story
    assert "- no single option in the reply (it names several options: A, B, C, D, E, F); expected D" in story
    [trial] = mini_project.report()["trials"]
    assert trial["verdicts"] == {"default": False, "reference": True}
    assert trial["stage"] == "planning" and trial["orientation"] == "merchant"
    mini_project.run(*args, "--ecom-scoring=reference").assert_outcomes(passed=1)


def test_a_sample_with_an_answer_outside_its_options_is_a_collection_error(mini_project):
    mini_project.copy_samples()
    text = (mini_project.path / "samples" / "route_pace.sample.yaml").read_text()
    mini_project.write("samples/route_pace.sample.yaml", text.replace("answer: D", "answer: G"))
    result = mini_project.run("--collect-only", "-q")
    line = text.replace("answer: D", "answer: G").splitlines().index("answer: G") + 1
    assert f"samples/route_pace.sample.yaml:{line}: answer: Value error, answer 'G' is not one of the options" in (
        result.stdout.str())


# -- model-backed scorers, through litellm over HTTP to a loopback stub -------------------


@pytest.fixture(scope="module")
def openai_stub(model_server):
    return model_server


JUDGED = """schema_version: 1
id: judged_answer
task_type: RAG_QA
scorer: judge
rubric: The reply must say installation is free within 30 days.
messages:
  - role: user
    content: "Knowledge: installation is free within 30 days of delivery. Question: do I pay for installation?"
answer: Installation is free within 30 days of delivery.
"""

AGENTS = """def paraphrase(messages, tools, context):
    return "how do I descale the Aqua 2L kettle, please"

def off_topic(messages, tools, context):
    return "Our store opens at nine."

def installation(messages, tools, context):
    return "Good news: installation is free if you book within 30 days."
"""


def test_similarity_scores_free_text_through_an_embedding_model(mini_project, openai_stub):
    mini_project.copy_samples()
    mini_project.write("model_agents.py", AGENTS)
    models = ("--embedding-model=openai/stub-embed", f"--embedding-base-url={openai_stub.base_url}")
    args = ("-k", "rewrite_kettle", "--ecom-report=report.json", *models)
    mini_project.run("--agent=model_agents:paraphrase", *args).assert_outcomes(passed=1)
    [trial] = mini_project.report()["trials"]
    assert trial["dimensions"]["answer"]["detail"]["scorer"] == "similarity"
    assert trial["dimensions"]["answer"]["detail"]["similarity"] > 0.8
    assert any(path.endswith("/embeddings") for path, _ in openai_stub.requests)
    mini_project.run("--agent=model_agents:off_topic", *args).assert_outcomes(failed=1)


def test_the_judge_grades_on_a_zero_to_two_scale(mini_project, openai_stub):
    mini_project.write("samples/judged.sample.yaml", JUDGED)
    mini_project.write("model_agents.py", AGENTS)
    models = ("--judge-model=openai/stub-judge", f"--judge-base-url={openai_stub.base_url}",
              "-k", "judged_answer", "--ecom-report=report.json")
    mini_project.run("--agent=model_agents:installation", *models).assert_outcomes(passed=1)
    assert mini_project.report()["trials"][0]["dimensions"]["answer"]["detail"] == {"judge": 2, "scorer": "judge"}
    sent = [body for path, body in openai_stub.requests if path.endswith("/chat/completions")][-1]
    assert sent["temperature"] == 0 and "installation is free within 30 days" in sent["messages"][0]["content"]
    mini_project.run("--agent=model_agents:off_topic", *models).assert_outcomes(failed=1)


def test_a_failing_scoring_model_makes_the_trial_an_error_not_a_fail(mini_project, openai_stub):
    mini_project.write("samples/judged.sample.yaml", JUDGED)
    mini_project.write("model_agents.py", AGENTS)
    result = mini_project.run("--agent=model_agents:installation", "-k", "judged_answer",
                              "--judge-model=openai/broken-judge", f"--judge-base-url={openai_stub.base_url}")
    result.assert_outcomes(errors=1)
    assert "trial error (judge): model openai/broken-judge:" in result.stdout.str()


def test_without_a_judge_model_judge_samples_fall_back_to_the_offline_approximation(mini_project):
    mini_project.write("samples/judged.sample.yaml", JUDGED)
    mini_project.write("model_agents.py", AGENTS)
    mini_project.run("--agent=model_agents:installation", "-k", "judged_answer",
                     "--ecom-report=report.json").assert_outcomes(passed=1)
    detail = mini_project.report()["trials"][0]["dimensions"]["answer"]["detail"]
    assert detail["scorer"] == "overlap" and detail["approximate"] is True


def test_an_oracle_run_never_imports_litellm(mini_project):
    mini_project.copy_samples()
    mini_project.assert_oracle_run_never_imports_litellm()


def test_imported_ecomstage_samples_run_with_the_oracle(mini_project):
    """The importer's output is collected and run like any sample: sound ones pass, flagged ones
    are skipped with their reason (and run when asked for)."""
    import json
    from pathlib import Path

    from pytest_ecom.cli import main

    data = Path(__file__).parent / "data" / "ecomstage_samples.json"
    entries = json.loads(data.read_text(encoding="utf-8"))
    assert main(["import", "ecomstage", str(data), "--out", str(mini_project.path / "imported")]) == 0
    result = mini_project.run("imported", "--agent=oracle", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] + outcomes["skipped"] == len(entries)
    assert outcomes["skipped"] >= 3 and "failed" not in outcomes and "errors" not in outcomes
    assert "malformed sample: " in result.stdout.str()
    anyway = mini_project.run("imported", "--agent=oracle", "--ecom-include-malformed")
    assert anyway.parseoutcomes().get("skipped", 0) == 0
