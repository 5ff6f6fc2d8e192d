"""The mock loop: plan, draw without repeats, follow-ups, resume after Ctrl-C, report, CLI.

Answers are text files (no Whisper), so the whole loop runs in a few seconds; the demo source is
checked with a fake transcriber.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.bank import LEADERSHIP_PRINCIPLES, QuestionBank, load_bank
from interviewer.errors import QuestionBankError
from interviewer.followups import (
    LLMProbes,
    choose_probes,
    follow_up_count,
    follow_up_question,
)
from interviewer.analysis import analyze
from interviewer.loop import (
    LOOP_ROUNDS,
    AnswerRequest,
    DemoAnswers,
    FileAnswers,
    LoopError,
    LoopOptions,
    LoopPaused,
    LoopReport,
    LoopRunner,
    NoAnswer,
    find_loop,
    hire_verdict,
    plan_loop,
    plan_rounds,
    principle_coverage,
    report_path,
    stories_reused,
    start_loop,
    state_path,
)
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
from interviewer.practice import AnswerInterrupted
from interviewer.session import Outcome, SessionService
from interviewer.settings import load_settings
from interviewer.store import SavedSession

sys.path.insert(0, str(Path(__file__).parent))

# A STAR story about one project, told (with variations) in several rounds: the loop report should
# see it reused. Distinctive words: re-ranker, distillation, embeddings cache, 180 -> 85 ms.
STORY = (
    "Last year I led the search re-ranker rewrite. My assumption was about 2,000 requests per second "
    "on CPU serving. I profiled the serving path and found the embeddings lookup took most of the time, "
    "so I batched it and added an embeddings cache, and I ran a distillation of the re-ranker from twelve "
    "layers to four. P99 latency went from 180 ms to 85 ms and serving cost dropped by 35 percent, "
    "instead of buying more hardware at the cost of budget. I checked NDCG against the baseline on a "
    "held-out set before the launch."
)
DESIGN = (
    "My assumption is 100k requests per second at peak with a P99 budget of 80 ms and the target metric "
    "is click-through rate. What is the cost ceiling? I would use a two-stage funnel: retrieval with "
    "embeddings, then a gradient boosted ranker, trading a little accuracy for latency instead of a large "
    "model. The feature store keeps offline and online features point-in-time correct."
)
FOLLOW = "I personally wrote the batching code and I measured P99 on the load test: 180 ms before, 85 ms after."


@pytest.fixture
def service() -> SessionService:
    return SessionService(load_settings(llm={"enabled": "off"}))


def write_answers(folder: Path, per_round: int = 1, follow_ups: int = 2) -> Path:
    """In-order answer files: 01.txt ... and 01-fu1.txt ... for the follow-ups; design answers
    for the breadth, design and coding rounds, the same story everywhere else."""
    folder.mkdir(parents=True, exist_ok=True)
    rounds = [r for r in LOOP_ROUNDS for _ in range(per_round)]
    for n, round_ in enumerate(rounds, start=1):
        design = round_ in (Round.ml_breadth, Round.ml_system_design, Round.coding)
        (folder / f"{n:02d}.txt").write_text(DESIGN if design else STORY, encoding="utf-8")
        for k in range(1, follow_ups + 1):
            (folder / f"{n:02d}-fu{k}.txt").write_text(FOLLOW, encoding="utf-8")
    return folder


class Recording:
    """Wraps a source: records what was asked, and can interrupt once at (position, follow-up)."""

    def __init__(self, inner, *, at: tuple[int, int] | None = None, kind: str = "keyboard") -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.label = inner.label
        self.at = at
        self.kind = kind
        self.asked: list[str] = []

    def answer(self, service: SessionService, request: AnswerRequest) -> Outcome:
        self.asked.append(request.question.id)
        if self.at == (request.position, request.follow_up):
            self.at = None
            if self.kind == "keyboard":
                raise KeyboardInterrupt
            saved = service.start_recorded(request.question, track=request.track, source="mic")
            service.store.update_meta(saved, finished=False, duration_s=12.0)
            raise AnswerInterrupted(saved)
        return self.inner.answer(service, request)


# --- the plan ----------------------------------------------------------------------------------


@pytest.mark.parametrize("track", list(Track))
def test_plan_has_every_round_with_its_clock(track: Track) -> None:
    rounds = plan_rounds(track)
    assert [r.round for r in rounds] == list(LOOP_ROUNDS) == [
        Round.recruiter_screen, Round.technical_screen, Round.ml_depth, Round.ml_breadth,
        Round.ml_system_design, Round.coding, Round.behavioral,
    ]
    stages = {r.round: r.stage for r in rounds}
    assert stages[Round.recruiter_screen] == stages[Round.technical_screen] == "Phone screen"
    assert stages[Round.ml_depth] == "Deep dive"
    assert {stages[r] for r in (Round.ml_breadth, Round.ml_system_design, Round.coding, Round.behavioral)} == {"Onsite"}
    minutes = {r.round: r.minutes for r in rounds}
    assert minutes[Round.recruiter_screen] == 30 and all(minutes[r] == 60 for r in LOOP_ROUNDS[1:])
    assert "Bar Raiser" in rounds[-1].title

    state = plan_loop(LoopOptions(track=track, questions_per_round=2, seed=3))
    assert len(state.items) == 14 and state.position == 0 and not state.asked
    for r in LOOP_ROUNDS:
        qs = [i.question for i in state.items_in(r)]
        assert len(qs) == 2 and all(q.round == r and track in q.tracks for q in qs)
        assert all(q.time_budget_s == load_bank().get(q.id).time_budget_s for q in qs), "the question's own clock"


def test_plan_differs_by_track_and_honours_a_budget_override() -> None:
    sci, mle = plan_rounds(Track.scientist), plan_rounds(Track.mle)
    depth = {r.round: r.focus for r in sci}[Round.ml_depth], {r.round: r.focus for r in mle}[Round.ml_depth]
    assert "rigor" in depth[0] and "shipped" in depth[1]
    state = plan_loop(LoopOptions(track=Track.mle, seed=1), time_budget_s=300)
    assert {i.question.time_budget_s for i in state.items} == {300}


def test_questions_are_drawn_without_repeats_and_repeatably() -> None:
    a = plan_loop(LoopOptions(track=Track.scientist, questions_per_round=3, seed=42))
    ids = [i.question.id for i in a.items]
    assert len(ids) == len(set(ids)) == 21
    b = plan_loop(LoopOptions(track=Track.scientist, questions_per_round=3, seed=42))
    assert [i.question.id for i in b.items] == ids, "same seed, same loop"
    c = plan_loop(LoopOptions(track=Track.scientist, questions_per_round=3, seed=43))
    assert [i.question.id for i in c.items] != ids
    unseeded = plan_loop(LoopOptions(track=Track.mle))
    assert unseeded.options.seed is not None, "the seed is stored so the plan can be repeated"


def test_a_round_with_too_few_questions_is_a_clear_error() -> None:
    bank = QuestionBank([
        Question(id=f"q-{r.value}", text=f"A question for the {r.value} round.", round=r) for r in Round
    ])
    assert len(plan_loop(LoopOptions(seed=1), bank=bank).items) == 7
    with pytest.raises(QuestionBankError, match="no questions left"):
        plan_loop(LoopOptions(questions_per_round=2, seed=1), bank=bank)


# --- follow-ups --------------------------------------------------------------------------------

BEHAVIORAL = Question(
    id="bh-test", text="Tell me about a time you shipped something under a deadline.", round=Round.behavioral,
    principles=["Deliver Results"], dimensions=["timeline"], follow_ups=["What would you do differently?"],
)
DESIGN_Q = Question(
    id="sd-test", text="Design a fraud detection system for card payments.", round=Round.ml_system_design,
    dimensions=["latency", "scale", "metric"], follow_ups=["How do you handle label delay?"],
)


def probes_for(question: Question, text: str, count: int = 3, grade: Grade | None = None):  # type: ignore[no-untyped-def]
    return choose_probes(question, analyze(Transcript.from_text(text), question), grade, count=count)


def test_we_without_i_and_no_numbers_are_probed_first() -> None:
    text = "We built a new pipeline. We decided to ship it early. It improved the model a lot."
    probes = probes_for(BEHAVIORAL, text)
    assert probes == probes_for(BEHAVIORAL, text), "deterministic"
    assert probes[0].text.startswith('You said "We built a new pipeline') and "personally" in probes[0].text
    assert probes[0].reason == "actions told as 'we', none as 'I'"
    assert "By how much" in probes[1].text and "improved the model a lot" in probes[1].text
    assert probes[2].reason == "hidden assumption: timeline" and probes[2].dimensions == ["timeline"]
    assert all(p.source == "evidence" for p in probes)


def test_hidden_assumptions_in_a_design_become_probes_one_per_family() -> None:
    text = "I would use a gradient boosted model on transaction features, with rules in front of it."
    probes = probes_for(DESIGN_Q, text, count=3)
    assert "P99 latency budget" in probes[0].text and probes[0].dimensions == ["latency"]
    assert probes[0].reason == "hidden assumption: latency"
    # One hidden assumption is enough: the next probe is the question's own follow-up.
    assert [p.source for p in probes] == ["evidence", "question"]
    assert probes[1].text == "How do you handle label delay?"
    # "we" in a design answer is the hypothetical team: not an ownership gap.
    assert not any("personally" in p.text for p in probes_for(DESIGN_Q, "We would shard the features. " + text))


def test_a_complete_answer_falls_back_to_the_questions_own_follow_ups() -> None:
    text = ("My assumption is 10k QPS at peak, a P99 latency of 50 ms, and the metric is fraud caught at a 1 % "
            "false positive rate. I would start with rules, then trees.")
    probes = probes_for(DESIGN_Q, text, count=1)
    assert [(p.source, p.text) for p in probes] == [("question", "How do you handle label delay?")]
    assert choose_probes(DESIGN_Q, None, count=2, asked={"How do you handle label delay?"}) == []


def test_low_criteria_of_the_evidence_grade_become_probes() -> None:
    coding = Question(id="cd-test", text="Merge k sorted lists and explain your approach.", round=Round.coding)
    grade = Grade(grader="evidence", rubric_id="coding", overall=2.0, criteria=[
        CriterionGrade(criterion="complexity", score=1, rationale="time: not stated"),
        CriterionGrade(criterion="edge_cases", score=2, rationale="none"),
        CriterionGrade(criterion="delivery", score=5, rationale="fine"),
    ])
    probes = probes_for(coding, "I use a heap of the list heads and pop the smallest each time.", grade=grade)
    assert probes[0].text.startswith("What are the time and space complexity")
    assert probes[0].source == "grade" and probes[0].reason == "complexity scored 1/5"


def test_follow_up_count_and_question() -> None:
    assert follow_up_count(2.9) == 2 and follow_up_count(3.0) == 1 and follow_up_count(None) == 1
    assert follow_up_count(1.0, limit=1) == 1 and follow_up_count(4.0, limit=0) == 0
    probe = probes_for(DESIGN_Q, "I would use trees.")[0]
    q = follow_up_question(DESIGN_Q, probe, 2)
    assert q.id == "sd-test-fu2" and q.round == Round.ml_system_design and q.text == probe.text
    assert q.dimensions == ["latency"] and q.time_budget_s == 180 and not q.follow_ups


def test_llm_probes_use_the_graders_client_and_fall_back(tmp_path: Path) -> None:
    from fake_openai import FakeOpenAI, chat

    from interviewer.grading.llm import Endpoint, LLMGrader
    from interviewer.settings import LLMSettings

    server = FakeOpenAI().start()
    try:
        grader = LLMGrader(LLMSettings(enabled="on", timeout_s=2.0, max_retries=0),
                           Endpoint(base_url=server.base_url, model="fake-model"))
        gen = LLMProbes(grader)
        text = "We built a rules engine and then a model. It worked well."
        transcript = Transcript.from_text(text)
        evidence = analyze(transcript, DESIGN_Q)
        server.enqueue(chat({"follow_ups": [{"text": "What was the false positive rate at launch?", "gap": "no numbers"},
                                            {"text": "short", "gap": "x"}]}))
        probes, note = gen.probes(DESIGN_Q, transcript, evidence, None, count=2, asked=set())
        assert note is None
        assert [(p.source, p.text, p.reason) for p in probes] == [
            ("llm", "What was the false positive rate at launch?", "no numbers")
        ]
        prompt = server.chat_requests[0].prompt
        assert "<transcript>\nWe built a rules engine" in prompt and "hidden assumption: latency" in prompt
        assert server.chat_requests[0].body["model"] == "fake-model"
        # No reply scripted: the fake server answers 500 and the evidence gaps are used instead.
        probes, note = gen.probes(DESIGN_Q, transcript, evidence, None, count=1, asked=set())
        assert probes[0].source == "evidence" and "P99" in probes[0].text
        assert note and "LLM follow-ups unavailable" in note
        grader.close()
    finally:
        server.stop()


# --- answer sources ----------------------------------------------------------------------------


def test_file_answers_by_id_then_in_order(tmp_path: Path) -> None:
    (tmp_path / "sd-test.txt").write_text(DESIGN)
    (tmp_path / "sd-test-fu1.txt").write_text(FOLLOW)
    (tmp_path / "a.txt").write_text(STORY)
    (tmp_path / "a-fu1.md").write_text(FOLLOW)
    (tmp_path / "b.txt").write_text(STORY)
    (tmp_path / "notes.json").write_text("{}")
    src = FileAnswers(tmp_path, question_ids=["sd-test"])
    assert [p.name for p in src.in_order] == ["a.txt", "b.txt"]
    fu = Question(id="sd-test-fu1", text="What was the P99 budget?", round=Round.ml_system_design)
    assert src.find(AnswerRequest(DESIGN_Q, None, position=5)).name == "sd-test.txt"
    assert src.find(AnswerRequest(fu, None, position=5, follow_up=1)).name == "sd-test-fu1.txt"
    assert src.find(AnswerRequest(BEHAVIORAL, None, position=0)).name == "a.txt"
    other = Question(id="bh-test-fu1", text="What did you personally do?", round=Round.behavioral)
    assert src.find(AnswerRequest(other, None, position=0, follow_up=1)).name == "a-fu1.md"
    with pytest.raises(NoAnswer, match="follow-up 1"):
        src.find(AnswerRequest(other, None, position=1, follow_up=1))
    with pytest.raises(NoAnswer, match="question bh-test"):
        src.find(AnswerRequest(BEHAVIORAL, None, position=2))
    with pytest.raises(LoopError, match="answers folder not found"):
        FileAnswers(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoopError, match="no answer files"):
        FileAnswers(tmp_path / "empty")


class FakeTranscriber:
    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, path: Path, *, progress=None) -> Transcript:  # type: ignore[no-untyped-def]
        self.calls += 1
        return Transcript(text=STORY, duration_s=100.0, source="audio", model="fake")


def test_demo_answer_is_transcribed_once_and_reused() -> None:
    fake = FakeTranscriber()
    service = SessionService(load_settings(llm={"enabled": "off"}), transcriber=fake)
    demo = DemoAnswers()
    first = demo.answer(service, AnswerRequest(BEHAVIORAL, Track.mle, position=0))
    second = demo.answer(service, AnswerRequest(DESIGN_Q, Track.mle, position=1))
    assert fake.calls == 1
    for outcome in (first, second):
        saved = service.store.load(outcome.saved.meta.id)
        assert saved.meta.source == "demo" and saved.audio_path and saved.audio_path.is_file()
        assert saved.transcript and saved.transcript.text == STORY and saved.grades
    assert second.saved.meta.question.id == "sd-test"


# --- running, interrupting, resuming ---------------------------------------------------------------


def run_loop(service: SessionService, source, state, **kw) -> LoopReport:  # type: ignore[no-untyped-def]
    return LoopRunner(service, source, break_s=0, **kw).run(state)


def test_ctrl_c_at_question_k_then_resume_continues_there(service: SessionService, tmp_path: Path) -> None:
    answers = FileAnswers(write_answers(tmp_path / "answers"), load_bank().ids())
    state = start_loop(service, LoopOptions(track=Track.mle, seed=7, break_s=0))
    root = service.store.root
    assert state_path(root, state.id).is_file()
    k = 3
    first = Recording(answers, at=(k, 0), kind="keyboard")
    with pytest.raises(LoopPaused) as paused:
        run_loop(service, first, state)
    assert paused.value.exit_code == 130 and f"--resume {state.id}" in (paused.value.hint or "")

    saved_state = find_loop(root, "last")
    assert saved_state.id == state.id and saved_state.position == k
    assert all(i.status == "answered" and i.done for i in saved_state.items[:k])
    assert saved_state.items[k].status == "pending" and saved_state.items[k].session_id is None
    main_ids = [i.question.id for i in saved_state.items]
    assert first.asked[-1] == main_ids[k]

    second = Recording(answers)
    report = run_loop(service, second, find_loop(root, state.id[:12]))
    assert second.asked[0] == main_ids[k], "resumes at the interrupted question"
    assert not set(main_ids[:k]) & set(second.asked), "answered questions are not asked again"
    assert [r.round for r in report.rounds] == list(LOOP_ROUNDS) and report.complete

    final = find_loop(root, state.id)
    assert final.finished and final.finished_at is not None
    for item in final.items:
        main = service.store.load(item.session_id)  # type: ignore[arg-type]
        assert main.meta.loop_id == state.id and main.meta.parent_id is None
        assert item.follow_ups, "every answer is probed at least once"
        for fu in item.follow_ups:
            assert fu.status == "answered"
            child = service.store.load(fu.session_id)  # type: ignore[arg-type]
            assert child.meta.loop_id == state.id and child.meta.parent_id == item.session_id
            assert child.meta.question.id.startswith(item.question.id + "-fu")
    assert len(set(final.asked)) == len(final.asked) == len(final.session_ids())


def test_interrupted_follow_up_keeps_the_unfinished_session_and_resumes_at_it(
    service: SessionService, tmp_path: Path
) -> None:
    answers = FileAnswers(write_answers(tmp_path / "answers"), load_bank().ids())
    state = start_loop(service, LoopOptions(track=Track.scientist, seed=2, break_s=0))
    first = Recording(answers, at=(1, 1), kind="mic")
    with pytest.raises(LoopPaused) as paused:
        run_loop(service, first, state)
    kept_id = paused.value.kept_session
    assert kept_id and kept_id in str(paused.value)

    saved_state = find_loop(service.store.root)
    item = saved_state.items[1]
    assert saved_state.position == 1 and item.status == "answered" and item.follow_ups
    fu = item.follow_ups[0]
    assert fu.status == "pending" and fu.interrupted_session_ids == [kept_id]
    kept = service.store.load(kept_id)
    assert not kept.meta.finished and kept.meta.status == SessionStatus.recorded
    assert kept.meta.loop_id == state.id and kept.meta.parent_id == item.session_id

    second = Recording(answers)
    report = run_loop(service, second, saved_state)
    assert second.asked[0] == fu.question.id, "resumes at the interrupted follow-up, with the same probe"
    assert item.question.id not in second.asked
    ids = {a.session_id for r in report.rounds for q in r.questions for a in [q.answer, *q.follow_ups]}
    assert kept_id not in ids, "the unfinished answer is kept, not reported"


def test_loop_report_rounds_principles_stories_and_fixes(service: SessionService, tmp_path: Path) -> None:
    answers = FileAnswers(write_answers(tmp_path / "answers", per_round=2), load_bank().ids())
    state = start_loop(service, LoopOptions(track=Track.scientist, questions_per_round=2, seed=5, break_s=0))
    report = run_loop(service, answers, state)

    assert [r.round for r in report.rounds] == list(LOOP_ROUNDS)
    for r in report.rounds:
        assert len(r.questions) == 2 and r.score is not None and r.criteria
        assert r.time_used_s and r.time_estimated, "typed answers: time estimated from the words"
        assert r.time_budget_s >= sum(q.answer.time_budget_s for q in r.questions)
        assert all(q.follow_ups for q in r.questions)
    expected = {p for i in state.items for p in i.question.principles}
    assert set(report.principles_covered) == expected
    assert set(report.principles_missing) == set(LEADERSHIP_PRINCIPLES) - expected
    assert report.stories_reused, "the same story told in several rounds"
    story_rounds = set(report.stories_reused[0].rounds)
    assert len(story_rounds) >= 2 and story_rounds <= {Round.recruiter_screen, Round.technical_screen, Round.ml_depth,
                                                       Round.behavioral, Round.ml_breadth, Round.ml_system_design, Round.coding}
    assert len(report.top_fixes) == 3
    means = [c.mean for c in report.criteria]
    assert means == sorted(means) and [c.id for c in report.top_fixes] == [c.id for c in report.criteria[:3]]
    assert all(c.improvement for c in report.top_fixes)
    assert report.verdict.mean == round(sum(r.score for r in report.rounds) / 7, 2)  # type: ignore[misc]

    md = report_path(service.store.root, state.id).read_text()
    assert md.startswith(f"# Mock loop {state.id}") and f"## Summary: {report.verdict.label}" in md
    for r in report.rounds:
        assert r.title in md
    assert "## Three things to fix" in md and report.top_fixes[0].name in md
    assert "follow-up (" in md
    doc = json.loads(state_path(service.store.root, state.id).read_text())
    assert doc["position"] == 14 and len(doc["asked"]) == len(set(doc["asked"]))


def test_principle_coverage() -> None:
    qs = [
        Question(id="a1", text="Tell me about a time you owned it.", round=Round.behavioral,
                 principles=["ownership", "Dive Deep"]),
        Question(id="a2", text="Tell me about a time you saved money.", round=Round.behavioral,
                 principles=["Frugality", "Dive Deep"]),
    ]
    covered, missing = principle_coverage(qs)
    assert covered == ["Ownership", "Frugality", "Dive Deep"], "canonical names, in the bank's order"
    assert len(missing) == 13 and "Ownership" not in missing and missing[0] == "Customer Obsession"
    assert principle_coverage([]) == ([], list(LEADERSHIP_PRINCIPLES))


def _scores(*values: float) -> dict[Round, float | None]:
    return dict(zip(LOOP_ROUNDS, values))


@pytest.mark.parametrize(("value", "label"), [
    (5.0, "Strong Hire"), (4.0, "Strong Hire"), (3.99, "Hire"), (3.5, "Hire"), (3.49, "Lean Hire"),
    (3.0, "Lean Hire"), (2.99, "Lean No Hire"), (2.5, "Lean No Hire"),
])
def test_hire_verdict_thresholds(value: float, label: str) -> None:
    verdict = hire_verdict(_scores(*[value] * 7))
    assert verdict.label == label and verdict.mean == value and not verdict.concern_rounds


def test_a_round_below_2_5_is_a_bar_raiser_concern() -> None:
    verdict = hire_verdict(_scores(4.6, 4.6, 4.6, 4.6, 4.6, 4.6, 2.4))
    assert verdict.mean == 4.29 and verdict.label == "Lean No Hire"
    assert verdict.concern_rounds == [Round.behavioral] and "bar-raiser concern" in verdict.summary
    low = hire_verdict(_scores(2.4, 2.0, 2.2, None, 2.1, 2.3, 2.4))
    assert low.label == "No Hire" and len(low.concern_rounds) == 6
    assert hire_verdict({}).label == "No Hire"


def _saved(sid: str, round_: Round, text: str, question: str) -> SavedSession:
    q = Question(id=f"q-{sid}", text=question, round=round_)
    meta = SessionMeta(id=sid, created_at=datetime.now(timezone.utc), question=q, status=SessionStatus.graded)
    return SavedSession(meta=meta, folder=Path("."), transcript=Transcript.from_text(text))


def test_stories_told_in_two_rounds_are_reported_once_each() -> None:
    other = ("I mentored a junior scientist through her first launch. I set weekly reviews and she shipped "
             "the churn classifier, which raised retention by four points; she now mentors two interns.")
    sessions = [
        _saved("s1", Round.recruiter_screen, STORY, "Tell me about the scale you have worked at."),
        _saved("s2", Round.behavioral, other, "Tell me about a time you developed someone."),
        _saved("s3", Round.ml_depth, STORY.replace("Last year", "In that project"), "Defend one past project."),
        _saved("s4", Round.behavioral, other.replace("junior", "new"), "Tell me about a time you mentored someone."),
    ]
    reused, method = stories_reused(sessions)
    assert "story clustering" in method
    assert [(s.session_ids, s.rounds) for s in reused] == [
        (["s1", "s3"], [Round.recruiter_screen, Round.ml_depth])
    ], "the mentoring story is told twice but in one round"
    assert reused[0].question_ids == ["q-s1", "q-s3"]


def test_old_session_files_still_load() -> None:
    meta = SessionMeta(id="x", created_at=datetime.now(timezone.utc), question=BEHAVIORAL, status=SessionStatus.graded)
    raw = json.loads(meta.model_dump_json())
    del raw["loop_id"], raw["parent_id"]
    loaded = SessionMeta.model_validate(raw)
    assert loaded.loop_id is None and loaded.parent_id is None


def test_find_loop_errors(service: SessionService) -> None:
    with pytest.raises(LoopError, match="no saved loops"):
        find_loop(service.store.root)
    state = start_loop(service, LoopOptions(seed=1))
    assert find_loop(service.store.root, state.id.removeprefix("loop-")).id == state.id
    with pytest.raises(LoopError, match="no loop 'nope'"):
        find_loop(service.store.root, "nope")


# --- the command ---------------------------------------------------------------------------------


def cli(*args: str):  # type: ignore[no-untyped-def]
    from interviewer.cli import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})


def test_cli_loop_with_text_answers(tmp_path: Path, isolated_home: Path) -> None:
    answers = write_answers(tmp_path / "answers")
    result = cli("loop", "--track", "mle", "--answers", str(answers), "--break-s", "0", "--no-llm", "--seed", "11")
    assert result.exit_code == 0, result.output + result.stderr
    out = result.stdout
    assert "Mock loop loop-" in out and "ML Engineer" in out
    for title in ("Recruiter screen", "Technical screen", "ML depth", "ML breadth", "ML system design", "Coding",
                  "Bar Raiser"):
        assert f"Round" in out and title in out
    assert "Question 1/1" in out and "Follow-up" in out and "▸" in out
    assert "Hiring summary" in out and "Three things to fix" in out and "Leadership Principles" in out
    assert "Stories reused across rounds" in out and "report saved to" in out
    assert "answers from the files in" in result.stderr and "Traceback" not in result.output

    loops = list((isolated_home / "recordings" / "loops").glob("loop-*.json"))
    assert len(loops) == 1
    doc = json.loads(loops[0].read_text())
    assert doc["options"]["track"] == "mle" and doc["position"] == 7 and doc["finished_at"]
    assert loops[0].with_suffix(".md").is_file()

    again = cli("loop", "--resume", "--answers", str(answers), "--no-llm")
    assert again.exit_code == 0, again.output
    assert "already finished" in again.stdout and "Hiring summary" in again.stdout

    bad = cli("loop", "some-id", "--answers", str(answers))
    assert bad.exit_code != 0
    missing = cli("loop", "--resume", "nope", "--answers", str(answers))
    assert missing.exit_code == 1 and "no loop 'nope'" in missing.stderr
