"""The main job through a real (virtual) microphone: record, transcribe live, grade, save.

Audio goes through PulseAudio's virtual speaker/microphone (tests/pulse.py), the real recorder,
the real Whisper model and a real SQLite index; Ctrl-C and the no-microphone fallback are
exercised on the real CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import yaml

from interviewer.models import Question, Round
from interviewer.settings import load_settings
from pulse import PulseServer, pulse_server  # noqa: F401 - fixture

pytestmark = pytest.mark.audio

DATA = Path(__file__).parent / "data"
STAR = yaml.safe_load((DATA / "clips.yaml").read_text())["star"]
QUESTION = Question(
    id="bq-latency-test",
    text="Tell me about a time you cut the latency of a production model.",
    round=Round.behavioral,
    dimensions=["latency", "cost"],
    time_budget_s=60,
)


@pytest.fixture(scope="module")
def star_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed STAR answer clip as a WAV that paplay can play into the virtual speaker."""
    from faster_whisper import decode_audio

    audio = decode_audio(str(DATA / STAR["file"]), sampling_rate=16000)
    path = tmp_path_factory.mktemp("star") / "star.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _cli(*args: str, env: dict[str, str], **kw) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "interviewer", *args], env=env, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw,
    )


def test_live_answer_is_recorded_transcribed_and_graded(pulse_server: PulseServer, star_wav: Path) -> None:
    from interviewer.practice import finish_live, record_live
    from interviewer.session import SessionService

    service = SessionService(load_settings(llm={"enabled": "off"}))
    stop = threading.Event()

    def speak_then_stop() -> None:
        # Speak once the recorder is writing (the model loads before recording starts).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            p.stat().st_size > 44 for p in service.store.root.glob("*/answer.wav")
        ):
            time.sleep(0.05)
        pulse_server.play(star_wav).wait(timeout=60)
        time.sleep(1.0)
        stop.set()

    threading.Thread(target=speak_then_stop, daemon=True).start()
    recorded = record_live(service, QUESTION, track=None, stop=stop)
    assert recorded.stopped_by == "key"
    assert recorded.incremental is not None
    audio = recorded.saved.folder / "answer.wav"
    assert audio.stat().st_size > 16000 * 2 * 15  # the clip is ~22 s; the file was written live

    outcome = finish_live(service, recorded)  # time-to-transcript is measured by bench/bench_incremental.py

    saved = service.store.load(outcome.saved.meta.id)
    assert saved.meta.finished and saved.meta.status.value == "graded"
    assert saved.meta.duration_s and STAR["duration_s"] < saved.meta.duration_s < STAR["duration_s"] + 6
    text = saved.transcript.text.lower()  # type: ignore[union-attr]
    for word in ("profiled", "cache", "120", "70", "latency"):
        assert word in text, (word, text)
    assert saved.evidence and saved.evidence.impact.before_after, "before -> after from the spoken answer"
    words = saved.transcript.words  # type: ignore[union-attr]
    assert all(a.start <= b.start for a, b in zip(words, words[1:])), "timestamps continuous across chunks"
    assert [g.grader for g in saved.grades] == ["evidence"]


def test_ctrl_c_keeps_the_answer_and_it_can_be_graded_later(
    pulse_server: PulseServer, star_wav: Path, tmp_path: Path
) -> None:
    env = {**os.environ, **pulse_server.client_env, "INTERVIEWER_HOME": str(tmp_path), "COLUMNS": "200"}
    proc = _cli("practice", "--question-id", "bh-co-beyond-the-job", "--voice", "text", "--no-llm",
                env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        sessions = tmp_path / "recordings"
        while time.monotonic() < deadline and proc.poll() is None and not any(
            p.stat().st_size > 44 for p in sessions.glob("*/answer.wav")
        ):
            time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[1]
        pulse_server.play(star_wav).wait(timeout=60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "answer interrupted" in err and "unfinished session" in err
    assert "Traceback" not in err

    history = subprocess.run([sys.executable, "-m", "interviewer", "history", "--json"], env=env,
                             capture_output=True, text=True, check=True)
    (row,) = json.loads(history.stdout)
    assert row["finished"] is False and row["status"] == "recorded" and row["duration_s"] > 15

    regraded = subprocess.run([sys.executable, "-m", "interviewer", "regrade", row["id"], "--no-llm", "--json"],
                              env=env, capture_output=True, text=True)
    assert regraded.returncode == 0, regraded.stderr
    doc = json.loads(regraded.stdout)
    assert "profiled" in doc["transcript"]["text"].lower()
    assert doc["grade"]["grader"] == "evidence"
    assert "unfinished_answer" in doc["grade"]["flags"]  # the cut-off answer is marked and capped (verify)


def test_no_microphone_falls_back_to_the_demo(tmp_path: Path) -> None:
    # A sound server that does not exist: PortAudio sees no input device at all.
    (tmp_path / "client.conf").write_text("autospawn = no\n")
    env = {**os.environ, "INTERVIEWER_HOME": str(tmp_path), "COLUMNS": "200",
           "PULSE_SERVER": f"unix:{tmp_path}/no-such-socket", "PULSE_CLIENTCONFIG": str(tmp_path / "client.conf")}
    proc = _cli("practice", "--no-llm", env=env)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "running the bundled demo answer instead" in err
    assert "evidence-only grade" in out and "demo-latency-story" in out
