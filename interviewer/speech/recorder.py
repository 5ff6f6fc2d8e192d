"""Record the spoken answer to a WAV file that stays readable whatever happens to the process.

Threads and their jobs:

* PortAudio's audio callback only copies each block into a queue (and counts overflows);
  it never touches the disk, numpy maths or Python callbacks that could stall it.
* A writer thread takes blocks off the queue, appends them to a 16-bit mono WAV file, patches
  the header's length and flushes after every block (~0.1 s), updates :class:`RecorderState`
  (levels, elapsed, warnings) and then hands the block to ``on_block``. A SIGKILL therefore
  leaves a decodable file missing at most the last block or two.
* The calling thread waits for a stop reason: the ``stop`` event (a key press), the time limit,
  a long silence, a stalled device, or Ctrl-C.

Ctrl-C: ``record`` catches the KeyboardInterrupt, finalises the file and *returns* a result with
``stopped_by="interrupt"`` so the caller can keep the audio; the caller decides whether to
re-raise (the session saves it as "recorded", then exits 130).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..render import clock

from ..errors import AudioDeviceError, StoreError
from ..settings import AudioSettings
from .devices import FLOOR_DBFS, NO_DEVICE_HINT, block_levels, import_sounddevice, resolve_device

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

StoppedBy = Literal["key", "time_limit", "silence", "interrupt", "device_lost"]

# Remaining-time warnings (seconds left); each is added once to RecorderState.warnings.
WARN_AT_S = (120, 30)
# Thinking pauses are normal in an interview answer: never cut off on a short silence.
MIN_SILENCE_STOP_S = 20.0
SILENCE_DBFS = -45.0
BLOCK_S = 0.1
# No block for this long (with none waiting in the queue) means the device went away.
STALL_TIMEOUT_S = 5.0
QUEUE_MAX_BLOCKS = 1200  # two minutes of 0.1 s blocks: the writer is never that far behind




@dataclass
class RecorderState:
    """What the live view shows; written by the writer thread, read by anyone."""

    budget_s: float
    samplerate: int = 16000
    device: str = ""
    allow_overtime: bool = False
    frames: int = 0
    started: bool = False  # the first audio block has arrived
    level_dbfs: float = FLOOR_DBFS
    peak_dbfs: float = FLOOR_DBFS
    silence_s: float = 0.0
    dropped_blocks: int = 0
    warnings: list[str] = field(default_factory=list)
    finished: bool = False
    stopped_by: StoppedBy | None = None

    @property
    def elapsed_s(self) -> float:
        return self.frames / self.samplerate

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.budget_s - self.elapsed_s)

    @property
    def overtime_s(self) -> float:
        return max(0.0, self.elapsed_s - self.budget_s)

    @property
    def overtime(self) -> bool:
        return self.elapsed_s > self.budget_s

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)


@dataclass(frozen=True)
class RecordingResult:
    path: Path
    duration_s: float
    frames: int
    samplerate: int
    dropped_blocks: int
    stopped_by: StoppedBy
    budget_s: float
    overtime_s: float = 0.0
    first_block_latency_s: float | None = None
    warnings: tuple[str, ...] = ()
    on_block_error: str | None = None

    @property
    def overtime(self) -> bool:
        return self.overtime_s > 0


OnBlock = Callable[["np.ndarray"], None]


class _Writer(threading.Thread):
    """Queue -> WAV file (header patched and flushed per block) -> state -> on_block."""

    def __init__(
        self,
        path: Path,
        blocks: queue.Queue,
        state: RecorderState,
        *,
        limit_frames: int | None,
        silence_stop_s: float | None,
        silence_dbfs: float,
        on_block: OnBlock | None,
    ) -> None:
        super().__init__(name="recorder-writer", daemon=True)
        self.path = path
        self.blocks = blocks
        self.state = state
        self.limit_frames = limit_frames
        self.silence_stop_s = silence_stop_s
        self.silence_dbfs = silence_dbfs
        self.on_block = on_block
        self.reason: StoppedBy | None = None
        self.error: BaseException | None = None
        self.on_block_error: str | None = None
        self.last_block_at = time.monotonic()
        self.first_block_at: float | None = None
        self.wake = threading.Event()
        self._file = open(path, "wb")  # noqa: SIM115 - closed in run()
        self._wav = wave.open(self._file, "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(state.samplerate)
        self._wav.writeframes(b"")  # header now: even an instantly killed run leaves a valid file
        self._file.flush()

    def run(self) -> None:
        try:
            while True:
                block = self.blocks.get()
                if block is None:
                    break
                self._handle(block)
        except BaseException as exc:  # noqa: BLE001 - reported to the recording thread
            log.exception("recorder writer failed")
            self.error = exc
            self.wake.set()
        finally:
            try:
                self._wav.close()
            finally:
                self._file.close()

    def _handle(self, block: np.ndarray) -> None:
        import numpy as np

        now = time.monotonic()
        self.last_block_at = now
        if self.first_block_at is None:
            self.first_block_at = now
        st = self.state
        if self.limit_frames is not None:
            room = self.limit_frames - st.frames
            if room <= 0:
                return  # past the limit: the stream is being stopped
            block = block[:room]
        mono = block.reshape(-1)
        self._wav.writeframes(mono.astype("<i2", copy=False).tobytes())
        self._file.flush()

        seconds = mono.size / st.samplerate
        st.level_dbfs, st.peak_dbfs = block_levels(mono)
        st.started = True
        st.frames += mono.size
        for left in WARN_AT_S:
            if st.budget_s > left and st.remaining_s <= left:
                st.warn(f"{clock(int(left))} left")
        if st.overtime:
            st.warn("overtime")
        st.silence_s = st.silence_s + seconds if st.level_dbfs < self.silence_dbfs else 0.0

        if self.limit_frames is not None and st.frames >= self.limit_frames:
            self._finish("time_limit")
        elif self.silence_stop_s is not None and st.silence_s >= self.silence_stop_s:
            self._finish("silence")

        if self.on_block is not None and self.on_block_error is None:
            try:
                self.on_block(mono.astype(np.float32) / 32768.0)
            except Exception as exc:  # noqa: BLE001 - a consumer bug must not lose the recording
                log.exception("on_block callback failed; no more blocks are passed to it")
                self.on_block_error = f"{type(exc).__name__}: {exc}"
                st.warn("live transcription stopped (error)")

    def _finish(self, reason: StoppedBy) -> None:
        if self.reason is None:
            self.reason = reason
            self.wake.set()


def _write_error(path: Path, exc: BaseException) -> BaseException:
    if isinstance(exc, OSError):
        return StoreError(f"cannot write the recording {path}: {exc.strerror or exc}")
    return exc


class Recorder:
    """Records mono 16-bit audio from one input device (``AudioSettings.input_device``)."""

    def __init__(
        self,
        settings: AudioSettings | None = None,
        *,
        device: str | int | None = None,
        samplerate: int | None = None,
        block_s: float = BLOCK_S,
        silence_dbfs: float = SILENCE_DBFS,
        stall_timeout_s: float = STALL_TIMEOUT_S,
    ) -> None:
        settings = settings or AudioSettings()
        self.device = device if device is not None else settings.input_device
        self.samplerate = samplerate or settings.samplerate
        self.block_s = block_s
        self.silence_dbfs = silence_dbfs
        self.stall_timeout_s = stall_timeout_s
        self.state = RecorderState(budget_s=0.0, samplerate=self.samplerate)

    def record(
        self,
        path: Path | str,
        *,
        budget_s: float,
        stop: threading.Event,
        on_block: OnBlock | None = None,
        allow_overtime: bool = False,
        silence_stop_s: float | None = None,
        max_overtime_s: float | None = None,
    ) -> RecordingResult:
        """Record until ``stop`` is set, the budget runs out, or another stop reason fires.

        ``on_block`` gets each block as float32 mono in [-1, 1] at ``samplerate``, on the writer
        thread after the block is on disk; keep it quick (queue the work elsewhere).
        ``allow_overtime`` keeps recording past the budget (marked overtime) until ``stop``,
        or until ``max_overtime_s`` more when given. ``silence_stop_s`` (None = off, minimum
        20 s) stops after that much continuous silence.
        """
        if budget_s <= 0:
            raise ValueError("budget_s must be positive")
        if silence_stop_s is not None and silence_stop_s < MIN_SILENCE_STOP_S:
            raise ValueError(
                f"silence_stop_s must be at least {MIN_SILENCE_STOP_S:.0f} s (thinking pauses are normal)"
            )
        path = Path(path)
        sd = import_sounddevice()
        info = resolve_device(self.device, "input")
        sr = self.samplerate
        state = RecorderState(
            budget_s=float(budget_s), samplerate=sr, device=info.name, allow_overtime=allow_overtime
        )
        self.state = state

        blocks: queue.Queue = queue.Queue(maxsize=QUEUE_MAX_BLOCKS)
        counters = {"overflow": 0, "full": 0}

        def callback(indata, frames, time_info, status):  # type: ignore[no-untyped-def]
            # Real-time thread: copy and queue, nothing else.
            if status.input_overflow:
                counters["overflow"] += 1
            try:
                blocks.put_nowait(indata.copy())
            except queue.Full:
                counters["full"] += 1

        try:
            stream = sd.InputStream(
                device=info.index,
                samplerate=sr,
                channels=1,
                dtype="int16",
                blocksize=max(1, int(sr * self.block_s)),
                callback=callback,
            )
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioDeviceError(
                f"cannot open input device {info.name!r} at {sr} Hz: {exc}", hint=NO_DEVICE_HINT
            ) from exc

        if allow_overtime:
            limit = None if max_overtime_s is None else int((budget_s + max_overtime_s) * sr)
        else:
            limit = int(round(budget_s * sr))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = _Writer(
                path,
                blocks,
                state,
                limit_frames=limit,
                silence_stop_s=silence_stop_s,
                silence_dbfs=self.silence_dbfs,
                on_block=on_block,
            )
        except OSError as exc:
            stream.close()
            raise _write_error(path, exc) from exc
        writer.start()

        reason: StoppedBy | None = None
        no_audio = False
        started_at = time.monotonic()
        try:
            try:
                stream.start()
            except sd.PortAudioError as exc:
                raise AudioDeviceError(f"cannot start recording from {info.name!r}: {exc}") from exc
            writer.last_block_at = started_at = time.monotonic()
            while reason is None:
                if stop.wait(0.05):
                    reason = "key"
                elif writer.error is not None:
                    break
                elif writer.reason is not None:
                    reason = writer.reason
                elif not stream.active:
                    reason = "device_lost"
                elif blocks.empty() and time.monotonic() - writer.last_block_at > self.stall_timeout_s:
                    if not state.started:
                        no_audio = True
                        break
                    reason = "device_lost"
                state.dropped_blocks = counters["overflow"] + counters["full"]
        except KeyboardInterrupt:
            reason = "interrupt"
        finally:
            try:
                stream.stop(ignore_errors=True)
                stream.close(ignore_errors=True)
            finally:
                # After the last block: the writer drains the queue, then closes the file.
                while writer.is_alive():
                    try:
                        blocks.put(None, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                writer.join()
        if writer.error is not None:
            raise _write_error(path, writer.error)
        if no_audio:
            raise AudioDeviceError(
                f"no audio arrived from input device {info.name!r} in {self.stall_timeout_s:.0f} s",
                hint=NO_DEVICE_HINT,
            )
        if reason is None:  # pragma: no cover - every exit path above sets it
            reason = "device_lost"
        if reason == "device_lost":
            state.warn("the input device stopped sending audio")
        state.dropped_blocks = counters["overflow"] + counters["full"]
        if state.dropped_blocks:
            state.warn(f"{state.dropped_blocks} audio blocks dropped")
        state.stopped_by = reason
        state.finished = True
        first = None if writer.first_block_at is None else writer.first_block_at - started_at
        log.debug("recorded %.2f s to %s (%s)", state.elapsed_s, path, reason)
        return RecordingResult(
            path=path,
            duration_s=state.elapsed_s,
            frames=state.frames,
            samplerate=sr,
            dropped_blocks=state.dropped_blocks,
            stopped_by=reason,
            budget_s=float(budget_s),
            overtime_s=state.overtime_s,
            first_block_latency_s=first,
            warnings=tuple(state.warnings),
            on_block_error=writer.on_block_error,
        )
