"""A full mock loop: phone screen, deep dive and onsite rounds, with follow-ups, resumable.

The plan (rounds and their questions, drawn without repeats) is made once and saved as
``<sessions_dir>/loops/<loop_id>.json``; the state file is rewritten atomically after every
answer, so Ctrl-C or a crash anywhere loses at most the answer in progress, and
``interviewer loop --resume`` continues at the question that was interrupted. Every answer, and
every follow-up probe, is an ordinary session (linked by ``loop_id``/``parent_id``), graded as
usual; the loop report is built from those sessions and also saved as ``<loop_id>.md`` and
``<loop_id>.html`` (which links every session's own page).

Ports: an :class:`AnswerSource` turns a question into a graded session (microphone, the bundled
demo answer, or a folder of answer files); :class:`LoopEvents` is told what happens, so the CLI
can render it; a :class:`~interviewer.followups.ProbeGenerator` chooses the follow-ups. The report's
Markdown and HTML page are written by :mod:`interviewer.report.loop`.
"""

from __future__ import annotations

import logging
import math
import random
import re
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InterviewerError, RubricError
from .followups import EvidenceProbes, ProbeGenerator, follow_up_count, follow_up_question
from .models import Question, Round, Track
from .session import TEXT_SUFFIXES, Outcome, ProgressCallback, SessionService, StepCallback
from .store import SavedSession, Store, _atomic_write, new_session_id

if TYPE_CHECKING:
    from rich.console import Console

    from .bank import QuestionBank
    from .practice import AnswerOptions
    from .speech.tts import Speaker

log = logging.getLogger(__name__)

LOOP_SCHEMA_VERSION = 1
LOOPS_DIR = "loops"
#: Speaking pace used to estimate the time of a typed (text) answer.
ESTIMATE_WPM = 150
#: A follow-up counts this much, relative to the main answer, in its question's score.
FOLLOW_UP_WEIGHT = 0.5

# --- the plan --------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlannedRound(_Model):
    """One round of the loop and its real-interview clock."""

    round: Round
    stage: str = Field(description="Phone screen, Deep dive or Onsite")
    title: str
    minutes: int = Field(description="length of the real round")
    focus: str = Field(description="what the round judges, for this track")


# (stage, title, minutes, focus for the scientist track, focus for the MLE track), in loop order.
_ROUNDS: dict[Round, tuple[str, str, int, str, str]] = {
    Round.recruiter_screen: (
        "Phone screen", "Recruiter screen", 30,
        "research applied to a production problem, scale handled, why this team",
        "systems shipped and run at scale, scale handled, why this team",
    ),
    Round.technical_screen: (
        "Phone screen", "Technical screen", 60,
        "ML theory and a short walk-through, with the assumptions said out loud",
        "ML fundamentals and a short walk-through, with the latency and cost said out loud",
    ),
    Round.ml_depth: (
        "Deep dive", "ML depth: defend one past project", 60,
        "research rigor: novelty, validation, leakage checks, the metric moved",
        "a shipped system: reliability, latency, cost, the metric moved",
    ),
    Round.ml_breadth: (
        "Onsite", "ML breadth", 60,
        "foundations explained precisely, with when they fail",
        "foundations explained precisely, with what they cost in production",
    ),
    Round.ml_system_design: (
        "Onsite", "ML system design", 60,
        "clarify QPS, P99, cost and the metric first; a design with its trade-offs",
        "clarify QPS, P99, cost and the metric first; serving, monitoring, failure modes",
    ),
    Round.coding: (
        "Onsite", "Coding (spoken walk-through)", 60,
        "a correct algorithm, its complexity stated unasked, edge cases tested aloud",
        "a correct algorithm, its complexity stated unasked, edge cases tested aloud",
    ),
    Round.behavioral: (
        "Onsite", "Bar Raiser (behavioral)", 60,
        "Leadership Principles as STAR stories: what you did, with numbers",
        "Leadership Principles as STAR stories: what you did, with numbers",
    ),
}
LOOP_ROUNDS: tuple[Round, ...] = tuple(_ROUNDS)


def plan_rounds(track: Track) -> list[PlannedRound]:
    """The rounds of a loop for ``track``, in order, with their clocks."""
    return [
        PlannedRound(round=r, stage=stage, title=title, minutes=minutes,
                     focus=sci if track == Track.scientist else mle)
        for r, (stage, title, minutes, sci, mle) in _ROUNDS.items()
    ]


