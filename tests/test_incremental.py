"""IncrementalTranscriber: chunking at pauses, merging, errors; and, with the real bundled
model, that feeding a spoken answer block by block gives the batch transcript."""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from interviewer.errors import TranscriptionError
from interviewer.incremental import ChunkingOptions, IncrementalTranscriber
from interviewer.models import Segment, Word, join_words

LONG = Path(__file__).parent / "data" / "long"
CLIP = LONG / "answer_75s.ogg"  # piper joe voice, 76 s, made by bench/bench_incremental.py --make-test-clip
SR = 16000


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return decode_audio(str(CLIP), sampling_rate=SR)


@pytest.fixture(scope="module")
def vad_probs(clip: np.ndarray) -> np.ndarray:
    from faster_whisper.vad import get_vad_model

    n = clip.size // 512 * 512
    return np.asarray(get_vad_model()(clip[:n])).reshape(-1)


class FakeTranscriber:
    """Records each call; returns one confident segment per chunk, words spread over it."""

    model_label = "fake"

    def __init__(self, fail_on_call: int | None = None, extra=None) -> None:
        self.calls: list[tuple[float, float]] = []  # (offset_s, length_s)
        self.digests: list[str] = []  # of the samples of each call
        self.fail_on_call = fail_on_call
        self.extra = extra  # callable(offset, length) -> extra segments appended
        self.lock = threading.Lock()

    def transcribe_array(self, audio: np.ndarray, *, offset_s: float = 0.0) -> list[Segment]:
        assert audio.dtype == np.float32 and audio.ndim == 1
        length = audio.size / SR
        with self.lock:
            self.calls.append((offset_s, length))
            self.digests.append(hashlib.sha1(audio.tobytes()).hexdigest())
            n = len(self.calls)
        if self.fail_on_call == n:
            raise RuntimeError("model exploded")
        t = [offset_s + length * k / 4 for k in range(4)]
        words = [Word(text=f"w{n}_{k}", start=t[k], end=t[k] + 0.3, probability=0.9) for k in range(3)]
        segments = [Segment(start=t[0], end=words[-1].end, text=" ".join(w.text for w in words), words=words,
                            avg_logprob=-0.1, no_speech_prob=0.01)]
        if self.extra:
            segments += self.extra(offset_s, length)
        return segments


def feed_all(inc: IncrementalTranscriber, audio: np.ndarray, block: int = 1024) -> None:
    for i in range(0, audio.size, block):
        inc.feed(audio[i : i + block])


def assert_monotonic(words: list[Word], duration: float) -> None:
    for a, b in zip(words, words[1:]):
        assert b.start >= a.start and b.start >= a.end - 1e-6, (a, b)
    for w in words:
        assert 0 <= w.start <= w.end <= duration + 1e-6, w


# --- chunking and merging (real VAD, fake model) --------------------------------------------------


def test_chunks_are_cut_in_pauses_and_cover_the_answer(clip: np.ndarray, vad_probs: np.ndarray) -> None:
    opts = ChunkingOptions()
    fake = FakeTranscriber()
    inc = IncrementalTranscriber(fake, options=opts)
    feed_all(inc, clip)
    transcript = inc.finish()

    bounds = inc.chunk_bounds
    assert len(bounds) >= 3
    assert bounds[0][0] == 0.0
    # After the last chunk only silence is left (silent chunks are skipped, not transcribed).
    assert bounds[-1][1] <= clip.size / SR and (vad_probs[int(bounds[-1][1] * SR / 512):] < opts.vad_threshold).all()
    for (s0, e0), (s1, _) in zip(bounds, bounds[1:]):
        assert s1 == e0  # contiguous: nothing dropped, nothing twice
        assert opts.min_chunk_s <= e0 - s0 <= opts.max_chunk_s
        window = int(e0 * SR / 512)
        assert vad_probs[window] < opts.vad_threshold, f"cut at {e0} s is inside speech"
    # Each call got its chunk's offset; the audio may end early (trailing silence trimmed).
    assert [c[0] for c in fake.calls] == pytest.approx([b[0] for b in bounds], abs=1e-3)
    assert all(length <= e - s + 1e-6 for (_, length), (s, e) in zip(fake.calls, bounds))

    assert transcript.source == "audio" and transcript.model == "fake"
    assert transcript.duration_s == pytest.approx(clip.size / SR, abs=1e-3)
    assert [w.text for w in transcript.words] == [f"w{n}_{k}" for n in range(1, len(bounds) + 1) for k in range(3)]
    assert transcript.text == " ".join(s.text for s in transcript.segments)
    assert_monotonic(transcript.words, transcript.duration_s)
    st = inc.stats()
    assert st.chunks == len(bounds) and st.backlog_s == 0 and st.finished


