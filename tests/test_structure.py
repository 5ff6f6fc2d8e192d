"""Structure and judgement measurements (STAR, trade-offs, complexity, rigor, edge cases, up front)
and the evidence-only grade that reads them: measured once by the analyzer, saved in Evidence."""

from __future__ import annotations

import pytest

from interviewer.analysis import analyze, sentence_spans
from interviewer.grading.evidence import EvidenceGrader, complexity_value, evidence_metrics, star_value
from interviewer.models import Evidence, Question, Round, Transcript
from interviewer.rubric import get_rubric


def ev(text: str, question: Question | None = None) -> Evidence:
    return analyze(Transcript.from_text(text), question)


def _q(round_: Round) -> Question:
    return Question(id="q-test", text="A question long enough to validate.", round=round_)


STAR = (
    "At my previous company I was the tech lead for ads ranking. "
    "My task was to get P99 latency under 100 ms before peak season. "
    "I profiled the service and I rewrote the feature joins. "
    "As a result, P99 latency went from 180 ms to 85 ms."
)


def test_star_parts_in_a_full_story() -> None:
    e = ev(STAR)
    star = e.structure.star
    assert star.present == ["situation", "task", "action", "result"]
    assert star.situation and star.situation.quote.startswith("At my previous company")
    assert star.action and star.action.quote == "I profiled the service and I rewrote the feature joins."
    assert [f.quote for f in star.quantified_results] == ["As a result, P99 latency went from 180 ms to 85 ms."]
    assert star_value(e) == 5


def test_star_parts_without_result_or_number() -> None:
    e = ev("We usually work in sprints. I think communication is key. I would talk to the team.")
    assert e.structure.star.present == [] and star_value(e) == 0
    vague = ev("Back in 2021 our model was slow. I rewrote the serving layer. In the end it was much faster.")
    assert vague.structure.star.present == ["situation", "action", "result"]
    assert vague.structure.star.missing == ["task"]
    assert vague.structure.star.quantified_results == [] and star_value(vague) == 3


def test_star_result_and_action_come_from_impact_and_ownership() -> None:
    star = ev("The model was slow. We added a cache. Latency dropped from 180 ms to 85 ms.").structure.star
    assert star.result and star.result.quote == "Latency dropped from 180 ms to 85 ms."
    assert star.action and star.action.quote == "We added a cache."
    assert [f.quote for f in star.quantified_results] == ["Latency dropped from 180 ms to 85 ms."]


def test_tradeoff_sentences() -> None:
    text = (
        "I used a two-tower model instead of a cross-encoder. It is cheaper but it costs two points of recall. "
        "Batch features versus streaming features is the other trade-off. Then we shipped it. "
        "On the other hand, a bigger model would win on quality at the cost of latency."
    )
    found = [f.quote for f in ev(text).structure.tradeoffs]
    assert len(found) == 4
    assert "Then we shipped it." not in found
    assert ev("I built it. It worked.").structure.tradeoffs == []


@pytest.mark.parametrize(
    ("text", "kinds", "classes"),
    [
        ("Sorting makes it O(n log n) time and O(1) extra space.", ["time", "space"], ["nlogn", "1"]),
        ("It's big O of n log n overall.", ["time"], ["nlogn"]),
        ("The lookup is O of one and it uses O(k) memory.", ["time", "space"], ["1", "k"]),
        ("That's linear time but constant space.", ["time", "space"], ["n", "1"]),
        ("The space complexity is O(n).", ["space", "space"], ["n", None]),
        ("The brute force is O(n^2), the heap is order n log k.", ["time", "time"], ["n^2", "nlogk"]),
    ],
)
def test_complexity_statements(text: str, kinds: list[str], classes: list[str | None]) -> None:
    found = ev(text).structure.complexity
    assert sorted(s.kind for s in found) == sorted(kinds)
    assert sorted(map(str, (s.cls for s in found))) == sorted(map(str, classes))


def test_complexity_value_and_false_friends() -> None:
    assert complexity_value(ev("Brute force is O(n^2). With sorting it's O(n log n) time and O(n) space.")) == 3
    assert complexity_value(ev("It runs in linear time.")) == 1
    assert ev("In order to ship, I ordered the GPUs. O'Brien helped. Oh (really) nice.").structure.complexity == []