class LoopOptions(_Model):
    """What the loop asks; fixed when the loop is planned."""

    track: Track = Track.scientist
    questions_per_round: int = Field(default=1, ge=1, le=3, description="questions drawn for each round")
    break_s: float = Field(default=10.0, ge=0, le=600, description="break between rounds")
    follow_ups: bool = Field(default=True, description="probe each answer with follow-ups")
    max_follow_ups: int = Field(default=2, ge=0, le=2, description="one probe per answer, two after a weak one")
    seed: int | None = Field(default=None, description="seed of the question draw (stored, so a plan is repeatable)")


Status = Literal["pending", "answered", "skipped"]


class FollowUpItem(_Model):
    question: Question
    source: str = Field(description="evidence, grade, question or llm")
    reason: str
    status: Status = "pending"
    session_id: str | None = None
    interrupted_session_ids: list[str] = Field(default_factory=list)
    note: str | None = None


class LoopItem(_Model):
    """One main question of the loop, its answer and its follow-ups."""

    round: Round
    question: Question
    status: Status = "pending"
    session_id: str | None = None
    interrupted_session_ids: list[str] = Field(
        default_factory=list, description="unfinished sessions kept when an answer was interrupted"
    )
    follow_ups: list[FollowUpItem] | None = Field(default=None, description="None: not chosen yet")
    done: bool = False


class LoopState(_Model):
    id: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    schema_version: int = LOOP_SCHEMA_VERSION
    options: LoopOptions
    rounds: list[PlannedRound]
    items: list[LoopItem]
    position: int = Field(default=0, ge=0, description="index of the item being asked")
    asked: list[str] = Field(default_factory=list, description="every question id asked, follow-ups included")

    @property
    def track(self) -> Track:
        return self.options.track

    @property
    def finished(self) -> bool:
        return self.position >= len(self.items)

    @property
    def started(self) -> bool:
        return bool(self.asked)

    def round_plan(self, round: Round) -> PlannedRound:
        return next(r for r in self.rounds if r.round == round)

    def items_in(self, round: Round) -> list[LoopItem]:
        return [i for i in self.items if i.round == round]

    def session_ids(self) -> list[str]:
        out = []
        for item in self.items:
            if item.session_id:
                out.append(item.session_id)
            out.extend(f.session_id for f in item.follow_ups or [] if f.session_id)
        return out

    @property
    def answered_count(self) -> int:
        return len(self.session_ids())


class LoopError(InterviewerError):
    """A loop that cannot be planned, found or continued."""


class LoopPaused(InterviewerError):
    """Ctrl-C during the loop: the state is saved and ``--resume`` continues where it stopped."""

    exit_code = 130

    def __init__(self, state: LoopState, kept_session: str | None = None) -> None:
        where = ""
        if not state.finished:
            item = state.items[state.position]
            where = f" at {state.round_plan(item.round).title}, question {item.question.id}"
        kept = f"; the unfinished answer is kept as session {kept_session}" if kept_session else ""
        super().__init__(
            f"loop {state.id} paused{where}{kept}",
            hint=f"continue with `interviewer loop --resume {state.id}`",
        )
        self.state = state
        self.kept_session = kept_session


def new_loop_id(now: datetime | None = None) -> str:
    return "loop-" + new_session_id(now)


def plan_loop(
    options: LoopOptions,
    *,
    bank: QuestionBank | None = None,
    time_budget_s: int | None = None,
    rng: random.Random | None = None,
) -> LoopState:
    """Draw every question of the loop, without repeats, for the options' track (not saved)."""
    from .bank import load_bank

    bank = bank or load_bank()
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    options = options.model_copy(update={"seed": seed})
    rng = rng or random.Random(seed)
    rounds = plan_rounds(options.track)
    items: list[LoopItem] = []
    drawn: set[str] = set()
    for planned in rounds:
        for _ in range(options.questions_per_round):
            q = bank.pick(round=planned.round, track=options.track, exclude=drawn, rng=rng)
            drawn.add(q.id)
            if time_budget_s:
                q = q.model_copy(update={"time_budget_s": time_budget_s})
            items.append(LoopItem(round=planned.round, question=q))
    now = datetime.now(timezone.utc)
    return LoopState(id=new_loop_id(now), created_at=now, updated_at=now, options=options, rounds=rounds, items=items)


# --- loop files --------------------------------------------------------------------------------


def loops_dir(root: Path) -> Path:
    return root / LOOPS_DIR


def state_path(root: Path, loop_id: str) -> Path:
    return loops_dir(root) / f"{loop_id}.json"


def report_path(root: Path, loop_id: str) -> Path:
    return loops_dir(root) / f"{loop_id}.md"


