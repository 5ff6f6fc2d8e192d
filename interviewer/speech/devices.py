"""Audio devices: import PortAudio lazily, list and resolve devices, check a microphone.

``sounddevice`` is imported only inside these functions, so ``import interviewer`` works on a
machine without PortAudio. PortAudio enumerates devices once, when it initialises; a sound
server started later (or a headset plugged in) is seen only after :func:`refresh`.
"""

from __future__ import annotations

import logging
import sys
import math
import threading
import time
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from ..errors import AudioDeviceError, MissingDependency

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

Kind = Literal["input", "output"]

PORTAUDIO_HINT = "install libportaudio2 (Debian/Ubuntu: apt install libportaudio2) or portaudio (macOS: brew install portaudio)"
NO_DEVICE_HINT = "connect a microphone/speaker, check the sound server, or list devices with `interviewer devices`"

# dBFS of digital silence; keeps log10 finite.
FLOOR_DBFS = -120.0


def import_sounddevice() -> ModuleType:
    """Import ``sounddevice``; a missing PortAudio library becomes a MissingDependency."""
    _quiet_alsa()
    try:
        import sounddevice
    except OSError as exc:  # the wheel loads libportaudio at import time
        raise MissingDependency(f"PortAudio library not found ({exc})", hint=PORTAUDIO_HINT) from exc
    except ImportError as exc:
        raise MissingDependency(
            "the sounddevice package is not installed", hint="pip install sounddevice"
        ) from exc
    return sounddevice


_ALSA_HANDLER: Any = None  # kept alive: ALSA holds a pointer to it


def _quiet_alsa() -> None:
    """Route ALSA's own messages ("ALSA lib pcm.c: underrun occurred", probe noise from PortAudio's
    device scan) to the debug log instead of the user's terminal, where they used to print over
    the question. Linux only; a missing libasound is simply left alone."""
    global _ALSA_HANDLER
    if _ALSA_HANDLER is not None or not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if not name:
        _ALSA_HANDLER = False
        return
    try:
        lib = ctypes.cdll.LoadLibrary(name)
        # void handler(const char *file, int line, const char *function, int err, const char *fmt, ...)
        proto = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)

        def handler(file: bytes, line: int, function: bytes, err: int, fmt: bytes) -> None:
            log.debug("ALSA %s:%d %s: %s", (file or b"").decode(errors="replace"), line,
                      (function or b"").decode(errors="replace"), (fmt or b"").decode(errors="replace"))

        _ALSA_HANDLER = proto(handler)
        lib.snd_lib_error_set_handler(_ALSA_HANDLER)
    except (OSError, AttributeError) as exc:
        log.debug("cannot quiet ALSA messages: %s", exc)
        _ALSA_HANDLER = False


def refresh() -> None:
    """Re-enumerate devices (PortAudio only looks once, at initialisation)."""
    sd = import_sounddevice()
    sd._terminate()  # noqa: SLF001 - documented way to re-scan: terminate + initialize
    sd._initialize()  # noqa: SLF001


def portaudio_error(sd: ModuleType) -> type[Exception]:
    return sd.PortAudioError  # type: ignore[no-any-return]


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False

    def has(self, kind: Kind) -> bool:
        return (self.max_input_channels if kind == "input" else self.max_output_channels) > 0


def _default_indices(sd: ModuleType) -> tuple[int, int]:
    try:
        dev = sd.default.device
        return int(dev[0]), int(dev[1])
    except Exception:  # pragma: no cover - odd PortAudio states
        return -1, -1


def list_devices(kind: Kind | None = None) -> list[DeviceInfo]:
    """Devices PortAudio sees (optionally only inputs or outputs); empty when there are none."""
    sd = import_sounddevice()
    try:
        raw = sd.query_devices()
        apis = sd.query_hostapis()
    except portaudio_error(sd) as exc:
        raise AudioDeviceError(f"cannot list audio devices: {exc}") from exc
    default_in, default_out = _default_indices(sd)
    out = []
    for i, d in enumerate(raw):
        info = DeviceInfo(
            index=i,
            name=str(d["name"]),
            hostapi=str(apis[d["hostapi"]]["name"]),
            max_input_channels=int(d["max_input_channels"]),
            max_output_channels=int(d["max_output_channels"]),
            default_samplerate=float(d["default_samplerate"]),
            is_default_input=i == default_in,
            is_default_output=i == default_out,
        )
        if kind is None or info.has(kind):
            out.append(info)
    return out