def test_cuts_depend_on_the_audio_alone_not_on_how_it_arrived(clip: np.ndarray) -> None:
    """The same chunks, decoded the same way, whether the answer is a file transcribed in one
    go, arrives at microphone pace with an idle worker, or arrives faster than a slow worker
    can keep up: that is what makes the live transcript equal the batch one."""
    from interviewer.incremental import ChunkedDecoder

    class Slow(FakeTranscriber):
        def transcribe_array(self, audio, *, offset_s=0.0):
            time.sleep(0.05)
            return super().transcribe_array(audio, offset_s=offset_s)

    whole = FakeTranscriber()
    decoder = ChunkedDecoder(whole, ChunkingOptions())
    before = clip.copy()
    decoder.push(clip)
    while decoder.step(final=True):
        pass
    assert len(decoder.chunk_bounds) >= 3
    # The caller's audio is left as it was (faster-whisper's VAD writes into its input).
    assert np.array_equal(clip, before)

    paced, behind = FakeTranscriber(), Slow()
    for fake in (paced, behind):
        inc = IncrementalTranscriber(fake)
        for i in range(0, clip.size, SR):
            feed_all(inc, clip[i : i + SR], block=1600)
            if fake is paced:
                assert inc.wait_idle(10)
        inc.finish()
        assert inc.chunk_bounds == decoder.chunk_bounds
        assert fake.calls == whole.calls  # same offsets, same lengths
        assert fake.digests == whole.digests  # the very same samples


def test_blocks_in_int16_stereo_at_48k_are_converted(clip: np.ndarray, vad_probs: np.ndarray) -> None:
    x48 = np.interp(np.arange(clip.size * 3) / 3, np.arange(clip.size), clip)
    stereo = (np.stack([x48, x48], axis=1) * 32767).astype(np.int16)
    fake = FakeTranscriber()  # it asserts float32 mono
    inc = IncrementalTranscriber(fake, samplerate=48000)
    feed_all(inc, stereo, block=4800)
    transcript = inc.finish()
    assert transcript.duration_s == pytest.approx(clip.size / SR, abs=1e-3)
    bounds = inc.chunk_bounds
    assert len(bounds) >= 3 and bounds[-1][1] <= clip.size / SR + 0.01
    for (_, e0), (s1, _) in zip(bounds, bounds[1:]):
        assert s1 == e0 and vad_probs[int(e0 * SR / 512)] < 0.5  # same timeline as the 16 kHz clip


def test_no_pause_forces_a_cut_and_resumes_after_the_last_word() -> None:
    """Speech without any gap (a constant VAD score stands in for it): the chunk is cut at the
    quietest point before max_chunk_s, then the next chunk starts where the last word that
    ended over a second before the cut ends (the fake's last word ends 0.3 s after half its audio)."""
    opts = ChunkingOptions(min_chunk_s=5, max_chunk_s=10)
    fake = FakeTranscriber()
    inc = IncrementalTranscriber(fake, options=opts)
    inc._decoder._score = lambda final: _constant_scores(inc)  # type: ignore[method-assign]
    rng = np.random.default_rng(0)
    feed_all(inc, (rng.standard_normal(SR * 25) * 0.1).astype(np.float32))
    transcript = inc.finish()
    bounds = inc.chunk_bounds
    assert len(bounds) >= 3 and bounds[-1][1] == pytest.approx(25.0)
    for (s0, e0), (s1, _), (offset, length) in zip(bounds, bounds[1:], fake.calls):
        assert s1 == e0 and offset == pytest.approx(s0, abs=1e-3) and e0 - s0 <= opts.max_chunk_s
        assert e0 == pytest.approx(offset + 0.5 * length + 0.3, abs=1e-3)  # resumed after the last word
    assert_monotonic(transcript.words, 25.0)


def _constant_scores(inc: IncrementalTranscriber) -> None:
    decoder = inc._decoder
    whole = (decoder.done_samples + decoder._pending.size) // 512
    decoder._scores = np.full(whole, 0.9, np.float32)