def save_state(root: Path, state: LoopState) -> Path:
    """Write the state atomically (a crash never leaves half a file)."""
    state.updated_at = datetime.now(timezone.utc)
    path = state_path(root, state.id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, state.model_dump_json(indent=2) + "\n")
    except OSError as exc:
        raise LoopError(f"cannot save the loop state {path}: {exc.strerror or exc}") from None
    return path


def load_state(path: Path) -> LoopState:
    try:
        return LoopState.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LoopError(f"cannot read the loop state {path}: {exc}") from None
    except ValidationError as exc:
        raise LoopError(f"loop state {path} is damaged: {str(exc).splitlines()[0]}") from None


def list_loops(root: Path) -> list[LoopState]:
    """Every saved loop, newest first; a damaged file is skipped with a warning."""
    out = []
    folder = loops_dir(root)
    for path in folder.glob("loop-*.json") if folder.is_dir() else []:
        try:
            out.append(load_state(path))
        except LoopError as exc:
            log.warning("%s", exc)
    return sorted(out, key=lambda s: (s.created_at, s.id), reverse=True)


def find_loop(root: Path, ref: str = "last") -> LoopState:
    """A loop by id, unique prefix of it (with or without ``loop-``), or 'last'."""
    loops = list_loops(root)
    if not loops:
        raise LoopError("no saved loops yet", hint="start one with `interviewer loop`")
    if ref in {"last", "latest"}:
        return loops[0]
    for candidate in (ref, f"loop-{ref}"):
        exact = [s for s in loops if s.id == candidate]
        if exact:
            return exact[0]
    hits = [s for s in loops if s.id.startswith(ref) or s.id.startswith(f"loop-{ref}")]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise LoopError(f"'{ref}' matches {len(hits)} loops; give more characters of the id")
    raise LoopError(f"no loop '{ref}' in {loops_dir(root)}", hint="`interviewer loop --resume last` takes the newest")


# --- answer sources ----------------------------------------------------------------------------

Steps = Callable[[], AbstractContextManager[tuple[StepCallback, ProgressCallback]]]


@contextmanager
def no_steps() -> Iterator[tuple[StepCallback, ProgressCallback]]:
    yield (lambda _s: None), (lambda _d, _t: None)


@dataclass
class AnswerRequest:
    """What an answer source is asked for: one question, and where it sits in the loop."""

    question: Question
    track: Track | None
    position: int  # index of the main question in the loop
    follow_up: int = 0  # 0: the main question; k: its k-th follow-up
    steps: Steps = no_steps  # progress display around transcription and grading


class AnswerSource(Protocol):
    """Turns a question into a graded, saved session."""

    label: str

    def answer(self, service: SessionService, request: AnswerRequest) -> Outcome: ...


class NoAnswer(LoopError):
    """The source has no answer for this question (e.g. no file for it)."""