def resolve_device(spec: str | int | None, kind: Kind) -> DeviceInfo:
    """Find a device by index, exact name, or unique case-insensitive name substring.

    ``None`` (or ``"default"`` when no device carries that name) means the system default.
    """
    devices = list_devices(kind)
    if not devices:
        raise AudioDeviceError(f"no audio {kind} device found", hint=NO_DEVICE_HINT)
    if isinstance(spec, str) and spec.strip().lower() == "default":
        named = [d for d in devices if d.name.lower() == "default"]
        if named:
            return named[0]
        spec = None
    if spec is None or (isinstance(spec, str) and spec.strip() == ""):
        for d in devices:
            if (d.is_default_input if kind == "input" else d.is_default_output):
                return d
        # PortAudio has devices but no default (seen with some ALSA setups): take the first.
        return devices[0]
    if isinstance(spec, int) or spec.strip().lstrip("-").isdigit():
        index = int(spec)
        for d in devices:
            if d.index == index:
                return d
        raise AudioDeviceError(
            f"no audio {kind} device with index {index} (have: {_names(devices)})", hint=NO_DEVICE_HINT
        )
    wanted = spec.strip().lower()
    exact = [d for d in devices if d.name.lower() == wanted]
    if exact:
        return exact[0]
    matches = [d for d in devices if wanted in d.name.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise AudioDeviceError(
            f"no audio {kind} device matches {spec!r} (have: {_names(devices)})", hint=NO_DEVICE_HINT
        )
    raise AudioDeviceError(f"{spec!r} matches several {kind} devices: {_names(matches)}; give an index")


def has_output_device() -> bool:
    """True when PortAudio is importable and sees at least one output device."""
    try:
        return bool(list_devices("output"))
    except (MissingDependency, AudioDeviceError):
        return False


def _names(devices: list[DeviceInfo]) -> str:
    return ", ".join(f"{d.index}: {d.name}" for d in devices) or "none"


# --- levels -----------------------------------------------------------------------------------


def dbfs(value: float) -> float:
    """Amplitude (1.0 = full scale) to dBFS, floored at FLOOR_DBFS."""
    return 20.0 * math.log10(value) if value > 10 ** (FLOOR_DBFS / 20) else FLOOR_DBFS


def block_levels(block: np.ndarray) -> tuple[float, float]:
    """(rms dBFS, peak dBFS) of one block; int16 or float samples."""
    import numpy as np

    x = _as_float(block)
    if x.size == 0:
        return FLOOR_DBFS, FLOOR_DBFS
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return dbfs(rms), dbfs(float(np.max(np.abs(x))))


def _as_float(block: np.ndarray) -> np.ndarray:
    import numpy as np

    if block.dtype == np.int16:
        return block.reshape(-1).astype(np.float32) / 32768.0
    return block.reshape(-1).astype(np.float32, copy=False)


@dataclass(frozen=True)
class MicReport:
    device: str
    seconds: float
    samplerate: int
    rms_dbfs: float
    peak_dbfs: float
    noise_floor_dbfs: float
    speech_dbfs: float
    clipped_fraction: float
    verdict: str
    ok: bool

    @property
    def clipping(self) -> bool:
        return self.clipped_fraction > CLIP_FRACTION_LIMIT


SILENT_PEAK_DBFS = -70.0  # muted/unplugged mics and digital silence sit below this
QUIET_SPEECH_DBFS = -42.0  # speech frames quieter than this transcribe poorly
NOISY_FLOOR_DBFS = -40.0  # a noise floor above this drowns quiet words
CLIP_FRACTION_LIMIT = 0.001


def analyze_levels(samples: np.ndarray, samplerate: int, *, device: str = "") -> MicReport:
    """Measure a mic-check capture: overall/peak level, noise floor (quiet 10th percentile of
    50 ms frames), speech level (loud 90th percentile), clipping, and a one-line verdict."""
    import numpy as np

    x = _as_float(samples)
    seconds = x.size / samplerate if samplerate else 0.0
    rms, peak = block_levels(x)
    frame = max(1, samplerate // 20)
    n = x.size // frame
    if n:
        frames = x[: n * frame].reshape(n, frame).astype(np.float64)
        levels = np.array([dbfs(float(v)) for v in np.sqrt(np.mean(frames**2, axis=1))])
        floor, speech = float(np.percentile(levels, 10)), float(np.percentile(levels, 90))
    else:
        floor = speech = rms
    clipped = float(np.mean(np.abs(x) >= 0.999)) if x.size else 0.0

    if x.size == 0:
        verdict, ok = "no audio arrived from the device", False
    elif peak < SILENT_PEAK_DBFS:
        verdict, ok = "silent: the microphone sends no signal (muted, unplugged or wrong device?)", False
    elif clipped > CLIP_FRACTION_LIMIT:
        verdict, ok = f"clipping ({clipped:.1%} of samples at full scale): lower the input gain", False
    elif speech < QUIET_SPEECH_DBFS:
        verdict, ok = f"too quiet (speech at {speech:.0f} dBFS): raise the input gain or move closer", False
    elif floor > NOISY_FLOOR_DBFS:
        verdict, ok = f"noisy (background at {floor:.0f} dBFS): find a quieter room", False
    elif speech - floor < 10:
        verdict, ok = "no speech heard above the background: speak during the check", False
    else:
        verdict, ok = f"good: speech at {speech:.0f} dBFS over a {floor:.0f} dBFS background", True
    return MicReport(
        device=device,
        seconds=round(seconds, 3),
        samplerate=samplerate,
        rms_dbfs=round(rms, 1),
        peak_dbfs=round(peak, 1),
        noise_floor_dbfs=round(floor, 1),
        speech_dbfs=round(speech, 1),
        clipped_fraction=clipped,
        verdict=verdict,
        ok=ok,
    )


def mic_check(seconds: float = 3.0, device: str | int | None = None, samplerate: int = 16000) -> MicReport:
    """Record ``seconds`` from the input device and report its levels (nothing is saved)."""
    import numpy as np

    sd = import_sounddevice()
    info = resolve_device(device, "input")
    blocks: list[np.ndarray] = []
    lock = threading.Lock()

    def callback(indata, frames, time_info, status):  # type: ignore[no-untyped-def]
        with lock:
            blocks.append(indata.copy())

    try:
        with sd.InputStream(
            device=info.index, samplerate=samplerate, channels=1, dtype="int16", callback=callback
        ):
            time.sleep(seconds)
    except portaudio_error(sd) as exc:
        raise AudioDeviceError(f"cannot record from {info.name!r}: {exc}", hint=NO_DEVICE_HINT) from exc
    with lock:
        audio = np.concatenate(blocks).reshape(-1) if blocks else np.zeros(0, dtype=np.int16)
    return analyze_levels(audio, samplerate, device=info.name)