def test_rigor_concepts_counted_once_each() -> None:
    text = (
        "We beat the baseline by two points. I ran an ablation on each feature group. "
        "I checked for leakage with a time-based split and a held-out month. "
        "The A/B test had tight confidence intervals. Another baseline was logistic regression."
    )
    found = {f.detail: f.quote for f in ev(text).structure.rigor}
    assert set(found) == {
        "baseline", "ablation", "leakage check", "held-out evaluation", "online experiment", "significance",
    }  # fmt: skip
    assert found["baseline"] == "We beat the baseline by two points."
    assert ev("I trained a model and it was good.").structure.rigor == []


def test_edge_case_sentences() -> None:
    text = "First the main loop. If the list is empty we return zero. Let me trace it on [3, 1]. Boxes that do not overlap give an IoU of zero."
    assert [f.quote for f in ev(text).structure.edge_cases] == [
        "If the list is empty we return zero.", "Let me trace it on [3, 1].",
        "Boxes that do not overlap give an IoU of zero.",
    ]  # fmt: skip


def test_upfront_clarifications_only_count_the_opening() -> None:
    text = "What is the QPS? " + "Then the design goes on for a while. " * 10 + "Do we have labels?"
    e = ev(text)
    assert [f.quote for f in e.structure.upfront] == ["What is the QPS?"]
    assert evidence_metrics(e)["clarifying.upfront"] == 1
    assert evidence_metrics(e)["clarifying.count"] == 2


def test_sentence_spans_keep_abbreviations_and_decimals() -> None:
    text = "AUC went from 0.81 to 0.86, i.e. a real gain. XGBoost vs. LightGBM! Done"
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "AUC went from 0.81 to 0.86, i.e. a real gain.", "XGBoost vs. LightGBM!", "Done",
    ]  # fmt: skip


def test_structure_is_saved_with_the_evidence() -> None:
    e = ev(STAR + " I used a cache instead of more GPUs.")
    again = Evidence.model_validate_json(e.model_dump_json())
    assert again == e and again.structure.tradeoffs and again.structure.star.task


# --- the evidence-only grade reads only the evidence ---------------------------------------------


def test_evidence_grader_scores_coding_criteria() -> None:
    text = (
        "Can I assume the weights are positive? I build prefix sums, then binary search, so sampling is "
        "O(log n) time and O(n) space, instead of the O(n) linear scan. Let me test it with a single element "
        "and with zero weights."
    )
    t = Transcript.from_text(text)
    grade = EvidenceGrader().grade(_q(Round.coding), get_rubric("coding"), t, analyze(t))
    scores = {c.criterion: c.score for c in grade.criteria}
    assert "correctness" not in scores  # LLM-only
    assert scores["complexity"] == 5 and scores["edge_cases"] == 2 and scores["tradeoffs"] == 2
    complexity = next(c for c in grade.criteria if c.criterion == "complexity")
    assert "O(logn)" in complexity.rationale and "space: O(n)" in complexity.rationale
    assert complexity.quotes and complexity.improvement is None


def test_evidence_grader_advises_on_missing_star_parts() -> None:
    t = Transcript.from_text("Back in 2021 our model was slow. I rewrote the serving layer. In the end it was much faster.")
    grade = EvidenceGrader().grade(_q(Round.behavioral), get_rubric("behavioral"), t, analyze(t))
    structure = next(c for c in grade.criteria if c.criterion == "structure")
    assert structure.score == 3
    assert "missing: task" in structure.rationale
    assert structure.improvement and "missing here: task" in structure.improvement


def test_evidence_grader_does_not_read_the_transcript() -> None:
    t = Transcript.from_text(STAR)
    e = analyze(t, _q(Round.behavioral))
    rubric = get_rubric("behavioral")
    with_text = EvidenceGrader().grade(_q(Round.behavioral), rubric, t, e)
    other_text = EvidenceGrader().grade(_q(Round.behavioral), rubric, Transcript.from_text("Nothing."), e)
    assert with_text.criteria == other_text.criteria
