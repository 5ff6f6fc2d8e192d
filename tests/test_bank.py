"""Question bank: the shipped files, validation messages, user overrides, filter/pick, CLI."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from interviewer.bank import (
    LEADERSHIP_PRINCIPLES,
    QuestionBank,
    canonical_principle,
    load_bank,
    shipped_questions_dir,
)
from interviewer.errors import QuestionBankError
from interviewer.models import Question, Round, Track

ROUND_FILES = {r.value for r in Round}


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the real user folder out of every test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("INTERVIEWER_HOME", str(home))
    return home


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def q(qid: str, **extra: object) -> dict:
    return {"id": qid, "text": f"Question {qid}, spoken aloud.", **extra}


def error_of(*paths: Path) -> str:
    with pytest.raises(QuestionBankError) as info:
        load_bank(list(paths))
    msg = str(info.value)
    assert "\n" not in msg
    return msg


# --- the shipped bank -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> QuestionBank:
    return load_bank([shipped_questions_dir()])


def test_one_file_per_round() -> None:
    names = {p.stem for p in shipped_questions_dir().glob("*.yaml")}
    assert names == ROUND_FILES
    for path in shipped_questions_dir().glob("*.yaml"):
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        assert raw["round"] == path.stem
        assert all("round" not in item or item["round"] == path.stem for item in raw["questions"])


def test_shipped_bank_size(shipped: QuestionBank) -> None:
    assert len(shipped) >= 125
    counts = shipped.count_by_round()
    assert set(counts) == set(Round)
    assert all(n >= 12 for n in counts.values()), counts
    assert counts[Round.behavioral] >= 32
    assert counts[Round.ml_system_design] >= 20
    assert counts[Round.ml_breadth] >= 20


def test_shipped_ids_unique_and_tidy(shipped: QuestionBank) -> None:
    ids = shipped.ids()
    assert len(ids) == len(set(ids))
    assert all(len(i) <= 32 for i in ids)


def test_every_principle_is_canonical(shipped: QuestionBank) -> None:
    for question in shipped:
        for p in question.principles:
            assert p in LEADERSHIP_PRINCIPLES, (question.id, p)


def test_behavioral_covers_every_principle_twice(shipped: QuestionBank) -> None:
    behavioral = shipped.filter(round=Round.behavioral)
    assert all(question.principles for question in behavioral)
    primary = Counter(question.principles[0] for question in behavioral)
    assert set(primary) == set(LEADERSHIP_PRINCIPLES)
    assert min(primary.values()) >= 2, primary


def test_shipped_questions_are_practisable(shipped: QuestionBank) -> None:
    for question in shipped:
        assert 2 <= len(question.signals) <= 4, question.id
        assert 1 <= len(question.follow_ups) <= 2, question.id
        assert question.text.rstrip().endswith((".", "?")), question.id
        assert question.tracks, question.id
        if question.round in (Round.recruiter_screen, Round.ml_breadth):
            assert question.time_budget_s <= 420, question.id
        if question.round is Round.ml_system_design:
            assert question.dimensions, question.id
    assert shipped.filter(track=Track.scientist) and shipped.filter(track=Track.mle)


def test_default_load_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_bank()
    assert load_bank() is first
    assert len(first) == len(load_bank([shipped_questions_dir()]))


# --- principles ---------------------------------------------------------------------------------


def test_sixteen_principles() -> None:
    assert len(LEADERSHIP_PRINCIPLES) == len(set(LEADERSHIP_PRINCIPLES)) == 16


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("ownership", "Ownership"),
        ("ARE RIGHT, A LOT", "Are Right A Lot"),
        ("have backbone, disagree and commit", "Have Backbone; Disagree and Commit"),
        ("Strive to be Earth’s Best Employer", "Strive to be Earth's Best Employer"),
    ],
)
def test_principle_normalisation(given: str, canonical: str) -> None:
    assert canonical_principle(given) == canonical


def test_principles_normalised_on_load(tmp_path: Path) -> None:
    f = write(tmp_path / "b.yaml", {"round": "behavioral", "questions": [q("a", principles=["dive deep", "Dive Deep"])]})
    assert load_bank([f]).get("a").principles == ["Dive Deep"]


def test_unknown_principle_names_file_and_field(tmp_path: Path) -> None:
    f = write(tmp_path / "b.yaml", {"round": "behavioral", "questions": [q("a"), q("b", principles=["Ownership", "Customer Obsesion"])]})
    msg = error_of(f)
    assert str(f) in msg
    assert "questions[1].principles[1]" in msg
    assert "Customer Obsession" in msg  # the suggestion


# --- validation messages ------------------------------------------------------------------------


def test_bad_round_names_file_and_field(tmp_path: Path) -> None:
    f = write(tmp_path / "coding.yaml", {"round": "coding", "questions": [q("a"), q("b"), q("c"), q("d", round="whiteboard")]})
    msg = error_of(f)
    assert msg.startswith(f"{f}: questions[3].round: Input should be 'recruiter_screen'")
    assert "'d'" in msg


def test_bad_default_round(tmp_path: Path) -> None:
    f = write(tmp_path / "x.yaml", {"round": "onsite", "questions": [q("a")]})
    assert error_of(f).startswith(f"{f}: round: Input should be")


def test_missing_round(tmp_path: Path) -> None:
    f = write(tmp_path / "x.yaml", {"questions": [q("a")]})
    assert error_of(f) == f"{f}: questions[0].round: Field required (question 'a')"


def test_missing_text(tmp_path: Path) -> None:
    f = write(tmp_path / "x.yaml", {"round": "coding", "questions": [q("a"), {"id": "b"}]})
    assert error_of(f) == f"{f}: questions[1].text: Field required (question 'b')"


@pytest.mark.parametrize(
    "item, field",
    [
        (q("Bad Id"), "questions[0].id"),
        (q("a", dimensions=["speed"]), "questions[0].dimensions[0]"),
        (q("a", tracks=["researcher"]), "questions[0].tracks[0]"),
        (q("a", time_budget_s=5), "questions[0].time_budget_s"),
        (q("a", colour="red"), "questions[0].colour"),
        ("just a string", "questions[0]"),
    ],
)
def test_field_errors(tmp_path: Path, item: object, field: str) -> None:
    f = write(tmp_path / "x.yaml", {"round": "coding", "questions": [item]})
    assert error_of(f).startswith(f"{f}: {field}: ")


def test_file_shape_errors(tmp_path: Path) -> None:
    assert "expected a mapping" in error_of(write(tmp_path / "a.yaml", "- 1\n- 2\n"))
    assert error_of(write(tmp_path / "b.yaml", "round: coding\n")).startswith(f"{tmp_path / 'b.yaml'}: questions: ")
    assert "unknown top-level key" in error_of(write(tmp_path / "c.yaml", "round: coding\nquestion: []\n"))
    assert "not found" in error_of(tmp_path / "missing.yaml")


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    f = write(tmp_path / "bad.yaml", "round: coding\nquestions:\n  - id: a\n    text: [unclosed\n  - id: b\n")
    msg = error_of(f)
    assert msg.startswith(f"{f}: line ")
    assert int(msg.split("line ")[1].split(":")[0]) >= 4


def test_duplicate_id_within_a_file(tmp_path: Path) -> None:
    f = write(tmp_path / "x.yaml", {"round": "coding", "questions": [q("a"), q("b"), q("a")]})
    assert error_of(f) == f"{f}: questions[2].id: duplicate id 'a' (also questions[0])"


def test_duplicate_id_across_files_names_both(tmp_path: Path) -> None:
    first = write(tmp_path / "bank" / "a.yaml", {"round": "coding", "questions": [q("same")]})
    second = write(tmp_path / "bank" / "b.yaml", {"round": "behavioral", "questions": [q("same")]})
    msg = error_of(tmp_path / "bank")
    assert str(first) in msg and str(second) in msg and "'same'" in msg


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    f = write(tmp_path / "bank" / "a.yaml", {"round": "coding", "questions": [q("a")]})
    assert load_bank([tmp_path / "bank", f]).ids() == ["a"]


def test_shipped_paths_are_shown_relative(tmp_path: Path) -> None:
    # Errors in checkout files read "prompts/questions/coding.yaml: ...", as a user sees the tree.
    from interviewer.bank import display_path

    assert display_path(shipped_questions_dir() / "coding.yaml") == str(Path("prompts/questions/coding.yaml"))
    assert display_path(tmp_path / "x.yaml") == str(tmp_path / "x.yaml")


# --- user folder --------------------------------------------------------------------------------


def test_user_question_overrides_and_extends(_home: Path) -> None:
    shipped = load_bank()
    original = shipped.get("cd-box-iou")
    write(
        _home / "questions" / "mine.yaml",
        {
            "round": "coding",
            "questions": [
                q("cd-box-iou", time_budget_s=600),
                q("my-own", round="behavioral", principles=["frugality"]),
            ],
        },
    )
    bank = load_bank()
    assert bank is not shipped  # the cache noticed the new folder
    assert len(bank) == len(shipped) + 1
    assert bank.get("cd-box-iou").time_budget_s == 600 != original.time_budget_s
    assert bank.source("cd-box-iou") == _home / "questions" / "mine.yaml"
    assert bank.ids().index("cd-box-iou") == shipped.ids().index("cd-box-iou")  # replaced in place
    assert bank.get("my-own").principles == ["Frugality"]


def test_user_folder_errors_name_the_user_file(_home: Path) -> None:
    bad = write(_home / "questions" / "mine.yaml", {"round": "coding", "questions": [{"id": "x"}]})
    with pytest.raises(QuestionBankError, match=r"mine\.yaml: questions\[0\]\.text: Field required"):
        load_bank()
    bad.unlink()
    write(_home / "questions" / "a.yaml", {"round": "coding", "questions": [q("dup")]})
    write(_home / "questions" / "b.yaml", {"round": "coding", "questions": [q("dup")]})
    with pytest.raises(QuestionBankError, match=r"b\.yaml: duplicate question id 'dup' \(already in .*a\.yaml\)"):
        load_bank()


# --- get / filter / pick ------------------------------------------------------------------------


@pytest.fixture
def small() -> QuestionBank:
    def make(qid: str, round: Round, tracks: list[Track], principles: list[str], signals: list[str]) -> Question:
        return Question(id=qid, text=f"Question number {qid.split('-')[1]} about things.", round=round, tracks=tracks,
                        principles=principles, signals=signals)

    both = [Track.scientist, Track.mle]
    return QuestionBank(
        [
            make("sd-one", Round.ml_system_design, both, [], ["asks for latency budget"]),
            make("sd-two", Round.ml_system_design, [Track.mle], ["Frugality"], ["cost per request"]),
            make("sd-three", Round.ml_system_design, [Track.scientist], [], ["offline metric"]),
            make("bh-one", Round.behavioral, both, ["Have Backbone; Disagree and Commit"], ["commits"]),
            make("bh-two", Round.behavioral, both, ["Ownership", "Dive Deep"], ["root cause"]),
        ]
    )


def test_get_unknown_id_suggests(small: QuestionBank) -> None:
    assert small.get("bh-one").id == "bh-one"
    with pytest.raises(QuestionBankError) as info:
        small.get("bh-oen")
    assert str(info.value).startswith(
        "unknown question id 'bh-oen' (see `interviewer questions`); did you mean 'bh-one'"
    )
    with pytest.raises(QuestionBankError, match="did you mean 'sd-one', 'sd-two' or 'sd-three'"):
        small.get("sd-")
    with pytest.raises(QuestionBankError, match=r"^unknown question id 'zzz' \(see `interviewer questions`\)$"):
        small.get("zzz")


def test_basics(small: QuestionBank) -> None:
    assert len(small) == 5
    assert [x.id for x in small] == small.ids()
    assert "sd-two" in small and "nope" not in small
    assert small.rounds() == [Round.ml_system_design, Round.behavioral]
    assert small.count_by_principle()["Frugality"] == 1


def test_filter(small: QuestionBank) -> None:
    ids = lambda qs: [x.id for x in qs]  # noqa: E731
    assert ids(small.filter()) == small.ids()
    assert ids(small.filter(round="ml_system_design")) == ["sd-one", "sd-two", "sd-three"]
    assert ids(small.filter(round="ml-system-design", track="mle")) == ["sd-one", "sd-two"]
    assert ids(small.filter(track=Track.scientist, round=Round.ml_system_design)) == ["sd-one", "sd-three"]
    assert ids(small.filter(principle="backbone")) == ["bh-one"]
    assert ids(small.filter(principle="DIVE deep")) == ["bh-two"]
    assert ids(small.filter(principle="have backbone, disagree")) == ["bh-one"]
    assert ids(small.filter(text="LATENCY")) == ["sd-one"]
    assert ids(small.filter(text="cost request")) == ["sd-two"]  # every word, anywhere
    assert ids(small.filter(text="sd-two")) == []  # ids are not searched
    assert ids(small.filter(text="number two about")) == ["sd-two", "bh-two"]
    assert ids(small.filter(text="question three")) == ["sd-three"]
    assert small.filter(round=Round.coding) == []


def test_filter_rejects_unknown_names(small: QuestionBank) -> None:
    with pytest.raises(QuestionBankError, match="unknown round 'onsite'"):
        small.filter(round="onsite")
    with pytest.raises(QuestionBankError, match="unknown track 'pm'"):
        small.filter(track="pm")
    with pytest.raises(QuestionBankError, match="did you mean 'Frugality'"):
        small.filter(principle="frugalty")


def test_pick_without_repeats_until_exhausted(small: QuestionBank) -> None:
    rng = random.Random(7)
    asked: set[str] = set()
    for _ in range(3):
        picked = small.pick(round=Round.ml_system_design, exclude=asked, rng=rng)
        assert picked.round is Round.ml_system_design and picked.id not in asked
        asked.add(picked.id)
    assert asked == {"sd-one", "sd-two", "sd-three"}
    with pytest.raises(QuestionBankError, match="no questions left for round 'ml_system_design': all 3 already asked"):
        small.pick(round=Round.ml_system_design, exclude=asked, rng=rng)
    with pytest.raises(QuestionBankError, match="no questions for round 'coding'"):
        small.pick(round="coding")


def test_pick_is_reproducible_with_a_seed(small: QuestionBank) -> None:
    def draw(seed: int) -> list[str]:
        rng, asked = random.Random(seed), []
        for _ in range(len(small)):
            asked.append(small.pick(exclude=asked, rng=rng).id)
        return asked

    assert draw(3) == draw(3)
    assert sorted(draw(3)) == sorted(small.ids())
    assert small.pick(track="mle", principle="frugal", rng=random.Random(0)).id == "sd-two"


def test_pick_from_shipped_bank(shipped: QuestionBank) -> None:
    rng, asked = random.Random(1), set()
    for _ in range(12):
        asked.add(shipped.pick(round="behavioral", track="mle", exclude=asked, rng=rng).id)
    assert len(asked) == 12


# --- CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def cli():
    import interviewer.cli  # noqa: F401  (registers every command)
    from interviewer.cli.app import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["questions", *args], env={"COLUMNS": "200"})


def test_cli_lists_a_round(cli) -> None:
    result = cli("--round", "coding")
    assert result.exit_code == 0, result.output
    assert "cd-weighted-random-sampling" in result.output
    assert "round: coding" in result.output
    assert "sd-ads-ranking-100k" not in result.output
    assert "12:00" in result.output


def test_cli_filters_and_json(cli) -> None:
    result = cli("--json", "--principle", "backbone", "--track", "scientist")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data and all(
        any("Backbone" in p for p in item["principles"]) and "scientist" in item["tracks"] for item in data
    )
    result = cli("--search", "cold start", "--round", "ml_system_design")
    assert result.exit_code == 0 and "sd-video-recommendations" in result.output
    result = cli("--search", "no such words anywhere")
    assert result.exit_code == 0 and "no questions match" in result.output


def test_cli_show(cli) -> None:
    result = cli("--show", "sd-ads-ranking-100k")
    assert result.exit_code == 0, result.output
    for part in ("sd-ads-ranking-100k", "ml_system_design", "12:00", "Customer Obsession", "latency",
                 "signals of a strong answer", "follow-ups", "hundred thousand requests"):
        assert part in result.output, part
    shown = json.loads(cli("--show", "cd-box-iou", "--json").stdout)
    assert shown["id"] == "cd-box-iou" and shown["round"] == "coding"


def test_cli_unknown_id_is_one_line_error(cli) -> None:
    result = cli("--show", "sd-ads-ranking")
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown question id 'sd-ads-ranking'" in lines[0]
    assert "did you mean 'sd-ads-ranking-100k'" in lines[0]
    assert result.stdout == ""


def test_cli_reports_a_broken_user_file(cli, _home: Path) -> None:
    write(_home / "questions" / "mine.yaml", "round: coding\nquestions: [\n")
    result = cli()
    assert result.exit_code == 1
    assert "mine.yaml: line" in result.stderr
