"""Whisper encoder outputs and Silero VAD scores shared between decodes, and computed ahead for
the next chunk.

Every chunk of an answer is decoded twice (the words' decode and the filler-styled decode,
interviewer.transcribe), and each decode starts by running Whisper's encoder on the same padded
30 s window: about 0.4 s on one core for tiny.en, a quarter of a chunk's words' decode. The
encoder's output depends on the window's features alone, so one pass can serve both decodes,
and the filler worker, which finishes its decode before the words' decode does, can run the
next chunk's encoder pass ahead of time.

Silero VAD is the same story on a smaller scale: a chunk was scored five times (its speech end
and the window ahead, the transcriber's own spans, and faster-whisper's VAD filter in each of the
two decodes), 2.2 s per pass over a 12-minute answer, most of it on the words' decode's thread.
The scores of an array depend on its samples alone, so each distinct array is scored once
(``shared_vad``), the next chunk's ahead of time with its encoder pass.

Results are the same bits as without the caches; only who computes them, and when, changes
(bench/bench_rtf.py for the speed).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any, Callable

import numpy as np

# Windows kept: the current chunk's and the next one's, with room for a lost-speech decode.
CAPACITY = 6


class RunOnce:
    """A task two threads may both offer to run; the first to call it runs it, the other returns
    at once (the next chunk's encoder pass, by whichever decode of this chunk ends first)."""

    def __init__(self, task: Callable[[], None]) -> None:
        self._task = task
        self._lock = threading.Lock()
        self._claimed = False

    def __call__(self) -> None:
        with self._lock:
            if self._claimed:
                return
            self._claimed = True
        self._task()


def window_key(features: np.ndarray) -> bytes:
    """A digest of one encoder window's features (80 x 3000 float32 for tiny.en: ~1 ms)."""
    data = np.ascontiguousarray(features, dtype=np.float32)
    return hashlib.blake2b(data.tobytes(), digest_size=16, person=str(data.shape).encode()[:16]).digest()


class EncoderCache:
    """Outputs of a deterministic pass by its input's digest (encoder windows, VAD scores); an
    input asked for while another thread computes it waits for that pass instead of running a
    second one."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._outputs: OrderedDict[bytes, Future[Any]] = OrderedDict()

    def get(self, features: np.ndarray, encode: Callable[[np.ndarray], Any]) -> Any:
        key = window_key(features)
        with self._lock:
            future = self._outputs.get(key)
            if future is not None:
                self._outputs.move_to_end(key)
                self.hits += 1
                owner = False
            else:
                future = Future()
                self._outputs[key] = future
                while len(self._outputs) > self.capacity:
                    self._outputs.popitem(last=False)
                self.misses += 1
                owner = True
        if owner:
            try:
                future.set_result(encode(features))
            except BaseException as exc:
                with self._lock:
                    if self._outputs.get(key) is future:
                        del self._outputs[key]
                future.set_exception(exc)
                raise
        return future.result()

    def holds(self, features: np.ndarray) -> bool:
        with self._lock:
            return window_key(features) in self._outputs


def first_window(model: Any, audio: np.ndarray) -> np.ndarray:
    """The features of the first encoder window faster-whisper makes of ``audio`` (after its own
    VAD, when the decode filters with it): mirrors WhisperModel.generate_segments, so a window
    prepared here is found by the decode. Should faster-whisper change how it cuts windows, the
    only cost is a second encoder pass (tests/test_encoder_cache.py notices)."""
    from faster_whisper.audio import pad_or_trim

    features = model.feature_extractor(audio)
    frames = min(model.feature_extractor.nb_max_frames, features.shape[-1] - 1)
    return pad_or_trim(features[:, :frames])


def sharing_model_class() -> type:
    """faster_whisper.WhisperModel whose ``encode`` goes through an EncoderCache (``.encoded``)."""
    from faster_whisper import WhisperModel

    class SharingWhisperModel(WhisperModel):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.encoded = EncoderCache()

        def encode(self, features: np.ndarray) -> Any:
            return self.encoded.get(features, super().encode)

    return SharingWhisperModel


# Arrays whose VAD scores are kept: a chunk's two (with and without its trailing silence), the
# next chunk's two, and the one-second blocks interviewer.incremental scores in between.
VAD_CAPACITY = 64


class SharedVad:
    """faster-whisper's Silero model, each distinct array scored once (see the module doc)."""

    def __init__(self, model: Any, capacity: int = VAD_CAPACITY) -> None:
        self.model = model
        self.scored = EncoderCache(capacity)

    def __call__(self, audio: np.ndarray, num_samples: int = 512, context_size_samples: int = 64) -> np.ndarray:
        if (num_samples, context_size_samples) != (512, 64):
            return self.model(audio, num_samples, context_size_samples)
        # A copy: the wrapped model zeroes the last 64 samples of the array it is given, in place;
        # a cached answer must not depend on whether the caller's array was already zeroed.
        return self.scored.get(audio, lambda a: self.model(np.array(a, copy=True)))


def shared_vad() -> SharedVad:
    """Route every Silero call in faster-whisper (its VAD filter, get_speech_timestamps, and
    ours through them) through one SharedVad. faster-whisper takes no scores from outside, so
    its model getter is replaced, once per process; the scores it gets are the same."""
    import faster_whisper.vad as fw_vad

    current = fw_vad.get_vad_model
    shared = getattr(current, "shared", None)
    if isinstance(shared, SharedVad):
        return shared
    shared = SharedVad(current())

    def get_vad_model() -> SharedVad:
        return shared

    get_vad_model.shared = shared  # type: ignore[attr-defined]
    fw_vad.get_vad_model = get_vad_model
    return shared
