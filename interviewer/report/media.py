"""The answer's audio, made small enough to travel inside a report: Opus in an Ogg file.

Speech at 24 kbit/s mono Opus stays clear and costs about 180 kB a minute, so a 12-minute answer
adds about 2.2 MB (2.9 MB once base64-encoded into the page); every current browser plays it.
Decoding goes through :func:`interviewer.audio.decode` (the one decoder), encoding through PyAV,
which faster-whisper already installs.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE_HZ, decode
from ..errors import AudioFileError

OPUS_BITRATE = 24_000
OPUS_EFFORT = "5"
AUDIO_MIME = "audio/ogg; codecs=opus"
# Opus codes 20 ms frames; 16 kHz is one of the rates it takes natively, so nothing is resampled.
_FRAME = SAMPLE_RATE_HZ // 50


COMPRESSED_COPY = "answer.opus"


def cached_opus_bytes(path: Path) -> bytes:
    """``opus_bytes(path)``, kept beside it as answer.opus so the next report of the session does
    not compress the answer again (2 s for 12 minutes; the rest of a report takes 0.1 s)."""
    copy = path.with_name(COMPRESSED_COPY)
    try:
        if copy.stat().st_mtime >= path.stat().st_mtime:
            return copy.read_bytes()
    except OSError:
        pass
    data = opus_bytes(path)
    tmp = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")  # the store sweeps stale .*.tmp
    try:
        tmp.write_bytes(data)
        tmp.replace(copy)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only or full store still gets its report; the next one compresses again
    return data


def opus_bytes(path: Path) -> bytes:
    """The audio of ``path`` as an Ogg Opus file (mono, 16 kHz, 24 kbit/s)."""
    import av  # heavy; only a report with audio needs it

    samples = decode(path)
    pcm = np.clip(samples, -1.0, 1.0).astype(np.float32)
    out = io.BytesIO()
    try:
        with av.open(out, mode="w", format="ogg") as container:
            stream = container.add_stream("libopus", rate=SAMPLE_RATE_HZ)
            stream.bit_rate = OPUS_BITRATE
            stream.layout = "mono"
            # libopus' default effort (10) took 7 s for 11 minutes on 2 busy cores; 5 takes 2 s
            # for a 17 % larger file (bench/bench_report.py).
            stream.codec_context.options = {"compression_level": OPUS_EFFORT}
            for at in range(0, len(pcm), _FRAME):
                chunk = pcm[at : at + _FRAME]
                if len(chunk) < _FRAME:  # the encoder takes whole frames only
                    chunk = np.pad(chunk, (0, _FRAME - len(chunk)))
                frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
                frame.sample_rate = SAMPLE_RATE_HZ
                frame.pts = at
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    except (av.error.FFmpegError, ValueError) as exc:
        raise AudioFileError(f"cannot compress {path} for the report: {exc}") from exc
    return out.getvalue()
