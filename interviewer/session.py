"""The session service: wires Transcriber -> Analyzer -> Graders -> Store for one answer.

Order matters for "nothing is ever lost": the session folder (with the audio) is saved before
anything slow or fallible runs, and each later product (transcript, evidence, grades) is saved
as soon as it exists, so a failure later on leaves everything earlier on disk.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import ValidationError

from . import __version__
from . import audio as audio_io
from .analysis import analyze
from .errors import AudioFileError, GraderError, Interrupted, QuestionBankError
from .grading import Grader
from .grading.evidence import EvidenceGrader
from .grading.verify import apply_rules, ends_mid_sentence
from .models import Grade, Question, Round, SessionMeta, SessionStatus, Track, Transcript
from .resources import data_dir
from .rubric import Rubric, choose_rubric
from .settings import Settings
from .store import SavedSession, Store, new_session_id
from .transcribe import Transcriber, WhisperTranscriber

if TYPE_CHECKING:
    from .grading.consistency import RepeatReport

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".md"}

# Dimensions a strong answer makes explicit, by round, for questions typed in by the user.
ROUND_DIMENSIONS: dict[Round, list[str]] = {
    Round.ml_system_design: ["scale", "latency", "cost", "data", "metric"],
    Round.ml_depth: ["data", "metric"],
    Round.ml_breadth: [],
    Round.coding: ["constraints"],
    Round.technical_screen: ["data", "metric"],
    Round.behavioral: [],
    Round.recruiter_screen: [],
}

StepCallback = Callable[[str], None]
ProgressCallback = Callable[[float, float], None]


@dataclass
class Outcome:
    """A saved session plus the one-line notes the user should see (grader used, fallbacks)."""

    saved: SavedSession
    notes: list[str] = field(default_factory=list)


@dataclass
class Demo:
    question: Question
    audio: Path
    script: str


def load_demo() -> Demo:
    """The bundled sample answer (spoken with an offline voice) and its question."""
    folder = data_dir()
    raw = yaml.safe_load((folder / "demo.yaml").read_text(encoding="utf-8"))
    audio = next(iter(sorted(folder.glob("demo_answer.*"))), None)
    if audio is None:
        raise AudioFileError(f"the bundled demo answer is missing from {folder}; reinstall interviewer")
    return Demo(question=Question.model_validate(raw["question"]), audio=audio, script=raw.get("script", ""))


def adhoc_question(text: str, round: Round = Round.behavioral, time_budget_s: int | None = None) -> Question:
    """A question typed on the command line; its id is stable for the same text."""
    digest = hashlib.sha1(text.strip().encode()).hexdigest()[:8]
    extra = {"time_budget_s": time_budget_s} if time_budget_s else {}
    try:
        return Question(
            id=f"adhoc-{digest}", text=text.strip(), round=round,
            dimensions=ROUND_DIMENSIONS.get(round, []), **extra,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        raise QuestionBankError(f"question {'.'.join(map(str, err['loc']))}: {err['msg']}") from None


def is_text_file(path: Path) -> bool:
    return path.suffix.lower() in TEXT_SUFFIXES


def read_text_transcript(path: Path) -> Transcript:
    if not path.exists():
        raise AudioFileError(f"file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise AudioFileError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise AudioFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not text.strip():
        raise AudioFileError(f"{path} is empty: nothing to grade")
    return Transcript.from_text(text)


def _interrupted(saved: SavedSession, when: str, *, graded: bool = False) -> Interrupted:
    kept = "with its transcript and evidence-only grade" if graded else "with its audio"
    return Interrupted(
        f"interrupted {when}: session {saved.meta.id} is saved {kept}",
        hint=f"`interviewer regrade {saved.meta.id}` finishes it",
    )


class SessionService:
    """Everything one practice answer goes through, independent of how it was captured."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        transcriber: Transcriber | None = None,
        llm_grader: tuple[Grader | None, str] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or Store(settings.sessions_dir)
        self._transcriber = transcriber
        self._llm_grader = llm_grader

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            self._transcriber = WhisperTranscriber(self.settings.whisper)
        return self._transcriber

    def transcriber_for(self, question: Question | None) -> Transcriber:
        """The transcriber for an answer to ``question``: biased to its vocabulary when the
        transcriber supports it (batch and the live path use this same one)."""
        base = self.transcriber
        for_question = getattr(base, "for_question", None)
        return for_question(question) if callable(for_question) else base

    def _save_transcript(self, saved: SavedSession, transcript: Transcript) -> Transcript:
        """Batch and live transcripts alike get their quality measured here, then saved."""
        from .quality import with_quality

        transcript = with_quality(transcript, self.settings.whisper.uncertain_below)
        self.store.save_transcript(saved, transcript)
        return transcript

    def llm_grader(self) -> tuple[Grader | None, str]:
        """The LLM grader to use (None for evidence-only) and a note saying which and why."""
        if self._llm_grader is None:
            from .grading.select import resolve_grader

            grader, note = resolve_grader(self.settings)
            self._llm_grader = (None if isinstance(grader, EvidenceGrader) else grader, note)
        return self._llm_grader

    def rubric_for(self, question: Question, track: Track | None, override: str | Path | None) -> Rubric:
        return choose_rubric(question, track, override or self.settings.rubric)

    # -- entry points ------------------------------------------------------------------------

    def grade_file(
        self,
        path: Path,
        question: Question,
        *,
        track: Track | None = None,
        rubric: str | Path | None = None,
        source: str = "file",
        on_step: StepCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Outcome:
        """Transcribe (or read) FILE, then analyze, grade and save it as a new session."""
        step = on_step or (lambda _s: None)
        chosen = self.rubric_for(question, track, rubric)  # a bad rubric fails before any work
        self.store.ensure_ready()  # an unwritable store fails before a long transcription
        if is_text_file(path):
            transcript = read_text_transcript(path)
            saved = self.store.create(self._meta(question, track, "text" if source == "file" else source,
                                                 SessionStatus.recorded))
        else:
            audio_io.check_file(path)  # a missing, empty or over-long file fails before a session exists
            # Saved before the slow part: a full disk fails now, not after minutes of work, and
            # an interrupted or failed transcription leaves a session `regrade` can finish.
            saved = self.store.create(self._meta(question, track, source, SessionStatus.recorded), audio=path)
            step("transcribing")
            try:
                transcript = self.transcriber_for(question).transcribe(path, progress=on_progress)  # errors name the user's file
            except AudioFileError:
                self.store.discard(saved)
                raise
            except KeyboardInterrupt:
                raise _interrupted(saved, "while transcribing") from None
        self._save_transcript(saved, transcript)  # first, before anything else can fail
        notes = self.grade_saved(saved, rubric=chosen, track=track, on_step=step)
        return Outcome(saved, notes)

    def start_recorded(self, question: Question, *, track: Track | None, source: str = "mic") -> SavedSession:
        """A new session folder for live recording: the recorder writes straight into it."""
        return self.store.create(self._meta(question, track, source, SessionStatus.recorded))

    def finish_recorded(
        self,
        saved: SavedSession,
        transcript: Transcript | None,
        *,
        finished: bool = True,
        stopped_by: str | None = None,
        rubric: str | Path | None = None,
        on_step: StepCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Outcome:
        """After recording: save (or make) the transcript, then analyze, grade and save.

        ``stopped_by="time_limit"`` with the transcript ending mid-sentence marks the answer
        unfinished: the clock cut the story off, and its grade must say so (verify.apply_rules).
        """
        self.store.update_meta(saved, finished=finished)
        if transcript is None:
            audio = saved.audio_path
            if audio is None:
                raise AudioFileError(f"session {saved.meta.id} has no audio to transcribe")
            (on_step or (lambda _s: None))("transcribing")
            transcript = self.transcriber_for(saved.meta.question).transcribe(audio, progress=on_progress)
        if finished and stopped_by == "time_limit" and ends_mid_sentence(transcript):
            self.store.update_meta(saved, finished=False)
        self._save_transcript(saved, transcript)
        chosen = self.rubric_for(saved.meta.question, saved.meta.track, rubric)
        return Outcome(saved, self.grade_saved(saved, rubric=chosen, track=saved.meta.track, on_step=on_step))

    def regrade(
        self,
        ref: str,
        *,
        rubric: str | Path | None = None,
        track: Track | None = None,
        on_step: StepCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Outcome:
        """Grade a saved session again (transcribing it first if it never was); keeps old grades."""
        saved = self.store.load(ref)
        track = track or saved.meta.track
        if saved.transcript is None:
            return self.finish_recorded(saved, None, finished=saved.meta.finished, rubric=rubric,
                                        on_step=on_step, on_progress=on_progress)
        chosen = self.rubric_for(saved.meta.question, track, rubric)
        return Outcome(saved, self.grade_saved(saved, rubric=chosen, track=track, on_step=on_step))

    def repeat_llm(
        self, saved: SavedSession, runs: int, *, rubric: str | Path | None = None, track: Track | None = None,
        on_run: Callable[[int, object, str | None], None] | None = None,
    ) -> RepeatReport | None:
        """Grade the saved transcript until there are ``runs`` LLM grades; report each criterion's spread.

        The grade already saved counts as the first run; the extra runs are measured, not saved.
        Returns None when no LLM grader is configured.
        """
        from .grading.consistency import grade_repeat, summarise

        grader, _ = self.llm_grader()
        if grader is None or saved.transcript is None or saved.evidence is None:
            return None
        chosen = self.rubric_for(saved.meta.question, track or saved.meta.track, rubric)
        first = [g for g in saved.grades if g.grader == "llm"][-1:]
        baseline = next((g for g in reversed(saved.grades) if g.grader == "evidence"), None)
        extra: list[Grade] = []

        def collect(i: int, grade: Grade | None, error: str | None) -> None:
            if grade is not None:
                # Spread of the scores the user would see: the same rules as the saved grade.
                grade = self._checked(grade, saved, chosen, track or saved.meta.track, baseline=baseline)
                extra.append(grade)
            if on_run:
                on_run(i + len(first), grade, error)

        if runs - len(first) > 0:
            report = grade_repeat(grader, saved.meta.question, chosen, saved.transcript, saved.evidence,
                                  n=runs - len(first), track=track or saved.meta.track, on_run=collect)
            return summarise(first + extra, report.failures)
        return summarise(first)

    # -- the shared tail -----------------------------------------------------------------------

    def grade_saved(
        self, saved: SavedSession, *, rubric: Rubric, track: Track | None, on_step: StepCallback | None = None
    ) -> list[str]:
        """Analyze and grade a session that has a transcript; every product is saved at once."""
        step = on_step or (lambda _s: None)
        assert saved.transcript is not None
        question = saved.meta.question
        step("analyzing")
        # The budget is the saved question's: the one the answer was recorded against.
        evidence = analyze(saved.transcript, question)
        self.store.save_evidence(saved, evidence)
        # The evidence-only grade is always saved first: it is the offline baseline the LLM
        # grade is checked against, and what the user keeps if the LLM fails.
        baseline = self._checked(
            EvidenceGrader().grade(question, rubric, saved.transcript, evidence, track=track), saved, rubric, track
        )
        self.store.add_grade(saved, baseline)
        notes: list[str] = []
        grader, note = self.llm_grader()
        if note:
            notes.append(note)
        if grader is not None:
            step("grading")
            try:
                grade = grader.grade(question, rubric, saved.transcript, evidence, track=track)
            except KeyboardInterrupt:
                raise _interrupted(saved, "while the LLM was grading", graded=True) from None
            except GraderError as exc:
                notes.append(f"{exc} - the session is saved with its evidence-only grade; "
                             f"run `interviewer regrade {saved.meta.id}` later")
            else:
                self.store.add_grade(saved, self._checked(grade, saved, rubric, track, baseline=baseline))
        return notes

    def _checked(
        self, grade: Grade, saved: SavedSession, rubric: Rubric, track: Track | None, *, baseline: Grade | None = None
    ) -> Grade:
        """The one place every grade passes before it is kept: the score rules of grading.verify."""
        assert saved.transcript is not None and saved.evidence is not None
        return apply_rules(grade, rubric=rubric, transcript=saved.transcript, evidence=saved.evidence,
                           finished=saved.meta.finished, baseline=baseline, track=track)

    def _meta(self, question: Question, track: Track | None, source: str, status: SessionStatus) -> SessionMeta:
        now = datetime.now(timezone.utc)
        # No budget override here: the caller chose it (flag > config > the question's own) when
        # it picked the question, and a follow-up probe keeps its shorter one.
        return SessionMeta(
            id=new_session_id(now), created_at=now, question=question, status=status,
            tool_version=__version__, track=track, source=source,  # type: ignore[arg-type]
        )

