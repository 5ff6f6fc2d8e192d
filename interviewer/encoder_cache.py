"""Whisper encoder outputs shared between decodes, and computed ahead for the next chunk.

Every chunk of an answer is decoded twice (the words' decode and the filler-styled decode,
interviewer.transcribe), and each decode starts by running Whisper's encoder on the same padded
30 s window: about 0.4 s on one core for tiny.en, a quarter of a chunk's words' decode. The
encoder's output depends on the window's features alone, so one pass can serve both decodes,
and the filler worker, which finishes its decode before the words' decode does, can run the
next chunk's encoder pass ahead of time. Results are the same bits as without the cache; only
who computes them, and when, changes (bench/bench_rtf.py for the speed).
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
    """Encoder outputs by window digest; a window asked for while another thread encodes it
    waits for that pass instead of running a second one."""

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
