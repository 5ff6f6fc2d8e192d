"""Speech I/O: say the question (tts), record the answer (recorder), show it live (live).

Nothing here imports sounddevice, piper or openai at import time; each adapter imports its
engine when used, so a machine without PortAudio can still run ``interviewer --help``.
"""

from __future__ import annotations

from .devices import DeviceInfo, MicReport, list_devices, mic_check, refresh, resolve_device
from .live import KeyListener, record_answer, render_state
from .recorder import Recorder, RecorderState, RecordingResult, StoppedBy
from .tts import (
    OpenAISpeaker,
    PiperSpeaker,
    Speaker,
    SystemSpeaker,
    TextOnlySpeaker,
    VoiceName,
    make_speaker,
)

__all__ = [
    "DeviceInfo",
    "KeyListener",
    "MicReport",
    "OpenAISpeaker",
    "PiperSpeaker",
    "Recorder",
    "RecorderState",
    "RecordingResult",
    "Speaker",
    "StoppedBy",
    "SystemSpeaker",
    "TextOnlySpeaker",
    "VoiceName",
    "list_devices",
    "make_speaker",
    "mic_check",
    "record_answer",
    "refresh",
    "render_state",
    "resolve_device",
]