def test_forced_cut_resumes_after_the_last_whole_word() -> None:
    inc = IncrementalTranscriber(FakeTranscriber(), options=ChunkingOptions(min_chunk_s=10, max_chunk_s=20))
    words = [Word(text=f"w{i}", start=i * 0.5, end=i * 0.5 + 0.4) for i in range(40)]  # to 19.9 s
    segs = [Segment(start=0, end=9.9, text="a", words=words[:20]), Segment(start=10, end=19.9, text="b", words=words[20:])]
    kept, cut = inc._decoder._resume_after_last_word(segs, cut=20 * SR, start_s=0.0, limit=19.0)
    # Words ending more than 1 s before the cut are kept; the next chunk starts where they end.
    assert kept[-1].words[-1].end == pytest.approx(18.9) and cut == round(18.9 * SR)
    assert kept[-1].text == " ".join(w.text for w in kept[-1].words) and kept[-1].end == pytest.approx(18.9)
    inc.finish()


def test_a_hesitation_after_the_last_kept_word_is_left_to_the_next_chunk() -> None:
    """A filler merged in right after the sentence end ("name. Uh,") would be heard again at
    the start of the next chunk, which starts after "name."; it is not kept twice."""
    inc = IncrementalTranscriber(FakeTranscriber(), options=ChunkingOptions(min_chunk_s=10, max_chunk_s=20))
    words = [Word(text=f" w{i}", start=i * 0.5, end=i * 0.5 + 0.4) for i in range(20)]  # to 9.9 s
    words[-1] = words[-1].model_copy(update={"text": " name."})
    uh = Word(text=" Uh,", start=9.9, end=9.9)  # clamped onto the end of the word before it
    tail = [Word(text=" so", start=10.2, end=10.5), Word(text=" we", start=10.6, end=10.8)]
    segs = [Segment(start=0, end=9.9, text="a", words=[*words, uh]), Segment(start=10.2, end=10.8, text="b", words=tail)]
    kept, cut = inc._decoder._resume_after_last_word(segs, cut=11 * SR, start_s=0.0, limit=9.9)
    assert [w.text for s in kept for w in s.words][-1] == " name." and cut == round(9.9 * SR)
    assert kept[-1].text == join_words(words)
    inc.finish()


@pytest.mark.parametrize("stretch", [True, False])
def test_a_chunk_ending_mid_sentence_is_finished_in_the_next_chunk(clip: np.ndarray, stretch: bool) -> None:
    """Whisper sometimes stops a clause early near the end of a window ("... for when it") and
    the aligner may stretch the last word over the skipped speech: the chunk is committed up
    to its last sentence end and the next chunk starts there."""

    class Truncating(FakeTranscriber):
        def transcribe_array(self, audio, *, offset_s=0.0):
            segs = super().transcribe_array(audio, offset_s=offset_s)
            words = list(segs[0].words)
            words[1] = words[1].model_copy(update={"text": words[1].text + "."})
            if len(self.calls) == 1:  # the first chunk ends mid-sentence
                if stretch:  # punctuated, but lasting 2 s over speech
                    words[2] = words[2].model_copy(update={"text": "w1_2.", "end": words[2].start + 2.0})
            else:
                words[2] = words[2].model_copy(update={"text": words[2].text + "."})
            segs[0] = segs[0].model_copy(update={"words": words, "end": words[2].end})
            return segs

    fake = Truncating()
    # Short chunks: the fake's sentence ends a quarter into its chunk, and a chunk is committed
    # up to a sentence end only past half of min_chunk_s.
    inc = IncrementalTranscriber(fake, options=ChunkingOptions(min_chunk_s=6, max_chunk_s=20))
    feed_all(inc, clip)
    transcript = inc.finish()
    first = fake.calls[0]
    w1_1_end = first[0] + first[1] / 4 + 0.3
    assert inc.chunk_bounds[0][1] == pytest.approx(w1_1_end, abs=1e-3)
    assert fake.calls[1][0] == pytest.approx(w1_1_end, abs=1e-3)
    texts = [w.text for w in transcript.words]
    assert "w1_2" not in texts and "w1_2." not in texts and texts[:3] == ["w1_0", "w1_1.", "w2_0"]
    assert_monotonic(transcript.words, transcript.duration_s)


