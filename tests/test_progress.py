"""Progress across sessions: Leadership Principle coverage, stories, impact sheet, and their CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.bank import LEADERSHIP_PRINCIPLES
from interviewer.cli import app
from interviewer.models import (
    CriterionGrade,
    Grade,
    Question,
    Round,
    SessionMeta,
    SessionStatus,
    Track,
    Transcript,
)
from interviewer.progress import (
    StoryOptions,
    build_coverage,
    claim_conflicts,
    coverage_map,
    impact_sheet,
    load_sessions,
    session_claim_conflicts,
    session_claims,
    write_impact_sheet,
)
from interviewer.settings import load_settings
from interviewer.store import SavedSession, Store, new_session_id

from interviewer.analysis import analyze

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)

Q_DELIVER = Question(
    id="bh-deliver", round=Round.behavioral, principles=["Deliver Results", "Ownership"],
    text="Tell me about a time you delivered an important result under a tight deadline.",
)  # fmt: skip
Q_FRUGAL = Question(
    id="bh-frugal", round=Round.behavioral, principles=["frugality"],
    text="Tell me about a time you saved money through an optimisation nobody asked for.",
)  # fmt: skip
Q_BACKBONE = Question(
    id="bh-backbone", round=Round.behavioral, principles=["Have Backbone; Disagree and Commit", "Ownership"],
    text="Tell me about a time you disagreed with your manager on a technical decision.",
)  # fmt: skip
Q_DESIGN = Question(
    id="sd-ads", round=Round.ml_system_design, principles=["Customer Obsession"],
    text="Design the ads ranking system for a marketplace at 100k requests per second.",
)  # fmt: skip

# Story A, told twice in different words for two different questions.
LATENCY_1 = (
    "At my previous company I owned the ads ranking service. Our P99 latency was 180 milliseconds "
    "against a 100 ms budget, and peak season was six weeks away. I profiled the service and found that "
    "the feature joins took most of the time. I distilled the ranker into a smaller student model "
    "instead of buying a bigger GPU fleet, and I moved the feature joins into a Redis cache. As a result "
    "P99 latency went from 180 milliseconds to 85 milliseconds, and GPU spend dropped by $40k a year."
)
LATENCY_2 = (
    "The ads ranking service I owned had a P99 latency of 180 milliseconds, and the GPU bill kept growing. "
    "Nobody asked me to, but I proposed distilling the ranker into a student model rather than adding GPUs. "
    "I ran the distillation, checked AUC on a held-out week, and moved the feature joins into a Redis cache. "
    "P99 latency went from 180 milliseconds to 85 milliseconds and we saved $40k a year in GPU spend."
)
# Story B.
FRAUD = (
    "Two years ago I was the scientist on the fraud detection team. My manager wanted to launch a deep "
    "model quickly, but I believed the chargeback labels were leaking into the features. I disagreed, "
    "showed him the leakage with a time-based split, and we agreed to delay the launch by two weeks. "
    "I rebuilt the pipeline with point-in-time features. Precision at 1% recall went from 0.42 to 0.58. "
    "We expect another 10% lift next quarter."
)
# Story C: a different story for the same question as story A.
MENTORING = (
    "Last year I mentored a new graduate on our search relevance annotation pipeline. The labelling "
    "guidelines were inconsistent, so I wrote a rubric with worked examples and paired with her on the "
    "first thousand judgements. Inter-annotator agreement went from 0.61 to 0.83 within a month."
)
DESIGN = (
    "Let me assume 100k requests per second and a 50 ms P99 budget. I would use two-tower retrieval "
    "then a gradient boosted ranker, with features from an online feature store."
)
# Story A once more, in a single sentence: few words in common, the same figures.
LATENCY_SHORT = "I cut P99 from 180 milliseconds to 85 milliseconds, which saved $40k a year."


def _grade(overall: float, grader: str = "evidence") -> Grade:
    return Grade(
        grader=grader,  # type: ignore[arg-type]
        rubric_id="behavioral",
        model=None if grader == "evidence" else "m",
        criteria=[CriterionGrade(criterion="metrics", score=round(overall), rationale="test")],
        overall=overall,
    )


def _session(
    store: Store, question: Question, text: str | None, days_ago: float, *grades: Grade
) -> SavedSession:
    when = NOW - timedelta(days=days_ago)
    meta = SessionMeta(
        id=new_session_id(when), created_at=when, question=question, status=SessionStatus.recorded,
        track=Track.scientist, source="text",
    )  # fmt: skip
    saved = store.create(meta)
    if text is not None:
        transcript = Transcript.from_text(text)
        store.save_transcript(saved, transcript)
        store.save_evidence(saved, analyze(transcript, question))
    for g in grades:
        store.add_grade(saved, g)
    return saved


@pytest.fixture
def store() -> Store:
    return Store(load_settings().sessions_dir)  # INTERVIEWER_HOME/recordings, per test


@pytest.fixture
def practised(store: Store) -> dict[str, SavedSession]:
    """Six sessions: story A told twice, story B, story C, a design answer, an untranscribed one."""
    return {
        "a1": _session(store, Q_DELIVER, LATENCY_1, 9, _grade(3.0)),
        "a2": _session(store, Q_FRUGAL, LATENCY_2, 7, _grade(2.0), _grade(4.5, "llm")),
        "b": _session(store, Q_BACKBONE, FRAUD, 5, _grade(4.0)),
        "design": _session(store, Q_DESIGN, DESIGN, 3, _grade(3.5)),
        "c": _session(store, Q_DELIVER, MENTORING, 2, _grade(2.5)),
        "recorded": _session(store, Q_BACKBONE, None, 1),
    }


# --- coverage ------------------------------------------------------------------------------------


def test_story_reused_across_questions_is_one_story(store: Store, practised: dict[str, SavedSession]) -> None:
    cov = coverage_map(store)
    ids = {k: s.meta.id for k, s in practised.items()}
    assert [s.session_ids for s in cov.stories] == [[ids["a1"], ids["a2"]], [ids["b"]], [ids["c"]]]
    assert [s.id for s in cov.stories] == ["S1", "S2", "S3"]
    a = cov.stories[0]
    assert a.principles == ["Ownership", "Frugality", "Deliver Results"]  # canonical names, canonical order
    assert a.best == 4.5 and a.latest == 4.5  # the LLM grade is preferred over the evidence one
    assert {"redis", "ranker", "gpu", "latency"} & set(a.keywords)
    by_id = {s.id: s for s in cov.sessions}
    assert by_id[ids["design"]].story_id is None  # a design is not a story
    assert by_id[ids["recorded"]].story_id is None  # nothing to read yet


def test_coverage_map_per_principle(store: Store, practised: dict[str, SavedSession]) -> None:
    cov = coverage_map(store)
    assert [r.principle for r in cov.principles] == list(LEADERSHIP_PRINCIPLES)
    rows = {r.principle: r for r in cov.principles}
    ids = {k: s.meta.id for k, s in practised.items()}

    deliver = rows["Deliver Results"]
    assert deliver.session_ids == [ids["a1"], ids["c"]]
    assert deliver.story_ids == ["S1", "S3"] and deliver.status == "ready"
    assert deliver.best == 3.0 and deliver.latest == 2.5

    ownership = rows["Ownership"]
    assert ownership.story_ids == ["S1", "S2", "S3"] and ownership.status == "ready"
    assert ownership.best == 4.0

    assert rows["Frugality"].story_ids == ["S1"] and rows["Frugality"].status == "practised"
    backbone = rows["Have Backbone; Disagree and Commit"]
    assert backbone.session_ids == [ids["b"], ids["recorded"]] and backbone.story_ids == ["S2"]
    assert backbone.latest == 4.0  # the newest session has no grade yet

    # Probed by a design question only: practised, but no story to tell.
    customer = rows["Customer Obsession"]
    assert customer.session_ids == [ids["design"]] and customer.story_ids == [] and customer.status == "missing"
    assert customer.best == 3.5

    assert rows["Think Big"].session_ids == [] and rows["Think Big"].best is None
    assert set(cov.missing) == set(LEADERSHIP_PRINCIPLES) - {
        "Deliver Results", "Ownership", "Frugality", "Have Backbone; Disagree and Commit",
    }  # fmt: skip


def test_different_stories_for_one_question_stay_apart(store: Store) -> None:
    _session(store, Q_DELIVER, LATENCY_1, 3)
    _session(store, Q_DELIVER, MENTORING, 2)
    _session(store, Q_DELIVER, FRAUD, 1)
    assert len(coverage_map(store).stories) == 3


def test_shared_quantified_claims_make_one_story(store: Store) -> None:
    # Few words in common, the same two figures: still the same story.
    _session(store, Q_DELIVER, LATENCY_1, 2)
    _session(store, Q_FRUGAL, LATENCY_SHORT, 1)
    strict = StoryOptions(min_shared_tokens=50)
    assert len(build_coverage(load_sessions(store), strict).stories) == 1
    assert len(build_coverage(load_sessions(store), strict.model_copy(update={"min_shared_claims": 10})).stories) == 2


def test_empty_store_has_every_principle_missing(store: Store) -> None:
    cov = coverage_map(store)
    assert cov.stories == [] and cov.sessions == []
    assert cov.missing == list(LEADERSHIP_PRINCIPLES)


# --- impact sheet --------------------------------------------------------------------------------


def _section(sheet: str, heading: str) -> str:
    start = sheet.index(heading)
    nxt = sheet.find("\n## ", start + 1)
    return sheet[start : nxt if nxt != -1 else len(sheet)]


def test_impact_sheet_groups_claims_by_story(store: Store, practised: dict[str, SavedSession]) -> None:
    sheet = impact_sheet(store)
    assert sheet.startswith("# Impact sheet\n")
    headings = [line for line in sheet.splitlines() if line.startswith("## ")]
    assert [h.split(":")[0] for h in headings] == ["## S1", "## S2", "## S3"]

    a = _section(sheet, "## S1")
    assert "Leadership Principles: Ownership, Frugality, Deliver Results" in a
    assert a.count("\n### ") == 2  # two tellings, newest first
    assert a.index(Q_FRUGAL.text) < a.index(Q_DELIVER.text)
    assert "score 4.5" in a and "score 3.0" in a
    assert "· behavioral ·" in a
    assert "**180 ms -> 85 ms**" in a and "**$40k**" in a
    assert "went from 180 milliseconds to 85 milliseconds" in a  # the sentence the claim came from
    assert "2025-03-01" in a  # the first telling's date

    b = _section(sheet, "## S2")
    assert "0.42" in b and "0.58" in b and "180" not in b
    assert "We expect another 10% lift next quarter. _(projected or target" in b

    assert "100k" not in sheet and "50 ms" not in sheet  # design estimates are not claims


def test_session_claims_place_each_figure_in_its_sentence(store: Store, practised: dict[str, SavedSession]) -> None:
    claims = session_claims(load_sessions(store)[0])
    assert [c.sentence.split()[:3] for c in claims] == [
        ["Our", "P99", "latency"], ["As", "a", "result"],
    ]  # fmt: skip
    first, result = claims
    assert first.figures[:2] == ["180 milliseconds", "100 ms"]
    # The pair's two sides are not listed again as loose numbers.
    assert result.figures[0] == "180 ms -> 85 ms" and "180 milliseconds" not in result.figures
    assert "$40k" in result.figures and not result.projected


def test_impact_sheet_without_claims(store: Store) -> None:
    _session(store, Q_DESIGN, DESIGN, 1)
    sheet = impact_sheet(store)
    assert sheet.startswith("# Impact sheet") and "No quantified claims yet" in sheet


def test_story_without_a_number_is_listed(store: Store) -> None:
    _session(store, Q_DELIVER, LATENCY_1, 2)
    _session(store, Q_BACKBONE, "I disagreed with my manager about the launch plan and I wrote a memo about the risks.", 1)
    sheet = impact_sheet(store)
    assert "## Stories without a number" in sheet
    assert "- S2:" in _section(sheet, "## Stories without a number")


def test_write_impact_sheet(store: Store, practised: dict[str, SavedSession], tmp_path: Path) -> None:
    out = write_impact_sheet(store, tmp_path / "prep" / "impact.md")
    assert out.read_text(encoding="utf-8") == impact_sheet(store)


# --- CLI -----------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_coverage_table(practised: dict[str, SavedSession]) -> None:
    result = runner.invoke(app, ["coverage"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Leadership Principle coverage" in out
    for principle in LEADERSHIP_PRINCIPLES:
        assert principle in out
    assert "missing" in out and "ready" in out and "practised" in out
    assert "S1" in out and "no practised story" in out


def test_cli_coverage_json(practised: dict[str, SavedSession]) -> None:
    result = runner.invoke(app, ["coverage", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["principles"]) == 16
    rows = {r["principle"]: r for r in data["principles"]}
    assert rows["Frugality"]["status"] == "practised" and rows["Frugality"]["best"] == 4.5
    assert "Customer Obsession" in data["missing"]
    assert [s["id"] for s in data["stories"]] == ["S1", "S2", "S3"]


def test_cli_coverage_with_no_sessions() -> None:
    result = runner.invoke(app, ["coverage"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "16 of 16" in result.output and "No sessions yet" in result.output


def test_cli_impact_sheet_prints_markdown(practised: dict[str, SavedSession]) -> None:
    result = runner.invoke(app, ["impact-sheet"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Impact sheet") and "## S1:" in result.output


def test_cli_impact_sheet_to_file(practised: dict[str, SavedSession], tmp_path: Path) -> None:
    target = tmp_path / "sheet.md"
    result = runner.invoke(app, ["impact-sheet", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "impact sheet written to" in result.output
    assert target.read_text(encoding="utf-8").startswith("# Impact sheet")


def test_cli_impact_sheet_unwritable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = runner.invoke(app, ["impact-sheet", "--output", str(blocker / "sheet.md")])
    assert result.exit_code == 1
    assert "cannot write the impact sheet" in result.output


# --- consistency of claims across tellings ---------------------------------------------------------


LATENCY_RETOLD = LATENCY_2.replace("went from 180 milliseconds to 85", "went from 150 milliseconds to 85")


def test_a_story_retold_with_another_figure_is_a_conflict(store: Store) -> None:
    first = _session(store, Q_DELIVER, LATENCY_1, 9, _grade(3.0))
    second = _session(store, Q_FRUGAL, LATENCY_RETOLD, 2, _grade(3.0))
    _session(store, Q_BACKBONE, FRAUD, 5, _grade(4.0))
    conflicts = claim_conflicts(load_sessions(store))
    assert len(conflicts) == 1
    c = conflicts[0]
    assert (c.earlier.session_id, c.later.session_id) == (first.meta.id, second.meta.id)
    assert (c.earlier.figure, c.later.figure) == ("180 ms -> 85 ms", "150 ms -> 85 ms")
    assert c.note.startswith("before: 180 ms on ") and "after: 85 ms both times" in c.note
    assert session_claim_conflicts(store, second.meta.id) == conflicts
    sheet = impact_sheet(store)
    assert "## Figures that changed between tellings" in sheet
    assert "**180 ms -> 85 ms**" in sheet.split("## Figures that changed")[1]


def test_the_same_figures_told_again_are_no_conflict(practised: dict[str, SavedSession], store: Store) -> None:
    assert claim_conflicts(load_sessions(store)) == []
    assert "Figures that changed" not in impact_sheet(store)