ANSWER_SUFFIXES = frozenset(TEXT_SUFFIXES | {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus", ".webm", ".aac"})
_FOLLOW_UP_STEM = re.compile(r"-fu\d+$")


class FileAnswers:
    """Answers read from a folder (for rehearsal and tests): text transcripts or audio files.

    A question is answered by ``<question_id>.<ext>`` when that file exists (a follow-up's id is
    ``<question_id>-fu1``, ``-fu2``); otherwise the files not named after a question are taken
    in name order, one per main question (the first file answers the first question, and so
    on), and ``<that file's name>-fu1.<ext>`` answers its first follow-up. A follow-up with no
    file is skipped.
    """

    label = "files"

    def __init__(self, folder: Path, question_ids: Iterable[str] = ()) -> None:
        if not folder.is_dir():
            raise LoopError(f"answers folder not found: {folder}")
        files = sorted(
            p for p in folder.iterdir()
            if p.is_file() and p.suffix.lower() in ANSWER_SUFFIXES and not p.name.startswith(".")
        )
        if not files:
            raise LoopError(f"no answer files (.txt, .md, .wav, .flac ...) in {folder}")
        self.folder = folder
        self.by_stem: dict[str, Path] = {}
        for p in files:
            self.by_stem.setdefault(p.stem, p)
        named = set(question_ids)
        self.in_order = [p for p in files if p.stem not in named and not _FOLLOW_UP_STEM.search(p.stem)]

    def find(self, request: AnswerRequest) -> Path:
        named = self.by_stem.get(request.question.id)
        if named is not None:
            return named
        main = self.in_order[request.position] if request.position < len(self.in_order) else None
        if not request.follow_up and main is not None:
            return main
        if request.follow_up and main is not None:
            found = self.by_stem.get(f"{main.stem}-fu{request.follow_up}")
            if found is not None:
                return found
        what = f"follow-up {request.follow_up} ({request.question.id})" if request.follow_up else f"question {request.question.id}"
        raise NoAnswer(
            f"no answer file for {what} in {self.folder}",
            hint=f"add {request.question.id}.txt, or one file per question in the order asked",
        )

    def answer(self, service: SessionService, request: AnswerRequest) -> Outcome:
        path = self.find(request)
        with request.steps() as (on_step, on_progress):
            return service.grade_file(path, request.question, track=request.track, on_step=on_step, on_progress=on_progress)


class DemoAnswers:
    """The bundled demo answer for every question: transcribed once, then reused."""

    label = "demo"

    def __init__(self) -> None:
        from .session import load_demo

        self.demo = load_demo()
        self._transcript = None

    def answer(self, service: SessionService, request: AnswerRequest) -> Outcome:
        with request.steps() as (on_step, on_progress):
            if self._transcript is None:
                outcome = service.grade_file(
                    self.demo.audio, request.question, track=request.track, source="demo",
                    on_step=on_step, on_progress=on_progress,
                )
                self._transcript = outcome.saved.transcript
                return outcome
            saved = service.start_recorded(request.question, track=request.track, source="demo")
            target = saved.folder / f"answer{self.demo.audio.suffix.lower()}"
            shutil.copy2(self.demo.audio, target)
            service.store.update_meta(saved, audio_file=target.name)
            return service.finish_recorded(saved, self._transcript, on_step=on_step)


class MicAnswers:
    """A live spoken answer (see :func:`interviewer.practice.record_live`)."""

    label = "mic"

    def __init__(self, console: Console | None = None, options: AnswerOptions | None = None) -> None:
        self.console = console
        self.options = options

    def answer(self, service: SessionService, request: AnswerRequest) -> Outcome:
        from .practice import finish_live, record_live

        recorded = record_live(service, request.question, track=request.track, console=self.console, options=self.options)
        with request.steps() as (on_step, on_progress):
            return finish_live(service, recorded, on_step=on_step, on_progress=on_progress)


def choose_answer_source(
    settings: Any,
    *,
    answers: Path | None = None,
    console: Console | None = None,
    options: AnswerOptions | None = None,
) -> tuple[AnswerSource, str]:
    """Files when ``answers`` is given, else the microphone, else the demo answer; and a note."""
    if answers is not None:
        from .bank import load_bank

        return FileAnswers(answers, load_bank().ids()), f"answers from the files in {answers}"
    from .practice import microphone_status

    mic = microphone_status(settings.audio.input_device)
    if mic.available:
        return MicAnswers(console, options), f"microphone: {mic.reason}"
    return DemoAnswers(), f"{mic.reason}: answering every question with the bundled demo answer instead"


# --- events ------------------------------------------------------------------------------------


@dataclass
class Asking:
    """A question about to be asked: where it sits, and its follow-up details if it is one."""

    state: LoopState
    round: PlannedRound
    number: int  # 1-based, among the main questions of the round
    count: int
    question: Question
    follow_up: FollowUpItem | None
    source: str


class LoopEvents:
    """What the runner reports; every method is a no-op here (the CLI overrides them)."""

    def started(self, state: LoopState, source: str, resumed: bool) -> None: ...

    def round_started(self, state: LoopState, planned: PlannedRound, number: int, resumed: bool) -> None: ...

    def asking(self, asking: Asking) -> None: ...

    def answered(self, state: LoopState, score: AnswerScore) -> None: ...

    def note(self, text: str) -> None: ...

    def break_(self, seconds: float, next_round: PlannedRound) -> None: ...

    def finished(self, report: LoopReport, path: Path, html: Path | None = None) -> None:
        """The loop is over: ``path`` is its Markdown report, ``html`` its page."""

    def steps(self) -> AbstractContextManager[tuple[StepCallback, ProgressCallback]]:
        return no_steps()


# --- the runner ----------------------------------------------------------------------------------


def start_loop(service: SessionService, options: LoopOptions, *, bank: QuestionBank | None = None) -> LoopState:
    """Plan a new loop and save its state."""
    service.store.ensure_ready()  # an unwritable store fails before anything is asked
    state = plan_loop(options, bank=bank, time_budget_s=service.settings.time_budget_s)
    save_state(service.store.root, state)
    return state


class LoopRunner:
    """Asks the loop's questions in order from ``state.position``, saving the state after every answer."""

    def __init__(
        self,
        service: SessionService,
        source: AnswerSource,
        *,
        events: LoopEvents | None = None,
        speaker: Speaker | None = None,
        probes: ProbeGenerator | None = None,
        break_s: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.source = source
        self.events = events or LoopEvents()
        self.speaker = speaker
        self._probes = probes
        self.break_s = break_s
        self.sleep = sleep
        self._notes: set[str] = set()

    @property
    def root(self) -> Path:
        return self.service.store.root

    def probes(self) -> ProbeGenerator:
        """LLM-written probes when an LLM grader is configured, else the evidence gaps."""
        if self._probes is None:
            from .followups import LLMProbes
            from .grading.llm import LLMGrader

            grader, _ = self.service.llm_grader()
            self._probes = LLMProbes(grader) if isinstance(grader, LLMGrader) else EvidenceProbes()
        return self._probes

    def _save(self, state: LoopState) -> None:
        save_state(self.root, state)

    def _note(self, text: str) -> None:
        if text not in self._notes:
            self._notes.add(text)
            self.events.note(text)

    def run(self, state: LoopState) -> LoopReport:
        """Continue the loop to its end, then build, save and return the report."""
        self.events.started(state, self.source.label, state.started)
        resumed = state.started
        announced: Round | None = None
        try:
            while not state.finished:
                item = state.items[state.position]
                if item.round != announced:
                    number = [r.round for r in state.rounds].index(item.round) + 1
                    self.events.round_started(state, state.round_plan(item.round), number, resumed)
                    announced, resumed = item.round, False
                self._run_item(state, item)
                item.done = True
                state.position += 1
                if state.finished:
                    state.finished_at = datetime.now(timezone.utc)
                self._save(state)
                if not state.finished and state.items[state.position].round != item.round:
                    seconds = self.break_s if self.break_s is not None else state.options.break_s
                    self.events.break_(seconds, state.round_plan(state.items[state.position].round))
                    if seconds > 0:
                        self.sleep(seconds)
        except KeyboardInterrupt:
            self._save(state)
            raise LoopPaused(state) from None
        report = build_report(self.service.store, state, rubric=self.service.settings.rubric)
        from .report.loop import write_loop_report

        with self.events.steps() as (on_step, _):
            pages = write_loop_report(self.service.store, state, report=report,
                                      on_page=lambda sid: on_step(f"Writing the page of session {sid}"))
        self.events.finished(report, pages.markdown, pages.html)
        return report

    def _run_item(self, state: LoopState, item: LoopItem) -> None:
        if item.status != "answered":
            outcome = self._answer(state, item, item.question, None)
            item.session_id, item.status = outcome.saved.meta.id, "answered"
            self._save(state)
        if item.follow_ups is None:
            item.follow_ups = self._choose_follow_ups(state, item)
            self._save(state)
        for fu in item.follow_ups:
            if fu.status != "pending":
                continue
            try:
                outcome = self._answer(state, item, fu.question, fu)
            except NoAnswer as exc:
                fu.status, fu.note = "skipped", str(exc)
                self.events.note(f"{exc}: follow-up skipped")
            else:
                fu.session_id, fu.status = outcome.saved.meta.id, "answered"
            self._save(state)

    def _choose_follow_ups(self, state: LoopState, item: LoopItem) -> list[FollowUpItem]:
        opts = state.options
        if not opts.follow_ups or opts.max_follow_ups == 0 or item.session_id is None:
            return []
        saved = self.service.store.load_folder(self.root / item.session_id)
        latest = saved.latest_grade
        baseline = next((g for g in reversed(saved.grades) if g.grader == "evidence"), None)
        count = follow_up_count(latest.overall if latest else None, opts.max_follow_ups)
        asked = {i.question.text for i in state.items} | {
            f.question.text for i in state.items for f in i.follow_ups or []
        }
        probes, note = self.probes().probes(
            item.question, saved.transcript, saved.evidence, baseline, count=count, asked=asked
        )
        if note:
            self._note(note)
        return [
            FollowUpItem(question=follow_up_question(item.question, p, k), source=p.source, reason=p.reason)
            for k, p in enumerate(probes, start=1)
        ]

    def _answer(self, state: LoopState, item: LoopItem, question: Question, follow_up: FollowUpItem | None) -> Outcome:
        if question.id not in state.asked:
            state.asked.append(question.id)
            self._save(state)
        items = state.items_in(item.round)
        self.events.asking(Asking(
            state=state, round=state.round_plan(item.round), number=items.index(item) + 1, count=len(items),
            question=question, follow_up=follow_up, source=self.source.label,
        ))
        if self.speaker is not None:
            from .practice import ask

            if note := ask(self.speaker, question):
                self._note(note)
        k = (item.follow_ups or []).index(follow_up) + 1 if follow_up is not None else 0
        request = AnswerRequest(question=question, track=state.track, position=state.position, follow_up=k,
                                steps=self.events.steps)
        parent_id = item.session_id if follow_up is not None else None
        slot: LoopItem | FollowUpItem = follow_up if follow_up is not None else item
        from .practice import AnswerInterrupted

        try:
            outcome = self.source.answer(self.service, request)
        except AnswerInterrupted as exc:
            self._link(exc.saved, state, parent_id)
            slot.interrupted_session_ids.append(exc.saved.meta.id)
            self._save(state)
            raise LoopPaused(state, exc.saved.meta.id) from None
        self._link(outcome.saved, state, parent_id)
        for note in outcome.notes:
            self._note(note)
        self.events.answered(state, answer_score(outcome.saved, follow_up=k, probe=follow_up))
        return outcome

    def _link(self, saved: SavedSession, state: LoopState, parent_id: str | None) -> None:
        self.service.store.update_meta(saved, loop_id=state.id, parent_id=parent_id)


# --- the report ------------------------------------------------------------------------------------


class AnswerScore(_Model):
    session_id: str
    question_id: str
    question: str
    follow_up: int = Field(default=0, description="0: the main question; k: its k-th follow-up")
    probe_source: str | None = None
    probe_reason: str | None = None
    overall: float | None = None
    grader: str | None = None
    criteria: dict[str, int] = Field(default_factory=dict)
    improvements: dict[str, str] = Field(default_factory=dict)
    time_used_s: float | None = None
    time_estimated: bool = Field(default=False, description="a typed answer: estimated at 150 words per minute")
    time_budget_s: int
    finished: bool = True


class QuestionReport(_Model):
    answer: AnswerScore
    follow_ups: list[AnswerScore] = Field(default_factory=list)
    skipped_follow_ups: list[str] = Field(default_factory=list)
    principles: list[str] = Field(default_factory=list)
    score: float | None = Field(default=None, description="the answer, with follow-ups counting half")


class RoundReport(_Model):
    round: Round
    stage: str
    title: str
    minutes: int
    questions: list[QuestionReport]
    score: float | None = None
    criteria: dict[str, float] = Field(default_factory=dict, description="mean score per criterion (main answers)")
    time_used_s: float | None = None
    time_budget_s: int = 0
    time_estimated: bool = False
    concern: bool = False


class CriterionSummary(_Model):
    id: str
    name: str
    mean: float
    count: int
    lowest: int
    rounds: list[Round]
    improvement: str | None = None


class StoryReuse(_Model):
    label: str
    rounds: list[Round]
    session_ids: list[str]
    question_ids: list[str]


class Verdict(_Model):
    label: Literal["Strong Hire", "Hire", "Lean Hire", "Lean No Hire", "No Hire"]
    mean: float | None
    concern_rounds: list[Round] = Field(default_factory=list)
    summary: str


class LoopReport(_Model):
    loop_id: str
    track: Track
    created_at: datetime
    finished_at: datetime | None
    complete: bool
    rounds: list[RoundReport]
    criteria: list[CriterionSummary] = Field(description="every criterion across rounds, weakest first")
    criterion_names: dict[str, str] = Field(default_factory=dict)
    principles_covered: list[str]
    principles_missing: list[str]
    stories_reused: list[StoryReuse]
    story_method: str
    verdict: Verdict
    top_fixes: list[CriterionSummary]
    graders: list[str] = Field(default_factory=list)
    time_used_s: float | None = None
    time_estimated: bool = False


#: Mean per-round score thresholds, best first.
VERDICTS: tuple[tuple[float, str], ...] = (
    (4.0, "Strong Hire"),
    (3.5, "Hire"),
    (3.0, "Lean Hire"),
    (2.5, "Lean No Hire"),
    (-math.inf, "No Hire"),
)
#: A round scored below this is a bar-raiser concern: it caps the verdict at Lean No Hire.
CONCERN_BELOW = 2.5
CONCERN_CAP = "Lean No Hire"


def hire_verdict(round_scores: Mapping[Round, float | None]) -> Verdict:
    """Strong Hire ... No Hire from the mean of the round scores; a weak round caps it."""
    scored = {r: s for r, s in round_scores.items() if s is not None}
    if not scored:
        return Verdict(label="No Hire", mean=None, summary="no graded answers")
    mean = round(sum(scored.values()) / len(scored), 2)
    label = next(name for floor, name in VERDICTS if mean >= floor)
    concern = [r for r, s in scored.items() if s < CONCERN_BELOW]
    summary = f"mean of {len(scored)} round score(s) {mean:.2f}"
    if concern:
        names = ", ".join(f"{_ROUNDS[r][1]} {scored[r]:.1f}" for r in concern)
        summary += f"; bar-raiser concern: {names} (below {CONCERN_BELOW})"
        order = [name for _, name in VERDICTS]
        if order.index(label) < order.index(CONCERN_CAP):
            label = CONCERN_CAP
    return Verdict(label=label, mean=mean, concern_rounds=concern, summary=summary)  # type: ignore[arg-type]


def _time_used(saved: SavedSession) -> tuple[float | None, bool]:
    seconds = saved.meta.duration_s or (saved.transcript.duration_s if saved.transcript else None)
    if seconds:
        return seconds, False
    if saved.evidence is not None and saved.evidence.delivery.word_count:
        return saved.evidence.delivery.word_count / ESTIMATE_WPM * 60, True
    return None, False


def answer_score(saved: SavedSession, *, follow_up: int = 0, probe: FollowUpItem | None = None) -> AnswerScore:
    """The numbers of one answer the loop shows and reports."""
    grade = saved.latest_grade
    used, estimated = _time_used(saved)
    return AnswerScore(
        session_id=saved.meta.id, question_id=saved.meta.question.id, question=saved.meta.question.text,
        follow_up=follow_up, probe_source=probe.source if probe else None, probe_reason=probe.reason if probe else None,
        overall=grade.overall if grade else None, grader=grade.grader if grade else None,
        criteria={c.criterion: c.score for c in grade.criteria} if grade else {},
        improvements={c.criterion: c.improvement for c in grade.criteria if c.improvement} if grade else {},
        time_used_s=round(used, 1) if used is not None else None, time_estimated=estimated,
        time_budget_s=saved.meta.question.time_budget_s, finished=saved.meta.finished,
    )


def _mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return round(sum(vals) / len(vals), 2) if vals else None


def _principles(questions: Iterable[Question]) -> list[str]:
    from .bank import LEADERSHIP_PRINCIPLES, canonical_principle

    found: set[str] = set()
    for q in questions:
        for name in q.principles:
            try:
                found.add(canonical_principle(name))
            except ValueError:
                log.debug("ignoring unknown principle %r in %s", name, q.id)
    return [p for p in LEADERSHIP_PRINCIPLES if p in found]


def principle_coverage(questions: Iterable[Question]) -> tuple[list[str], list[str]]:
    """(covered, missing) Leadership Principles, in the bank's order, for answered questions."""
    from .bank import LEADERSHIP_PRINCIPLES

    covered = _principles(questions)
    return covered, [p for p in LEADERSHIP_PRINCIPLES if p not in covered]


def _criterion_names(question: Question, track: Track, rubric: str | Path | None) -> dict[str, tuple[str, str | None]]:
    """Criterion id -> (name, the level-4 anchor) from the rubric the round is graded with."""
    from .rubric import choose_rubric

    try:
        chosen = choose_rubric(question, track, rubric)
    except RubricError:
        return {}
    return {c.id: (c.name, c.anchors.get(4)) for c in chosen.criteria}


STORY_METHOD = "the story clustering of `interviewer coverage` (shared distinctive words and figures)"


def stories_reused(sessions: Sequence[SavedSession]) -> tuple[list[StoryReuse], str]:
    """Stories told in two or more rounds of the loop (grouped by :func:`interviewer.progress.find_stories`)."""
    from .progress import find_stories

    by_id = {s.meta.id: s for s in sessions}
    stories, _ = find_stories(sorted(sessions, key=lambda s: (s.meta.created_at, s.meta.id)))
    out = []
    for story in stories:
        told = [by_id[i] for i in story.session_ids if i in by_id]
        rounds = list(dict.fromkeys(s.meta.question.round for s in told))
        if len(rounds) >= 2:
            out.append(StoryReuse(
                label=story.label, rounds=rounds, session_ids=[s.meta.id for s in told],
                question_ids=list(dict.fromkeys(s.meta.question.id for s in told)),
            ))
    return out, STORY_METHOD


def build_report(store: Store, state: LoopState, *, rubric: str | Path | None = None) -> LoopReport:
    """The loop report from the loop's saved sessions (answered questions only)."""
    loaded: dict[str, SavedSession] = {}

    def load(sid: str | None) -> SavedSession | None:
        if sid is None:
            return None
        if sid not in loaded:
            folder = store.root / sid
            try:
                if not (folder / "session.json").is_file():
                    raise LoopError(f"session folder {folder} is missing")
                loaded[sid] = store.load_folder(folder)
            except InterviewerError as exc:  # a deleted or damaged session loses only its own row
                log.warning("loop %s: %s", state.id, exc)
                return None
        return loaded[sid]

    names: dict[str, str] = {}
    anchors: dict[str, str | None] = {}
    named_rounds: set[Round] = set()
    rounds: list[RoundReport] = []
    per_criterion: dict[str, list[tuple[int, Round, str | None]]] = {}
    for planned in state.rounds:
        questions: list[QuestionReport] = []
        for item in state.items_in(planned.round):
            main = load(item.session_id)
            if main is None:
                continue
            if planned.round not in named_rounds:  # one rubric per round: load it once
                named_rounds.add(planned.round)
                for cid, (name, anchor) in _criterion_names(item.question, state.track, rubric).items():
                    names.setdefault(cid, name)
                    anchors.setdefault(cid, anchor)
            answer = answer_score(main)
            fus = []
            for k, fu in enumerate(item.follow_ups or [], start=1):
                if (saved := load(fu.session_id)) is not None:
                    fus.append(answer_score(saved, follow_up=k, probe=fu))
            for cid, score in answer.criteria.items():
                per_criterion.setdefault(cid, []).append((score, planned.round, answer.improvements.get(cid)))
            score = answer.overall
            fu_mean = _mean(f.overall for f in fus if f.overall is not None)
            if score is not None and fu_mean is not None:
                score = round((score + FOLLOW_UP_WEIGHT * fu_mean) / (1 + FOLLOW_UP_WEIGHT), 2)
            questions.append(QuestionReport(
                answer=answer, follow_ups=fus, score=score, principles=_principles([item.question]),
                skipped_follow_ups=[f.question.text for f in item.follow_ups or [] if f.status == "skipped"],
            ))
        if not questions:
            continue
        answers = [q.answer for q in questions] + [f for q in questions for f in q.follow_ups]
        times = [a.time_used_s for a in answers if a.time_used_s is not None]
        crit: dict[str, list[int]] = {}
        for q in questions:
            for cid, s in q.answer.criteria.items():
                crit.setdefault(cid, []).append(s)
        round_score = _mean(q.score for q in questions if q.score is not None)
        rounds.append(RoundReport(
            round=planned.round, stage=planned.stage, title=planned.title, minutes=planned.minutes,
            questions=questions, score=round_score,
            criteria={cid: _mean(v) or 0.0 for cid, v in crit.items()},
            time_used_s=round(sum(times), 1) if times else None,
            time_budget_s=sum(a.time_budget_s for a in answers),
            time_estimated=any(a.time_estimated for a in answers),
            concern=round_score is not None and round_score < CONCERN_BELOW,
        ))

    criteria = []
    for cid, entries in per_criterion.items():
        lowest = min(entries, key=lambda e: e[0])
        advice = next((e[2] for e in sorted(entries, key=lambda e: e[0]) if e[2]), None)
        if advice is None and anchors.get(cid):
            advice = f"Aim for: {anchors[cid]}"
        criteria.append(CriterionSummary(
            id=cid, name=names.get(cid, cid), mean=_mean(e[0] for e in entries) or 0.0, count=len(entries),
            lowest=lowest[0], rounds=list(dict.fromkeys(e[1] for e in entries)), improvement=advice,
        ))
    criteria.sort(key=lambda c: (c.mean, -c.count, c.id))

    answered = [i.question for i in state.items if i.session_id and load(i.session_id) is not None]
    covered, missing = principle_coverage(answered)
    sessions = list(loaded.values())
    reused, method = stories_reused(sessions)
    used = [r.time_used_s for r in rounds if r.time_used_s is not None]
    return LoopReport(
        loop_id=state.id, track=state.track, created_at=state.created_at, finished_at=state.finished_at,
        complete=state.finished, rounds=rounds, criteria=criteria, criterion_names=names,
        principles_covered=covered, principles_missing=missing, stories_reused=reused, story_method=method,
        verdict=hire_verdict({r.round: r.score for r in rounds}),
        top_fixes=[c for c in criteria if c.mean < 5][:3],
        graders=sorted({a.answer.grader for r in rounds for a in r.questions if a.answer.grader}),
        time_used_s=round(sum(used), 1) if used else None,
        time_estimated=any(r.time_estimated for r in rounds),
    )
