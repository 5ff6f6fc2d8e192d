"""Encoder passes shared between the decodes of a chunk and run ahead for the next chunk
(interviewer.encoder_cache): the same results, fewer passes."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from interviewer.encoder_cache import EncoderCache, RunOnce
from interviewer.incremental import transcribe_in_chunks

from test_incremental import FakeTranscriber

CLIP = Path(__file__).parent / "data" / "long" / "answer_75s.ogg"
SR = 16000


def test_a_window_asked_for_twice_at_once_is_encoded_once() -> None:
    cache = EncoderCache()
    calls = []
    started = threading.Event()

    def encode(features: np.ndarray) -> float:
        calls.append(1)
        started.set()
        time.sleep(0.2)  # the second thread asks while this pass runs
        return float(features.sum())

    window = np.ones((80, 30), np.float32)
    results = []
    first = threading.Thread(target=lambda: results.append(cache.get(window, encode)))
    first.start()
    started.wait(5)
    results.append(cache.get(window.copy(), encode))
    first.join()
    assert results == [2400.0, 2400.0] and len(calls) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    assert cache.get(window + 1, encode) == 4800.0 and len(calls) == 2  # another window: its own pass


def test_a_failed_pass_is_not_kept_and_old_windows_make_room() -> None:
    cache = EncoderCache(capacity=2)

    def boom(features: np.ndarray) -> float:
        raise RuntimeError("encoder failed")

    window = np.zeros((80, 30), np.float32)
    with pytest.raises(RuntimeError):
        cache.get(window, boom)
    assert not cache.holds(window)
    assert cache.get(window, lambda f: 1.0) == 1.0  # asked again: computed, not the old error
    for k in range(1, 3):
        cache.get(window + k, lambda f: 1.0)
    assert not cache.holds(window) and cache.holds(window + 1) and cache.holds(window + 2)


def test_run_once_runs_for_the_first_caller_only() -> None:
    ran = []
    task = RunOnce(lambda: ran.append(threading.current_thread().name))
    threads = [threading.Thread(target=task, name=f"t{k}") for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    task()
    assert len(ran) == 1


class PreparingTranscriber(FakeTranscriber):
    def __init__(self) -> None:
        super().__init__()
        self.prepared: list[str] = []

    def prepare(self, audio: np.ndarray) -> None:
        self.prepared.append(hashlib.sha1(np.ascontiguousarray(audio, np.float32).tobytes()).hexdigest())


def test_each_chunk_is_announced_with_the_audio_it_is_then_given() -> None:
    """The decoder tells the transcriber the next chunk's exact samples before decoding this
    one: a head start on the wrong audio would be wasted (never wrong: the cache is by content)."""
    from faster_whisper.audio import decode_audio

    audio = decode_audio(str(CLIP), sampling_rate=SR)
    fake = PreparingTranscriber()
    transcribe_in_chunks(fake, audio)
    assert len(fake.digests) >= 4
    assert fake.prepared == fake.digests[1:]


def test_the_next_chunks_window_encoded_ahead_serves_both_decodes_with_the_same_words() -> None:
    """With the real model: the window prepared ahead is the one faster-whisper's decodes ask
    for (should faster-whisper change how it cuts windows, this fails and the head start is
    lost), and a chunk decoded from cached encoder output reads exactly as one encoded afresh."""
    from faster_whisper.audio import decode_audio

    from interviewer.settings import WhisperSettings
    from interviewer.transcribe import WhisperTranscriber

    chunk = decode_audio(str(CLIP), sampling_rate=SR)[: 18 * SR]
    transcriber = WhisperTranscriber(WhisperSettings())
    model = transcriber.load()
    afresh = transcriber.transcribe_array(chunk)
    assert model.encoded.hits >= 1  # the two decodes of the chunk shared one pass

    model.encoded = EncoderCache()
    transcriber._encode_ahead(chunk)
    assert (model.encoded.hits, model.encoded.misses) == (0, 1)
    cached = transcriber.transcribe_array(chunk)
    assert model.encoded.hits >= 2  # the words' decode and the filler decode both found it
    assert [(w.text, w.start, w.end) for s in cached for w in s.words] == [
        (w.text, w.start, w.end) for s in afresh for w in s.words
    ]


def test_an_array_is_scored_by_silero_once_and_reads_as_scored_afresh() -> None:
    """faster-whisper's VAD filter and ours ask for the same array's scores several times per
    chunk: with the shared model they are computed once, and equal the bare model's scores
    (should faster-whisper stop calling its model getter, the first assertion fails)."""
    from faster_whisper.audio import decode_audio
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from interviewer.encoder_cache import shared_vad

    chunk = decode_audio(str(CLIP), sampling_rate=SR)[5 * SR : 23 * SR] * np.float32(0.8)  # not scored before
    vad = shared_vad()
    assert shared_vad() is vad  # installed once per process
    misses, hits = vad.scored.misses, vad.scored.hits
    spans = get_speech_timestamps(chunk, VadOptions(speech_pad_ms=0))
    again = get_speech_timestamps(chunk.copy(), VadOptions(speech_pad_ms=100))
    assert (vad.scored.misses - misses, vad.scored.hits - hits) == (1, 1)
    padded = np.pad(chunk, (0, 512 - chunk.size % 512))
    assert np.array_equal(vad(padded.copy()), vad.model(padded.copy()))
    assert spans and len(again) <= len(spans) and again[0]["start"] <= spans[0]["start"]
