"""One spoken practice answer: speak the question, record it live, transcribe while recording.

The recorder writes into the session folder from the first block, and the session exists before
the first word is spoken, so Ctrl-C, a crash or a failing grader never loses the answer: it can
be transcribed and graded later with ``interviewer regrade``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from .errors import AudioDeviceError, InterviewerError, MissingDependency, TranscriptionError
from .models import Question, Track
from .session import Outcome, ProgressCallback, SessionService, StepCallback
from .store import SavedSession, Store

if TYPE_CHECKING:
    from rich.console import Console

    from .incremental import IncrementalTranscriber
    from .speech.tts import Speaker

log = logging.getLogger(__name__)

ANSWER_FILE = "answer.wav"


class AnswerOptions(BaseModel):
    """How one answer is recorded."""

    model_config = ConfigDict(extra="forbid")

    allow_overtime: bool = Field(default=False, description="keep recording past the budget, marked as overtime")
    silence_stop_s: float | None = Field(
        default=None, ge=20, description="stop after this much silence (off by default; thinking pauses are fine)"
    )
    incremental: bool = Field(default=True, description="transcribe while the candidate speaks")


class AnswerInterrupted(InterviewerError):
    """Ctrl-C during an answer: the audio is saved and the session marked unfinished."""

    exit_code = 130

    def __init__(self, saved: SavedSession) -> None:
        super().__init__(
            f"answer interrupted: {saved.meta.duration_s or 0:.0f} s of audio kept as unfinished session "
            f"{saved.meta.id}",
            hint=f"grade it later with `interviewer regrade {saved.meta.id}`",
        )
        self.saved = saved


@dataclass
class MicStatus:
    available: bool
    reason: str


def microphone_status(device: str | int | None = None) -> MicStatus:
    """Whether a usable input device exists, and if not, why (in one line)."""
    try:
        from .speech.devices import list_devices, resolve_device

        if device is not None:
            info = resolve_device(device, "input")
            return MicStatus(True, info.name)
        inputs = list_devices("input")
    except (MissingDependency, AudioDeviceError) as exc:
        return MicStatus(False, str(exc))
    if not inputs:
        return MicStatus(False, "no microphone (audio input device) found")
    return MicStatus(True, inputs[0].name)


def ask(speaker: Speaker, question: Question) -> str | None:
    """Speak the question; returns a note when the voice failed (the text is shown anyway)."""
    try:
        speaker.say(question.text)
    except (AudioDeviceError, MissingDependency) as exc:
        return f"could not speak the question ({exc}); read it on screen"
    return None


@dataclass
class Recorded:
    """A finished recording, its session and the live transcriber holding its transcript."""

    saved: SavedSession
    stopped_by: str
    incremental: IncrementalTranscriber | None


def record_live(
    service: SessionService,
    question: Question,
    *,
    track: Track | None,
    console: Console | None = None,
    options: AnswerOptions | None = None,
    stop: threading.Event | None = None,
) -> Recorded:
    """Record one answer into a new session with the live clock, transcribing as it arrives."""
    from .speech.live import record_answer
    from .speech.recorder import Recorder

    opts = options or AnswerOptions()
    recorder = Recorder(service.settings.audio)  # device errors surface before a session exists
    saved = service.start_recorded(question, track=track, source="mic")
    service.store.update_meta(saved, audio_file=ANSWER_FILE)

    incremental = None
    if opts.incremental:
        from .incremental import IncrementalTranscriber

        try:
            service.transcriber.load()  # type: ignore[attr-defined]
            # The question's vocabulary and the filler phrase go into every chunk's decode.
            incremental = IncrementalTranscriber(service.transcriber_for(question), samplerate=recorder.samplerate)  # type: ignore[arg-type]
        except InterviewerError as exc:
            log.warning("live transcription unavailable, will transcribe after the answer: %s", exc)

    result = record_answer(
        recorder, saved.folder / ANSWER_FILE, budget_s=question.time_budget_s, console=console,
        stop=stop or threading.Event(), on_block=incremental.feed if incremental else None,
        allow_overtime=opts.allow_overtime, silence_stop_s=opts.silence_stop_s,
    )
    service.store.update_meta(saved, duration_s=result.duration_s)
    if result.stopped_by == "interrupt":
        if incremental:
            # Wait for the chunk in flight: exiting while CTranslate2 runs in a thread aborts.
            incremental.cancel(timeout=None)
        service.store.update_meta(saved, finished=False)
        raise AnswerInterrupted(saved)
    return Recorded(saved, result.stopped_by, incremental)


def finish_live(
    service: SessionService,
    recorded: Recorded,
    *,
    on_step: StepCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> Outcome:
    """Collect the live transcript (only the last piece is left to do), then analyze and grade."""
    transcript = None
    if recorded.incremental is not None:
        if on_step:
            on_step("transcribing")
        try:
            transcript = recorded.incremental.finish()
        except TranscriptionError as exc:
            log.warning("live transcription failed, transcribing the file instead: %s", exc)
        if transcript is not None and not transcript.text.strip():
            transcript = None  # the file path reports silence in one clear line
    return service.finish_recorded(
        recorded.saved, transcript, finished=recorded.stopped_by != "device_lost", stopped_by=recorded.stopped_by,
        on_step=on_step, on_progress=on_progress,
    )


def bank_question(question_id: str | None, round_: str | None, track: Track | None, exclude: set[str]) -> Question:
    from .bank import load_bank

    bank = load_bank()
    if question_id:
        return bank.get(question_id)
    return bank.pick(round=round_, track=track, exclude=exclude)


@dataclass
class Again:
    """A question to ask again exactly as it was asked in an earlier session."""

    previous_id: str
    question: Question
    track: Track | None


def again(store: Store, ref: str) -> Again:
    """The question of session ``ref`` (an id, a unique prefix or 'last'), with the round and
    time budget it was asked with, and its track; a bank question edited since is asked as it
    was then, so the two attempts compare."""
    saved = store.load(ref)
    return Again(previous_id=saved.meta.id, question=saved.meta.question, track=saved.meta.track)