def test_text_invented_at_a_chunk_end_is_dropped(clip: np.ndarray) -> None:
    """Whisper decodes the sliver after a chunk's last word and may invent "Thank you."."""

    def extra(offset: float, length: float) -> list[Segment]:
        end = offset + length
        return [
            Segment(start=end - 0.9, end=end - 0.8, text="Great.", avg_logprob=-0.2),  # real: kept
            Segment(start=end - 0.3, end=end - 0.1, text="For now we are going to look at it.", avg_logprob=-0.3),
            Segment(start=end, end=end + 0.3, text="Thank you.", avg_logprob=-1.4),  # over the pause
            Segment(start=end + 0.3, end=end + 0.3, text=" . ", avg_logprob=-1.0),
        ]

    silence_tail = np.concatenate([clip, np.zeros(SR, np.float32)])
    inc = IncrementalTranscriber(FakeTranscriber(extra=extra))
    feed_all(inc, silence_tail)
    transcript = inc.finish()
    texts = [s.text for s in transcript.segments]
    assert not any("Thank you" in t or "going to" in t or t.strip() == "." for t in texts)
    # A confident segment stops the trimming: only what follows it can go.
    assert texts.count("Great.") == len(inc.chunk_bounds)


def test_timestamps_are_clamped_and_monotonic_across_chunks(clip: np.ndarray) -> None:
    class Sloppy(FakeTranscriber):
        def transcribe_array(self, audio, *, offset_s=0.0):
            length = audio.size / SR
            # starts before the chunk, overlapping words, ends after the chunk
            w = [Word(text="a", start=max(0, offset_s - 0.5), end=offset_s + 1.0),
                 Word(text="b", start=offset_s + 0.8, end=offset_s + 0.7),
                 Word(text="c", start=offset_s + length - 0.2, end=offset_s + length + 3.0)]
            return [Segment(start=max(0, offset_s - 0.5), end=offset_s + length + 3, text="a b c", words=w, avg_logprob=-0.1)]

    inc = IncrementalTranscriber(Sloppy())
    feed_all(inc, clip)
    transcript = inc.finish()
    assert len(transcript.words) == 3 * len(inc.chunk_bounds)
    assert_monotonic(transcript.words, transcript.duration_s)
    for seg, (lo, hi) in zip(transcript.segments, inc.chunk_bounds):
        assert lo <= seg.start <= seg.end <= hi
        assert all(lo <= w.start <= w.end <= hi for w in seg.words)


def test_silence_is_not_transcribed_and_finish_is_instant() -> None:
    fake = FakeTranscriber()
    inc = IncrementalTranscriber(fake)
    feed_all(inc, np.zeros(SR * 40, np.float32))
    assert inc.wait_idle(10)
    transcript = inc.finish()
    assert fake.calls == [] and transcript.text == "" and transcript.segments == []
    assert transcript.duration_s == pytest.approx(40.0)


def test_finish_without_audio() -> None:
    inc = IncrementalTranscriber(FakeTranscriber())
    transcript = inc.finish()
    assert transcript.text == "" and transcript.duration_s == 0 and transcript.source == "audio"
    assert inc.finish() is transcript  # idempotent
    st = inc.stats()
    assert st.chunks == 0 and st.fed_s == 0 and st.finished


def test_feed_after_finish_or_cancel_is_an_error(clip: np.ndarray) -> None:
    inc = IncrementalTranscriber(FakeTranscriber())
    inc.feed(clip[:1024])
    inc.finish()
    with pytest.raises(RuntimeError, match="after finish"):
        inc.feed(clip[:1024])

    other = IncrementalTranscriber(FakeTranscriber())
    other.feed(clip[:1024])
    other.cancel()
    with pytest.raises(RuntimeError):
        other.feed(clip[:1024])
    with pytest.raises(RuntimeError, match="cancel"):
        other.finish()


def test_worker_error_surfaces_at_finish_and_never_in_feed(clip: np.ndarray) -> None:
    inc = IncrementalTranscriber(FakeTranscriber(fail_on_call=1))
    feed_all(inc, clip)  # the worker dies on the first chunk; feeding goes on undisturbed
    assert inc.wait_idle(10)
    assert isinstance(inc.error, RuntimeError)
    feed_all(inc, clip[: SR * 2])
    with pytest.raises(TranscriptionError, match="model exploded"):
        inc.finish()


def test_bad_options_and_blocks() -> None:
    with pytest.raises(ValueError):
        ChunkingOptions(min_chunk_s=30, max_chunk_s=20)
    with pytest.raises(ValueError):
        ChunkingOptions(unknown=1)  # type: ignore[call-arg]
    inc = IncrementalTranscriber(FakeTranscriber())
    with pytest.raises(ValueError):
        inc.feed(np.zeros((2, 2, 2), np.float32))
    inc.feed(np.zeros(0, np.float32))  # an empty block is fine
    assert inc.finish().duration_s == 0


