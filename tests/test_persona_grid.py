"""--ecom-persona-grid: parsing, task variants, item ids, reruns and the ablation table."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from pytest_ecom.prepare.persona_grid import GridSyntaxError, PersonaVariant, parse_grid, variant_task
from pytest_ecom.results.ablation import ablation
from pytest_ecom.spec.loader import parse_model
from pytest_ecom.spec.models import Emotion, Level, Persona, QuestionStyle
from test_run import summary_block

PAPER_GRID = "emotion=calm,angry patience=high,low style=clear,vague"
PERSONAS = Path(__file__).resolve().parents[1] / "personas"


# -- the expression ----------------------------------------------------------------------


def test_the_papers_grid_has_eight_variants_in_order():
    grid = parse_grid(PAPER_GRID)
    assert grid.expression == "emotion=calm,angry patience=high,low question_style=clear,vague"
    assert [v.label for v in grid.variants()] == [
        "calm-high-clear", "calm-high-vague", "calm-low-clear", "calm-low-vague",
        "angry-high-clear", "angry-high-vague", "angry-low-clear", "angry-low-vague",
    ]
    assert grid.variants()[5].as_dict() == {"emotion": "angry", "patience": "high", "question_style": "vague"}
    assert parse_grid(grid.expression) == grid


def test_spacing_and_value_aliases_are_accepted():
    grid = parse_grid(" emotion = calm, angry  patience=patient,impatient ")
    assert grid.expression == "emotion=calm,angry patience=high,low"
    assert parse_grid("consumer_type=value_seeking,brand_loyal").variants()[1].label == "brand_loyal"


@pytest.mark.parametrize("text, message", [
    ("mood=calm", "unknown persona dimension 'mood': write DIMENSION=VALUE,VALUE"),
    ("emotion=furious", "emotion has no value 'furious'; use one of: calm, anxious, dissatisfied, angry"),
    ("patience=slow", "patience has no value 'slow'; use one of: high, medium, low (or patient=high, impatient=low)"),
    ("emotion", "'emotion': write DIMENSION=VALUE,VALUE"),
    ("emotion=calm style=clear question_style=vague", "persona dimension 'question_style' is given twice"),
    ("emotion=calm,calm", "emotion: a value is listed twice"),
    ("", "empty persona grid"),
])
def test_a_bad_expression_is_refused_naming_the_valid_choices(text, message):
    with pytest.raises(GridSyntaxError) as exc:
        parse_grid(text)
    assert str(exc.value).startswith(message)
    if "unknown persona dimension" in message:
        assert "dimensions: consumer_type, emotion, carefulness, patience, trust" in str(exc.value)


# -- variants of a task ------------------------------------------------------------------


def test_a_variant_changes_only_the_persona_of_its_task(mini_task):
    base = mini_task("status")
    variant = variant_task(base, PersonaVariant((("emotion", "angry"), ("question_style", "vague"))))
    assert variant.id == "order_status@angry-vague"
    assert variant.persona.emotion is Emotion.angry and variant.persona.question_style is QuestionStyle.vague
    assert variant.persona.patience is Level.high  # the task's persona (calm_clear) for the rest
    assert base.persona.emotion is Emotion.calm  # the base task is untouched
    assert variant.task is base.task and variant.expected is base.expected and variant.searches == base.searches
    assert variant.record_fields()["persona_variant"] == {"emotion": "angry", "question_style": "vague"}
    assert variant.record_fields()["base_task"] == "order_status"
    # the description was written for a calm customer: it goes when a value changes, stays otherwise
    assert variant.persona.description == ""
    same = variant_task(base, PersonaVariant((("emotion", "calm"),)))
    assert same.persona.description == base.persona.description != ""


def test_the_eight_grid_personas_are_shipped():
    cells = {}
    for path in PERSONAS.glob("*.yaml"):
        persona = parse_model(path, Persona)
        cells.setdefault((persona.emotion, persona.patience, persona.question_style), []).append(persona.id)
    for emotion in ("calm", "angry"):
        for patience, word in (("high", "patient"), ("low", "impatient")):
            for style in ("clear", "vague"):
                key = (Emotion(emotion), Level(patience), QuestionStyle(style))
                assert f"{emotion}_{word}_{style}" in cells.get(key, []), key
    assert len(list(PERSONAS.glob("*.yaml"))) >= 8 + 3  # the grid and the realistic mixes


def test_the_ablation_counts_each_value_over_its_variants():
    def record(task: str, variant: dict[str, str], outcome: str, trial: int) -> dict:
        return {"task": task, "trial": trial, "outcome": outcome, "persona_variant": variant}

    calm, angry = {"emotion": "calm"}, {"emotion": "angry"}
    records = [record("a@calm", calm, "pass", 1), record("a@calm", calm, "pass", 2),
               record("b@calm", calm, "pass", 1), record("b@calm", calm, "fail", 2),
               record("a@angry", angry, "fail", 1), record("a@angry", angry, "error", 2),
               {"task": "plain", "trial": 1, "outcome": "pass"}]
    rows = ablation(records, 2)
    assert [(r["value"], r["pass_hat_1"], r["pass_hat_2"], r["incomplete"]) for r in rows] == [
        ("calm", 0.75, 0.5, []),  # a: 2/2, b: 1/2 → pass^2 = (1 + 0) / 2
        ("angry", 0.0, None, ["a@angry"]),  # the error leaves one scored trial: no pass^2
    ]
    assert rows[1]["errors"] == 1 and rows[1]["trials"] == 2


# -- through pytest ------------------------------------------------------------------------


def test_each_task_is_run_once_per_variant_with_readable_ids(mini_project):
    result = mini_project.run("--collect-only", "-q", "--repeat=2", f"--ecom-persona-grid={PAPER_GRID}",
                              "tasks/status.task.yaml")
    ids = mini_project.collected_ids(result)
    assert len(ids) == 16
    assert ids[:3] == ["tasks/status.task.yaml::order_status[calm-high-clear-1-2]",
                       "tasks/status.task.yaml::order_status[calm-high-clear-2-2]",
                       "tasks/status.task.yaml::order_status[calm-high-vague-1-2]"]
    assert ids[-1] == "tasks/status.task.yaml::order_status[angry-low-vague-2-2]"


def test_the_oracle_passes_every_variant_and_the_summary_adds_the_ablation(mini_project):
    result = mini_project.run("--agent=oracle", "--repeat=2", f"--ecom-persona-grid={PAPER_GRID}",
                              "--ecom-report=report.json")
    result.assert_outcomes(passed=3 * 8 * 2)
    block = summary_block(result)
    assert block[0] == "agent oracle: 24 tasks, 48 trials: 48 passed, 0 failed, 0 errors"
    start = block.index("persona ablation (over the task variants with each value; pass^1 / pass^2):")
    assert block[start + 1:start + 7] == [
        f"  {dim:<14}  {value:<5}  pass^1 1.000  pass^2 1.000  (12 variants, 24 trials)"
        for dim, value in (("emotion", "calm"), ("emotion", "angry"), ("patience", "high"), ("patience", "low"),
                           ("question_style", "clear"), ("question_style", "vague"))]
    report = mini_project.report()
    assert [(r["dimension"], r["value"], r["variants"]) for r in report["summary"]["ablation"]][:2] == [
        ("emotion", "calm", 12), ("emotion", "angry", 12)]
    assert report["fingerprint"]["options"]["persona_grid"] == parse_grid(PAPER_GRID).expression
    trial = next(t for t in report["trials"] if t["task"] == "cancel_kettle@angry-low-clear")
    assert trial["base_task"] == "cancel_kettle"
    assert trial["persona_variant"] == {"emotion": "angry", "patience": "low", "question_style": "clear"}


def test_without_a_grid_the_summary_has_no_ablation(mini_project):
    mini_project.run("--agent=oracle", "--ecom-report=report.json").assert_outcomes(passed=3)
    assert "ablation" not in mini_project.report()["summary"]


def test_a_failing_variants_rerun_command_reruns_exactly_it(mini_project):
    grid = "--ecom-persona-grid=emotion=calm,angry"
    result = mini_project.run("--agent=mini_agents:half_oracle", "--repeat=3", grid, "-k", "order_status")
    [command, *_] = mini_project.rerun_commands(result)
    args = shlex.split(command)[1:]
    assert "--ecom-persona-grid=emotion=calm,angry" in args
    nodeid = args[0]
    assert nodeid.startswith("tasks/status.task.yaml::order_status[") and nodeid.endswith("-3]")
    again = mini_project.run(*args, "-v")
    again.assert_outcomes(failed=1)
    assert f"{nodeid} FAILED" in again.stdout.str()
    pasted = mini_project.run(nodeid, "--agent=mini_agents:half_oracle", grid, "-v")  # the id implies --repeat=3
    pasted.assert_outcomes(failed=1)


def test_a_bad_grid_is_a_usage_error(mini_project):
    result = mini_project.run("--agent=oracle", "--ecom-persona-grid=emotion=calm style=loud")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "question_style has no value 'loud'; use one of: clear, vague" in result.stderr.str()


def test_variants_run_on_xdist_workers_like_serially(mini_project):
    args = ("--agent=mini_agents:half_oracle", "--repeat=2", "--ecom-persona-grid=emotion=calm,angry")
    mini_project.run(*args, "--ecom-report=serial.json")
    mini_project.run_subprocess("-n", "2", *args, "--ecom-report=parallel.json")
    serial, parallel = mini_project.report("serial.json"), mini_project.report("parallel.json")
    assert parallel["summary"] == serial["summary"] and len(parallel["trials"]) == 12


def test_an_oracle_run_with_a_grid_never_imports_litellm(mini_project):
    mini_project.assert_oracle_run_never_imports_litellm('--ecom-persona-grid=emotion=calm,angry')
