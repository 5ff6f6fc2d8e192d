"""Transcribe an answer while it is being recorded, so the transcript is ready when it ends.

Whisper tiny.en runs at roughly 0.12-0.25 x real time on two cores: a 12-minute answer
transcribed after it ends keeps the user waiting 1.5-3 minutes. ``IncrementalTranscriber``
takes the recorder's blocks as they arrive (``feed``: cheap, thread-safe, from the recorder's
writer thread) and a single background worker cuts the audio at pauses and transcribes each
finished chunk with ``transcriber.transcribe_array(chunk, offset_s=chunk_start)``. ``finish()``
then only has to transcribe the tail after the last cut, and merges everything into one
``Transcript`` with continuous, monotonic word timestamps.

Where chunks are cut
    Silero VAD (shipped inside faster-whisper) scores each 32 ms window once, in fixed
    one-second blocks of the recording's own grid. A chunk ends at the first pause of at least
    ``min_silence_s`` after ``min_chunk_s``, a quarter second into it; with no such pause by
    ``max_chunk_s``, at the longest short gap (>= 160 ms); in speech without any gap, at the
    quietest point, and then the next chunk restarts after the last word that ended a second
    before the cut. ``max_chunk_s`` stays under Whisper's 30 s window, whose last seconds it
    tends to leave undecoded. Each chunk is decoded like a window of the whole file (no text
    conditioning).

Live = batch
    Every cut depends on the audio alone, not on when it arrived or how far behind the worker
    is, and a file is transcribed the same way (``transcribe_in_chunks``, which
    ``WhisperTranscriber.transcribe`` uses): the live transcript of a recording and the batch
    transcript of its file are the same decodes of the same chunks. Before, batch decoded
    Whisper's own 30 s windows and the live path its chunks, and the two differed by 0.6-1.7
    WER points on pause-heavy speech (bench/bench_seams.py), words lost and doubled at seams.

Chunk length
    Every Whisper window pays a fixed encoder pass whatever its length (it is padded to 30 s),
    and the time after stop is the decode of the audio since the last cut. 12-24 s chunks
    balance the two. On the bench_asr clips (bench/bench_asr.py, 2 shared cores) 6-20 s chunks
    cost RTF 0.13 against 0.11 at 12-24 s with the same WER; 20-28 s chunks gave the same WER
    and RTF within run-to-run noise (0.081 against 0.084 on a 12-minute answer) but lower ML
    term recall (0.74 / 0.70 against 0.76 / 0.74: fewer chunks, fewer chances to pick terms
    from what was heard) and a longer tail to decode after stop.

Chunk ends
    Whisper handles the end of a short window worse than a 30 s window of a long file. It
    resumes after the last word and decodes the sliver left (the VAD pad) as a window of its
    own, through all its temperature fallbacks, often inventing "Thank you." over it: so the
    audio handed over ends just after the last speech, and short, unlikely trailing segments
    over silence are dropped (``_drop_edge_hallucinations``). And it sometimes stops a clause
    early ("... for when it", "timed out." lost): a chunk that ends mid-sentence is committed
    up to its last sentence end and the rest is decoded again at the start of the next chunk
    (``_unfinished_end``), as Whisper itself does between the windows of a long file.

Sharing two cores with the recorder
    One worker thread. CTranslate2 releases the GIL while it computes, so the recorder's
    threads were never late by more than ~60 ms in the real-time benchmark, at normal priority
    and with the machine under load. ``worker_nice`` can lower the worker's priority (Linux nice
    is per thread; CTranslate2's threads inherit it only if the worker loads the model), but it
    also starves transcription whenever another process competes for the CPU.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import InterviewerError, TranscriptionError
from .models import Segment, Transcript, join_words
from .analysis.document import ends_sentence
from .audio import SAMPLE_RATE_HZ, StreamResampler, to_mono_float32
from .transcribe import TRAILING_PAD_S

log = logging.getLogger(__name__)

VAD_WINDOW = 512  # Silero's window at 16 kHz (32 ms)
# Silero's score of a window depends on where the scoring call started (its recurrent state
# starts empty on every call), so it scores fixed blocks of the recording's 32 ms grid
# (1.024 s each), each after the same warm-up: a window's score is then the same whether the
# recording arrived live or was read from a file. 1 s of warm-up keeps the scores within a
# few percent of one whole-file pass.
VAD_BLOCK_WINDOWS = 32
VAD_WARMUP_WINDOWS = 32
# Longest trailing segment that may be dropped as a chunk-edge hallucination (they span the
# few hundred ms of padding after the last word; real speech over silence does not happen).
EDGE_SEGMENT_MAX_S = 1.5
# After a cut inside speech, words ending this close to the cut are decoded again in the
# next chunk (their end, and the next word, may have been clipped).
FORCED_CUT_MARGIN_S = 1.0
SHORT_GAP_WINDOWS = 5  # 160 ms: longer than the stop closures inside words
# A chunk's last word longer than this, over speech, means Whisper skipped what followed it.
STRETCHED_WORD_S = 1.2
MAX_WORDS_PER_S = 8.0  # far above any speaker; more words than that in a sliver is invented
EDGE_MAX_LOGPROB = -0.5  # real words, even a lone last "Yes.", decode above this


class ArrayTranscriber(Protocol):
    """What the incremental transcriber needs: ``WhisperTranscriber`` satisfies it."""

    def transcribe_array(self, audio: np.ndarray, *, offset_s: float = 0.0) -> list[Segment]: ...


class ChunkingOptions(BaseModel):
    """Where the live audio is cut into chunks, and how the worker shares the CPU."""

    model_config = ConfigDict(extra="forbid")

    min_chunk_s: float = Field(
        default=12.0,
        ge=2,
        le=120,
        description="a chunk ends at the first pause after this much audio; shorter means a shorter tail "
        "to transcribe after stop, but more Whisper windows in all (slower) and less context in each",
    )
    max_chunk_s: float = Field(
        default=24.0,
        ge=4,
        le=300,
        description="cut at a short gap or the quietest point if no pause came by this length; under "
        "Whisper's 30 s window, whose last seconds it sometimes leaves undecoded",
    )
    min_silence_s: float = Field(
        default=0.5, ge=0.1, le=5, description="a pause must last this long to be a cut point"
    )
    vad_threshold: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Silero speech probability above which a window is speech; "
        "silence is below this minus 0.15",
    )
    check_every_s: float = Field(
        default=1.0, gt=0, le=30, description="look for a cut point after this much new audio"
    )
    worker_nice: int = Field(
        default=0,
        ge=0,
        le=19,
        description="nice increment for the worker thread (Linux); not needed for the recorder "
        "(measured), and it slows transcription whenever another process competes for the CPU",
    )
    preload: bool = Field(
        default=True,
        description="load the speech model on the worker thread as soon as it starts (if not loaded yet)",
    )

    @model_validator(mode="after")
    def _check_lengths(self) -> ChunkingOptions:
        if self.max_chunk_s < self.min_chunk_s + self.min_silence_s:
            raise ValueError("max_chunk_s must be at least min_chunk_s + min_silence_s")
        return self


@dataclass(frozen=True)
class IncrementalStats:
    """A snapshot for the live view and for logs; times in seconds of audio unless noted."""

    fed_s: float
    transcribed_s: float
    backlog_s: float  # fed but not transcribed yet
    max_backlog_s: float
    chunks: int  # chunks transcribed so far (silent chunks are skipped, not counted)
    busy_s: float  # wall-clock seconds the worker spent transcribing
    busy_fraction: float  # busy_s / wall-clock seconds since the first block
    finished: bool


class IncrementalTranscriber:
    """Feed recorder blocks in, get the whole transcript from ``finish()`` moments after stop.

    ``feed`` is thread-safe and only appends to a list; ``finish`` waits for the worker to
    transcribe what is left and returns the merged ``Transcript`` (empty text when no speech
    was heard: the caller decides whether that is an error). An exception in the worker stops
    transcription (``feed`` keeps accepting blocks, so a recording is never disturbed) and is
    raised by ``finish`` as a ``TranscriptionError``; the audio file on disk can then still be
    transcribed in one go.
    """

    def __init__(
        self,
        transcriber: ArrayTranscriber,
        *,
        samplerate: int = SAMPLE_RATE_HZ,
        options: ChunkingOptions | None = None,
    ) -> None:
        if samplerate < 1000:
            raise ValueError(f"samplerate {samplerate} Hz is not an audio rate")
        self.transcriber = transcriber
        self.samplerate = samplerate
        self.options = options or ChunkingOptions()
        self._resampler = None if samplerate == SAMPLE_RATE_HZ else StreamResampler(samplerate, SAMPLE_RATE_HZ)

        self._cond = threading.Condition()
        # Shared with feed() (guarded by _cond).
        self._inbox: list[np.ndarray] = []
        self._inbox_samples = 0  # at the input rate
        self._fed_samples = 0  # at the input rate
        self._first_block_at: float | None = None
        self._closing = False
        self._cancelled = False
        self._max_backlog_s = 0.0
        # Written by the worker only; read by stats() (single int/float writes are atomic).
        self._error: BaseException | None = None
        self._decoder = ChunkedDecoder(transcriber, self.options)
        self._check_samples = max(1, int(self.options.check_every_s * samplerate))

        self._idle = threading.Event()  # the worker waits for audio: only the tail is left
        self._result: Transcript | None = None
        self._worker = threading.Thread(target=self._run, name="incremental-transcriber", daemon=True)
        self._worker.start()

    # --- called by the recorder --------------------------------------------------------------

    def feed(self, block: np.ndarray) -> None:
        """Queue one block (float32 in [-1, 1] or int16; mono, or channels averaged)."""
        mono = to_mono_float32(block)
        with self._cond:
            if self._closing:
                raise RuntimeError("feed() after finish() or cancel()")
            self._fed_samples += mono.size
            if mono.size == 0 or self._error is not None:
                return  # after a worker failure only the length is kept (finish reports it)
            if self._first_block_at is None:
                self._first_block_at = time.monotonic()
            self._inbox.append(mono)
            self._inbox_samples += mono.size
            backlog = self._fed_samples / self.samplerate - self._decoder.done_samples / SAMPLE_RATE_HZ
            if backlog > self._max_backlog_s:
                self._max_backlog_s = backlog
            if self._inbox_samples >= self._check_samples:
                self._idle.clear()
                self._cond.notify()

    # --- called by the session ---------------------------------------------------------------

    def finish(self, timeout: float | None = None) -> Transcript:
        """Transcribe what is left and return the whole transcript (idempotent)."""
        with self._cond:
            if self._cancelled:
                raise RuntimeError("finish() after cancel()")
            self._closing = True
            self._cond.notify()
        self._worker.join(timeout)
        if self._worker.is_alive():
            raise TranscriptionError(
                f"live transcription did not finish within {timeout:.0f} s "
                f"({self.stats().backlog_s:.0f} s of audio still pending)"
            )
        if self._error is not None:
            if isinstance(self._error, InterviewerError):
                raise self._error
            raise TranscriptionError(f"live transcription failed: {self._error}") from self._error
        if self._result is None:
            self._result = self._merge()
        return self._result

    def cancel(self, timeout: float | None = 5.0) -> None:
        """Stop without transcribing the rest (an abandoned answer); the worker exits after
        the chunk it is on."""
        with self._cond:
            self._closing = True
            self._cancelled = True
            self._cond.notify()
        self._worker.join(timeout)

    def __enter__(self) -> IncrementalTranscriber:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._worker.is_alive() and not self._closing:
            self.cancel()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until the worker has transcribed every chunk it can cut from the audio fed so
        far (only the tail is left for ``finish``); False on timeout."""
        return self._idle.wait(timeout)

    def stats(self) -> IncrementalStats:
        with self._cond:
            fed_s = self._fed_samples / self.samplerate
            first = self._first_block_at
            max_backlog = self._max_backlog_s
        decoder = self._decoder
        done_s = decoder.done_samples / SAMPLE_RATE_HZ
        wall = time.monotonic() - first if first is not None else 0.0
        return IncrementalStats(
            fed_s=round(fed_s, 3),
            transcribed_s=round(done_s, 3),
            backlog_s=round(max(0.0, fed_s - done_s), 3),
            max_backlog_s=round(max_backlog, 3),
            chunks=decoder.chunks,
            busy_s=round(decoder.busy_s, 3),
            busy_fraction=round(min(1.0, decoder.busy_s / wall), 3) if wall > 0 else 0.0,
            finished=self._result is not None,
        )

    @property
    def chunk_bounds(self) -> list[tuple[float, float]]:
        """(start_s, end_s) of each chunk cut so far."""
        return self._decoder.chunk_bounds

    @property
    def error(self) -> BaseException | None:
        """The worker's exception, if it died (also raised by ``finish``)."""
        return self._error

    # --- worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._lower_priority()
            if self.options.preload and hasattr(self.transcriber, "load"):
                self.transcriber.load()
            busy = False  # a chunk was just transcribed: look again before sleeping
            while True:
                with self._cond:
                    if not busy:
                        if self._inbox_samples < self._check_samples:
                            self._idle.set()
                        self._cond.wait_for(
                            lambda: self._closing or self._inbox_samples >= self._check_samples
                        )
                    blocks, self._inbox, self._inbox_samples = self._inbox, [], 0
                    closing, cancelled = self._closing, self._cancelled
                if cancelled:
                    return
                if blocks:
                    audio = np.concatenate(blocks)
                    self._decoder.push(self._resampler(audio) if self._resampler is not None else audio)
                if self._decoder.step(final=closing):
                    busy = True
                    continue
                if closing:
                    return
                busy = False
        except BaseException as exc:  # noqa: BLE001 - surfaced by finish()
            log.exception("live transcription failed")
            self._error = exc
        finally:
            self._idle.set()

    def _lower_priority(self) -> None:
        nice = self.options.worker_nice
        if nice <= 0 or not hasattr(os, "setpriority"):
            return
        if getattr(self.transcriber, "loaded", False):
            log.debug("model already loaded: its compute threads keep their priority")
        try:  # on Linux the "process" id of a thread is its own tid: this renices only the worker
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
        except OSError as exc:
            log.debug("cannot lower the worker's priority: %s", exc)

    def _merge(self) -> Transcript:
        options: Any = getattr(self.transcriber, "options", None)
        return Transcript(
            text=transcript_text(self._decoder.segments),
            segments=list(self._decoder.segments),
            language=getattr(options, "language", None) or "en",
            duration_s=round(self._fed_samples / self.samplerate, 3),
            source="audio",
            model=getattr(self.transcriber, "model_label", None),
        )