def test_busy_fraction_and_backlog_are_reported(clip: np.ndarray) -> None:
    class Slow(FakeTranscriber):
        def transcribe_array(self, audio, *, offset_s=0.0):
            time.sleep(0.2)
            return super().transcribe_array(audio, offset_s=offset_s)

    inc = IncrementalTranscriber(Slow())
    feed_all(inc, clip)
    st = inc.stats()
    assert st.fed_s == pytest.approx(clip.size / SR, abs=1e-3)
    assert st.max_backlog_s >= st.backlog_s > 0
    inc.finish()
    st = inc.stats()
    assert st.backlog_s == 0 and st.busy_s >= 0.2 * st.chunks and 0 < st.busy_fraction <= 1


# --- the real model --------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split())


@pytest.mark.slow
def test_real_model_incremental_matches_batch(clip: np.ndarray) -> None:
    """The committed 76 s answer (plus 25 s of room noise before stop), fed in 1024-sample
    blocks at full speed, against the same audio transcribed in one go."""
    jiwer = pytest.importorskip("jiwer")
    from interviewer.settings import WhisperSettings
    from interviewer.transcribe import WhisperTranscriber

    noise = (np.random.default_rng(5).standard_normal(25 * SR) * 10 ** (-62 / 20)).astype(np.float32)
    audio = np.concatenate([clip, noise])
    duration = audio.size / SR
    from interviewer.incremental import transcribe_in_chunks

    transcriber = WhisperTranscriber(WhisperSettings())
    batch = " ".join(s.text for s in transcribe_in_chunks(transcriber, audio))  # what `transcribe` does

    inc = IncrementalTranscriber(transcriber)
    feed_all(inc, audio)
    assert inc.wait_idle(120)
    left = inc.stats().backlog_s
    transcript = inc.finish()  # how long this takes: bench/bench_incremental.py

    said = (LONG / "answer_75s.txt").read_text(encoding="utf-8")
    wer_vs_batch = jiwer.wer(_norm(batch), _norm(transcript.text))
    # The same chunks get the same decodes; only a sampled retry (temperature > 0) may differ.
    assert wer_vs_batch <= 0.02, (wer_vs_batch, batch, transcript.text)
    assert jiwer.wer(_norm(said), _norm(transcript.text)) <= jiwer.wer(_norm(said), _norm(batch)) + 0.01
    assert abs(len(transcript.words) - len(batch.split())) <= 0.05 * len(batch.split())
    assert len(inc.chunk_bounds) > 1
    for lo, hi in inc.chunk_bounds:  # every chunk of speech produced words
        if lo < clip.size / SR - 1:
            assert any(lo <= w.start < hi for w in transcript.words), (lo, hi)
    assert_monotonic(transcript.words, duration)
    assert transcript.duration_s == pytest.approx(duration, abs=1e-3)
    assert transcript.model and "tiny.en" in transcript.model
    # The speech was transcribed while "recording"; what is left after stop is room noise.
    assert left < 15, left


@pytest.mark.slow
def test_human_speech_with_pauses_loses_no_word_at_a_seam() -> None:
    """A human reading (LibriVox, public domain) with mid-sentence pauses inserted at word
    boundaries, fed as a live session feeds it: no word of the batch transcript is missing near
    a chunk seam, nothing is doubled there, and live is no worse than batch against the script."""
    jiwer = pytest.importorskip("jiwer")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from bench_seams import compare, feed_paced

    from interviewer.audio import load_audio
    from interviewer.settings import WhisperSettings
    from interviewer.transcribe import WhisperTranscriber

    from interviewer.incremental import transcribe_in_chunks

    audio = load_audio(LONG / "human_pauses.ogg")
    transcriber = WhisperTranscriber(WhisperSettings())
    batch = [w for s in transcribe_in_chunks(transcriber, audio) for w in s.words]
    inc = IncrementalTranscriber(transcriber)
    feed_paced(inc, audio)
    live = inc.finish()
    seams = [hi for _, hi in inc.chunk_bounds[:-1]]
    assert len(seams) >= 2
    missing, _, doubled, _ = compare(batch, live.words, seams)
    assert missing == [] and doubled == [], (missing, doubled)
    said = _norm((LONG / "human_pauses.txt").read_text(encoding="utf-8"))
    batch_text = _norm(" ".join(w.text for w in batch))
    assert jiwer.wer(said, _norm(live.text)) <= jiwer.wer(said, batch_text) + 0.01
