"""Read an answer's audio file into the 16 kHz mono float32 array Whisper wants.

Decoding goes through ``faster_whisper.decode_audio`` (PyAV, FFmpeg bundled), so any format
FFmpeg reads works: wav, flac, mp3, ogg/opus, m4a, webm... Every failure is an
``AudioFileError`` whose message is one line naming the file.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from .errors import AudioFileError, MissingDependency

SAMPLE_RATE_HZ = 16000  # what Whisper expects

log = logging.getLogger(__name__)

# Anything whose loudest sample stays under -50 dBFS is not usable speech (a muted or
# unplugged mic sits around -70..-90 dBFS; quiet real speech peaks near -30..-20 dBFS).
SILENCE_PEAK_DBFS = -50.0


def no_speech_message(path: Path | str) -> str:
    return f"no speech found in {path} (silent or too quiet)"


def load_audio(path: Path | str) -> np.ndarray:
    """Decode ``path`` to float32 mono at 16 kHz; raise AudioFileError for anything unusable.

    Checks, in order: exists, is a file, not 0 bytes, decodable audio, not zero-length,
    not silent (peak level). Speech detection itself happens later, in the transcriber's VAD.
    """
    path = Path(path)
    check_file(path)
    audio = decode(path)
    if audio.size == 0:
        raise AudioFileError(f"{path} contains no audio samples (zero-length recording)")
    check_level(audio, path)
    return audio


# A 12-minute answer decodes to ~46 MB of float32; two hours would be ~0.5 GB (1.9 GB measured
# at peak with the decoder's buffers). Answers are minutes long: refuse what cannot be one.
MAX_AUDIO_S = 60 * 60


def check_file(path: Path | str) -> float | None:
    """Cheap checks before any decoding: exists, a file, not empty, not over ``MAX_AUDIO_S``.

    Returns the container's duration in seconds when it states one."""
    path = Path(path)
    if not path.exists():
        raise AudioFileError(f"audio file not found: {path}")
    if path.is_dir():
        raise AudioFileError(f"{path} is a directory, not an audio file")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if size == 0:
        raise AudioFileError(f"audio file is empty (0 bytes): {path}")
    seconds = _container_duration(path)
    if seconds is not None and seconds > MAX_AUDIO_S:
        raise AudioFileError(
            f"{path} is {seconds / 60:.0f} minutes long; answers up to {MAX_AUDIO_S // 60} minutes are accepted "
            "(cut out the answer, e.g. with `ffmpeg -ss START -t DURATION`)"
        )
    return seconds


def _container_duration(path: Path) -> float | None:
    try:
        import av

        with av.open(str(path)) as container:
            if container.duration is not None:
                return container.duration / 1_000_000  # av.time_base
            stream = next(iter(container.streams.audio), None)
            if stream is not None and stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
    except Exception:  # noqa: BLE001 - undecodable files are reported by decode() with the reason
        return None
    return None


def decode(path: Path) -> np.ndarray:
    """``faster_whisper.decode_audio`` with its exceptions turned into AudioFileError."""
    try:
        from faster_whisper import decode_audio
    except ImportError as exc:
        raise MissingDependency(
            "faster-whisper is not installed: pip install faster-whisper"
        ) from exc
    import av

    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE_HZ)
    except PermissionError as exc:
        raise AudioFileError(f"cannot read {path}: permission denied") from exc
    except av.error.InvalidDataError as exc:
        raise AudioFileError(
            f"cannot decode {path}: not an audio file, or the file is corrupt"
        ) from exc
    except IndexError as exc:  # PyAV: container opened but it has no audio stream
        raise AudioFileError(f"cannot decode {path}: the file has no audio stream") from exc
    except (av.error.FFmpegError, OSError, ValueError, RuntimeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AudioFileError(f"cannot decode {path}: {reason}") from exc


def peak_dbfs(audio: np.ndarray) -> float:
    # max/min instead of abs(): no temporary copy of a 12-minute array
    peak = max(float(audio.max()), -float(audio.min())) if audio.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def check_level(audio: np.ndarray, path: Path | str) -> None:
    level = peak_dbfs(audio)
    if level < SILENCE_PEAK_DBFS:
        log.info("%s: peak %.1f dBFS is below %.0f dBFS", path, level, SILENCE_PEAK_DBFS)
        raise AudioFileError(no_speech_message(path))


def duration_s(audio: np.ndarray) -> float:
    return audio.shape[0] / SAMPLE_RATE_HZ


def resample(audio: np.ndarray, src_rate: int, dst_rate: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """Band-limited resampling of mono float audio through PyAV (libswresample)."""
    import av

    if src_rate == dst_rate:
        return audio.astype(np.float32)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=dst_rate)
    frame = av.AudioFrame.from_ndarray(audio.astype(np.float32)[None, :], format="flt", layout="mono")
    frame.sample_rate = src_rate
    out = [f.to_ndarray()[0] for f in resampler.resample(frame)]
    out += [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32)


def write_wav(path: Path | str, audio: np.ndarray) -> None:
    """Mono float samples at SAMPLE_RATE_HZ as a 16-bit PCM WAV file (clipped to [-1, 1])."""
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE_HZ)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def to_mono_float32(block: np.ndarray) -> np.ndarray:
    """One block of samples (int or float; 1-D or frames x channels) as mono float32 in [-1, 1]."""
    a = np.asarray(block)
    if a.ndim not in (1, 2):
        raise ValueError(f"expected a 1-D or (frames, channels) block, got shape {a.shape}")
    if a.dtype == np.int16:
        f = a.astype(np.float32) / np.float32(32768.0)
    elif a.dtype.kind in "iu":
        f = (a / float(np.iinfo(a.dtype).max)).astype(np.float32)
    else:
        f = np.array(a, dtype=np.float32)  # always a copy: the caller may reuse its buffer
    if f.ndim == 2:
        f = np.ascontiguousarray(f[:, 0]) if f.shape[1] == 1 else f.mean(axis=1).astype(np.float32)
    return f


class StreamResampler:
    """Streaming linear-interpolation resampler (speech to Whisper's 16 kHz; no filter needed
    for the tiny model's purposes, and it keeps feed-to-chunk cost negligible)."""

    def __init__(self, src: int, dst: int) -> None:
        self.step = src / dst  # input samples per output sample
        self.t = 0.0  # position of the next output sample, relative to buf[0]
        self.buf = np.zeros(0, np.float32)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self.buf, x]) if self.buf.size else x
        if buf.size < 2:
            self.buf = buf
            return np.zeros(0, np.float32)
        count = max(0, math.floor((buf.size - 1 - self.t) / self.step) + 1)
        pos = self.t + self.step * np.arange(count)
        out = np.interp(pos, np.arange(buf.size), buf).astype(np.float32)
        nxt = self.t + self.step * count
        keep = min(int(nxt), buf.size - 1)
        self.buf = buf[keep:]
        self.t = nxt - keep
        return out