def transcript_text(segments: list[Segment]) -> str:
    """The text of a transcript: its segments' texts, whitespace collapsed (live and batch alike)."""
    return " ".join(" ".join(s.text.split()) for s in segments if s.text.strip())


def transcribe_in_chunks(
    transcriber: ArrayTranscriber,
    audio: np.ndarray,
    *,
    options: ChunkingOptions | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> list[Segment]:
    """Transcribe a whole recording (float32 mono 16 kHz) chunk by chunk, exactly as the live
    path does while it is recorded: same cuts, same decodes, so the two transcripts agree."""
    decoder = ChunkedDecoder(transcriber, options or ChunkingOptions())
    decoder.push(np.asarray(audio, dtype=np.float32))
    total = round(audio.size / SAMPLE_RATE_HZ, 3)  # a transcript's duration_s
    if progress is not None:
        progress(0.0, total)
    while decoder.step(final=True):
        if progress is not None and decoder.done_samples < audio.size:
            progress(min(decoder.done_samples / SAMPLE_RATE_HZ, total), total)
    if progress is not None:
        progress(total, total)
    return decoder.segments


class ChunkedDecoder:
    """Cuts 16 kHz audio at pauses, as it arrives, and transcribes each finished chunk.

    The live worker and batch transcription (``transcribe_in_chunks``) both run this, so a
    recording gets the same transcript either way. For that, every decision depends on the
    audio alone, never on when it arrived or how far behind the worker is: Silero scores
    fixed blocks of the recording's own 32 ms grid (a window's score depends on where the
    scoring call starts), and a chunk ends at the first pause after ``min_chunk_s``, at a
    point that is known as soon as enough of the pause has been heard.
    """

    def __init__(self, transcriber: ArrayTranscriber, options: ChunkingOptions) -> None:
        self.transcriber = transcriber
        self.options = options
        self.done_samples = 0  # 16 kHz samples transcribed (where the pending audio starts)
        self.chunks = 0  # chunks transcribed (silent ones are skipped, not counted)
        self.busy_s = 0.0  # wall-clock seconds spent transcribing
        self.segments: list[Segment] = []
        self.chunk_bounds: list[tuple[float, float]] = []  # (start_s, end_s) of each cut chunk
        self._pending = np.zeros(0, np.float32)  # audio from done_samples on
        self._scores = np.zeros(0, np.float32)  # VAD score of every whole window since the start
        self._vad_audio = np.zeros(0, np.float32)  # audio from window _vad_from on, not yet scored
        self._vad_from = 0  # (with the warm-up windows before it)

    def push(self, audio: np.ndarray) -> None:
        """Append 16 kHz mono float32 audio."""
        if audio.size:
            self._pending = np.concatenate([self._pending, audio]) if self._pending.size else audio
            self._vad_audio = np.concatenate([self._vad_audio, audio]) if self._vad_audio.size else audio

    def step(self, *, final: bool) -> bool:
        """Cut and transcribe the next chunk if one is ready; False when there is none (wait for
        more audio, or, when ``final``, everything is transcribed)."""
        self._score(final=final)
        found = self._find_cut(final=final)
        if found is None:
            return False
        self._transcribe_chunk(*found, final=final)
        return True

    def _score(self, *, final: bool) -> None:
        """Score every whole block of VAD_BLOCK_WINDOWS windows fed so far (and, when ``final``,
        the last whole windows), each with the VAD_WARMUP_WINDOWS windows before it, up to two
        chunks past the pending audio's start (the cut of this chunk and of the next): a file's
        blocks are scored as its chunks are decoded, not all before the first one (3.5 s of a
        12-minute answer). A block's score does not depend on when it is scored."""
        whole = self._vad_from + self._vad_audio.size // VAD_WINDOW  # windows fed since the start
        horizon = (self.done_samples + 2 * int(self.options.max_chunk_s * SAMPLE_RATE_HZ)) // VAD_WINDOW + 2
        while True:
            scored = self._scores.size
            if scored > horizon:
                return
            n = VAD_BLOCK_WINDOWS if whole - scored >= VAD_BLOCK_WINDOWS else (whole - scored if final else 0)
            if n <= 0:
                return
            from faster_whisper.vad import get_vad_model

            lo = max(0, scored - VAD_WARMUP_WINDOWS)
            piece = self._vad_audio[(lo - self._vad_from) * VAD_WINDOW : (scored + n - self._vad_from) * VAD_WINDOW]
            # A copy: faster-whisper's Silero wrapper zeroes the last 64 samples of the array it
            # is given, in place. On a view of the pending audio that put 4 ms of silence into
            # every 1 s block Whisper then decoded, where the live path (its own copies) had
            # none: the two transcripts of one recording differed by a few words.
            probs = np.asarray(get_vad_model()(piece.copy())).reshape(-1)[scored - lo :].astype(np.float32)
            self._scores = np.concatenate([self._scores, probs])
            keep_from = max(0, self._scores.size - VAD_WARMUP_WINDOWS)  # the next block's warm-up
            self._vad_audio = self._vad_audio[(keep_from - self._vad_from) * VAD_WINDOW :]
            self._vad_from = keep_from

    def _window_probs(self, done: int | None = None) -> tuple[np.ndarray, int]:
        """The scores of the whole windows of the audio from sample ``done`` (default: the
        pending audio), and the sample (0-511) of that audio where the first of them starts
        (a resumed chunk starts off the grid)."""
        done = self.done_samples if done is None else done
        first = -(-done // VAD_WINDOW)
        return self._scores[first:], first * VAD_WINDOW - done

    def _find_cut(self, *, final: bool, skip: int = 0) -> tuple[int, bool] | None:
        """(sample index in the pending audio after its first ``skip`` samples where the next
        chunk ends, whether it is a forced cut inside speech), or None to wait for more audio."""
        o = self.options
        pending = self._pending[skip:]
        n = pending.size
        if n == 0:
            return None
        probs, skew = self._window_probs(self.done_samples + skip)
        max_samples = int(o.max_chunk_s * SAMPLE_RATE_HZ)
        min_w = math.ceil(o.min_chunk_s * SAMPLE_RATE_HZ / VAD_WINDOW)
        max_w = max_samples // VAD_WINDOW
        probs = probs[: max_w + 1]
        silent = probs < max(o.vad_threshold - 0.15, 0.01)
        half = max(1, round(o.min_silence_s * SAMPLE_RATE_HZ / VAD_WINDOW) // 2)
        # The first pause after min_chunk_s, cut half min_silence_s into it (or at min_chunk_s,
        # with as much pause on each side): known once that much of the pause is heard, however
        # the audio arrived, so the live and the batch transcripts make the same cuts.
        for start, end in _runs(silent):
            cut = max(start + half, min_w)
            if cut + half <= end and cut <= max_w:
                return skew + cut * VAD_WINDOW, False
        if final and n <= max_samples:
            return n, False
        if probs.size <= max_w and not final:
            return None  # a pause may still come before max_chunk_s
        lo, hi = min_w, min(max_w, probs.size)
        if hi <= lo:
            return n, False
        # No real pause: the longest short gap (a quick breath between sentences) ...
        gaps = [(end - start, start, end) for start, end in _runs(silent[lo:hi]) if end - start >= SHORT_GAP_WINDOWS]
        if gaps:
            _, start, end = max(gaps)
            log.debug("no %.1f s pause within %.0f s: cutting at a shorter gap", o.min_silence_s, o.max_chunk_s)
            return skew + (lo + (start + end) // 2) * VAD_WINDOW, False
        # ... or, in speech without any gap, the quietest ~100 ms (speech score, then energy).
        smooth = np.convolve(probs, np.ones(3) / 3, mode="same")[lo:hi]
        frames = pending[skew + lo * VAD_WINDOW : skew + hi * VAD_WINDOW].reshape(-1, VAD_WINDOW)
        energy = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
        score = np.round(smooth, 2) + energy / (energy.max() + 1e-9) * 0.01
        log.debug("no gap within %.0f s: cutting inside speech at the quietest point", o.max_chunk_s)
        return skew + (lo + int(np.argmin(score))) * VAD_WINDOW, True

    def _transcribe_chunk(self, cut: int, forced: bool, *, final: bool = False) -> None:
        start_s = self.done_samples / SAMPLE_RATE_HZ
        decoded = self._decoded_end(cut, forced)
        if decoded is not None:
            end, win = decoded
            # The terms primed for this chunk follow what was said before it (a transcriber that
            # offers for_next_chunk, like WhisperTranscriber): the same text live and in batch.
            adapt = getattr(self.transcriber, "for_next_chunk", None)
            transcriber = adapt(transcript_text(self.segments)) if adapt is not None else self.transcriber
            self._prepare_next(transcriber, cut, final=final)
            t0 = time.monotonic()
            segments = transcriber.transcribe_array(self._pending[:end], offset_s=start_s)
            elapsed = time.monotonic() - t0
            self.busy_s += elapsed
            if forced:
                limit = start_s + cut / SAMPLE_RATE_HZ - FORCED_CUT_MARGIN_S
                segments, cut = self._resume_after_last_word(segments, cut, start_s, limit)
            else:
                segments = self._drop_edge_hallucinations(segments, win, start_s)
                unfinished = self._unfinished_end(segments, win, start_s) if cut < self._pending.size else None
                if unfinished is not None:
                    segments, cut = self._resume_after_last_word(segments, cut, start_s, unfinished)
            self.segments.extend(self._clean(segments, start_s, start_s + cut / SAMPLE_RATE_HZ))
            self.chunks += 1
            self.chunk_bounds.append((round(start_s, 3), round((self.done_samples + cut) / SAMPLE_RATE_HZ, 3)))
            log.debug("chunk %.1f-%.1f s transcribed in %.2f s", start_s, start_s + cut / SAMPLE_RATE_HZ, elapsed)
        self._pending = self._pending[cut:]
        self.done_samples += cut

    def _decoded_end(self, cut: int, forced: bool, skip: int = 0) -> tuple[int, np.ndarray] | None:
        """For the chunk of the pending audio from ``skip`` to ``skip + cut``: where the audio
        handed to the transcriber ends (relative to ``skip``) and the VAD scores of its whole
        windows; None when the chunk is silent throughout."""
        probs, skew = self._window_probs(self.done_samples + skip)
        whole = max(0, (cut - skew) // VAD_WINDOW)  # windows wholly inside the chunk
        win = probs[:whole]
        # Skip what Silero scores as silence throughout (e.g. a long thinking pause): the
        # transcriber's own VAD would drop it anyway, after loading and padding a window.
        scored_all = win.size == whole
        if cut < VAD_WINDOW or (scored_all and (win.size == 0 or float(win.max()) < self.options.vad_threshold)):
            return None
        end = cut
        if not forced:
            # End the audio just after the last speech: the silence after it is what
            # Whisper would otherwise decode as a last sliver (see _drop_edge_hallucinations),
            # through all its temperature fallbacks, which costs more than the chunk itself.
            # (WhisperTranscriber trims every array the same way with its own VAD pass; the
            # scores here are already at hand and serve any Transcriber.)
            speech = np.flatnonzero(win >= self.options.vad_threshold)
            if speech.size and scored_all:
                end = min(cut, skew + (int(speech[-1]) + 1) * VAD_WINDOW + int(TRAILING_PAD_S * SAMPLE_RATE_HZ))
        return end, win

    def _prepare_next(self, transcriber: ArrayTranscriber, cut: int, *, final: bool) -> None:
        """Tell a transcriber that can use it (WhisperTranscriber.prepare) which audio follows
        the chunk it is about to decode, when that is known: the next chunk starts at ``cut``
        unless this one is resumed after its last word (then a head start is lost, not the
        result). Live, the next chunk is usually not recorded yet."""
        prepare = getattr(transcriber, "prepare", None)
        found = self._find_cut(final=final, skip=cut) if prepare is not None else None
        if found is None:
            return
        decoded = self._decoded_end(*found, skip=cut)
        if decoded is not None:
            prepare(self._pending[cut : cut + decoded[0]])

    def _unfinished_end(self, segments: list[Segment], probs: np.ndarray, start_s: float) -> float | None:
        """Where the last finished sentence of a chunk ends, if its text stops mid-sentence.

        Whisper, given a window whose speech ends early, sometimes stops decoding a clause or
        two before the end ("... a fallback for when it", "timed out." gone) and the aligner
        stretches the last word over what it skipped. A chunk whose last word does not end a
        sentence, or lasts over a second of speech, is therefore committed only up to its last
        sentence end; the rest is decoded again, with what follows, in the next chunk.
        """
        words = [w for seg in segments for w in seg.words]
        if not words:
            return None
        last = words[-1]
        lo = int((last.start - start_s + 0.5) * SAMPLE_RATE_HZ / VAD_WINDOW)
        hi = int((last.end - start_s) * SAMPLE_RATE_HZ / VAD_WINDOW)
        span = probs[lo:hi]
        stretched = (
            last.end - last.start >= STRETCHED_WORD_S
            and span.size > 0
            and float((span >= self.options.vad_threshold).mean()) >= 0.5
        )
        if ends_sentence(last.text) and not stretched:
            return None
        ends = [w.end for w in words[:-1] if ends_sentence(w.text)]
        if not ends:
            return None
        log.debug("chunk ends mid-sentence (%r%s): decoding from %.2f s again", last.text,
                  ", stretched" if stretched else "", max(ends))
        return max(ends)

    def _resume_after_last_word(
        self, segments: list[Segment], cut: int, start_s: float, limit: float
    ) -> tuple[list[Segment], int]:
        """Keep the words that end by ``limit`` and start the next chunk right after them (what
        Whisper itself does between 30 s windows). After a cut inside speech, ``limit`` is a
        margin before the cut, so the word the cut went through, and any text invented over the
        cut-off tail, are decoded again with their context in the next chunk."""
        from .vocabulary import is_hesitation

        # The next chunk starts after the last spoken word, not after a hesitation merged in
        # behind it: that one is heard again there ("name. Uh," then "Uh, so" doubled "uh").
        ends = [w.end for seg in segments for w in seg.words if w.end <= limit and not is_hesitation(w.text)]
        if not ends or (max(ends) - start_s) < self.options.min_chunk_s / 2:
            return segments, cut  # no word timestamps (or nothing usable): keep the cut
        last = max(ends)
        kept: list[Segment] = []
        for seg in segments:
            words = []
            for w in seg.words:
                if w.end > last or (is_hesitation(w.text) and words and words[-1].end >= last):
                    break
                words.append(w)
            if len(words) == len(seg.words) and seg.words:
                kept.append(seg)
                continue
            if words:
                text = join_words(words)
                kept.append(seg.model_copy(update={"end": words[-1].end, "text": text, "words": words}))
            break
        return kept, int(round((last - start_s) * SAMPLE_RATE_HZ))

    def _drop_edge_hallucinations(self, segments: list[Segment], probs: np.ndarray, start_s: float) -> list[Segment]:
        """Drop text Whisper invents over the silence that ends a chunk.

        With word timestamps, faster-whisper resumes after the last word and decodes the few
        hundred ms left (the VAD pad) as a window of its own; over silence that often yields
        "Thank you." or a made-up sentence. A whole file has one such end, a chunked answer one
        per chunk, so a short trailing segment is dropped when it packs more words than anyone
        can say in its time, or when it lies mostly over audio Silero scores as non-speech and
        decoded with low confidence. Punctuation-only segments are dropped anywhere.
        """
        kept = [s for s in segments if any(ch.isalnum() for ch in s.text)]
        thr = self.options.vad_threshold
        while kept:
            seg = kept[-1]
            duration = seg.end - seg.start
            if duration > EDGE_SEGMENT_MAX_S:
                break
            lo = max(0, int((seg.start - start_s) * SAMPLE_RATE_HZ / VAD_WINDOW))
            hi = max(lo + 1, math.ceil((seg.end - start_s) * SAMPLE_RATE_HZ / VAD_WINDOW))
            span = probs[lo:hi]
            too_fast = len(seg.text.split()) > max(3.0, MAX_WORDS_PER_S * duration)
            # Invented words are aligned right after the last real one, so a window or two of
            # speech tail under them is normal; real words decode confidently.
            over_silence = span.size > 0 and float((span >= thr).mean()) < 0.5
            unsure = seg.avg_logprob is None or seg.avg_logprob < EDGE_MAX_LOGPROB
            if not (too_fast or (over_silence and unsure)):
                break
            log.debug("dropped %r at %.2f-%.2f s: invented at a chunk end", seg.text, seg.start, seg.end)
            kept.pop()
        return kept

    def _clean(self, segments: list[Segment], lo: float, hi: float) -> list[Segment]:
        """Keep times inside the chunk and non-decreasing across chunks (ms precision, as the
        transcriber gives them)."""
        lo, hi = round(lo, 3), round(hi, 3)
        last = self.segments[-1].end if self.segments else 0.0
        last_word = next((s.words[-1].end for s in reversed(self.segments) if s.words), 0.0)
        out = []
        for seg in segments:
            if not any(ch.isalnum() for ch in seg.text):
                continue
            words = []
            for w in seg.words:
                ws = round(min(max(w.start, lo, last_word), hi), 3)
                we = round(min(max(w.end, ws), hi), 3)
                words.append(w.model_copy(update={"start": ws, "end": we}) if (ws, we) != (w.start, w.end) else w)
                last_word = we
            s0 = round(min(max(seg.start, lo, last), hi), 3)
            s1 = round(min(max(seg.end, s0), hi), 3)
            out.append(seg.model_copy(update={"start": s0, "end": s1, "words": words}))
            last = s1
        return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs in a boolean array."""
    if mask.size == 0:
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))
