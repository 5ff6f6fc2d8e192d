"""Audio commands: devices, mic-check, say."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from ..settings import load_settings
from ..speech.tts import VoiceName
from .app import app, console, err_console, handles_errors

DeviceOpt = Annotated[
    Optional[str], typer.Option("--device", "-d", help="Device name (or part of it) or index; see `interviewer devices`.")
]


@app.command()
@handles_errors
def devices() -> None:
    """List the audio input and output devices PortAudio sees."""
    from ..speech.devices import list_devices

    rows = list_devices()
    if not rows:
        err_console.print("[yellow]no audio devices found[/] (no sound card, or the sound server is not running)")
        raise typer.Exit(1)
    table = Table(title="Audio devices", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("name")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("host API")
    table.add_column("default")
    for d in rows:
        marks = [m for m, on in (("input", d.is_default_input), ("output", d.is_default_output)) if on]
        table.add_row(
            str(d.index), d.name, str(d.max_input_channels), str(d.max_output_channels),
            f"{d.default_samplerate:.0f}", d.hostapi, ", ".join(marks),
        )
    console.print(table)


@app.command("mic-check")
@handles_errors
def mic_check(
    seconds: Annotated[float, typer.Option("--seconds", "-s", min=1, max=60, help="How long to listen.")] = 3.0,
    device: DeviceOpt = None,
) -> None:
    """Listen to the microphone for a few seconds and report its level, noise and clipping."""
    from ..speech.devices import mic_check as run_mic_check

    settings = load_settings(audio={"input_device": device})
    with err_console.status(f"Listening for {seconds:g} s: speak as you would in the interview…"):
        report = run_mic_check(seconds, settings.audio.input_device, settings.audio.samplerate)
    table = Table.grid(padding=(0, 2))
    table.add_row("device", report.device)
    table.add_row("level (rms)", f"{report.rms_dbfs:.1f} dBFS")
    table.add_row("peak", f"{report.peak_dbfs:.1f} dBFS")
    table.add_row("speech", f"{report.speech_dbfs:.1f} dBFS")
    table.add_row("noise floor", f"{report.noise_floor_dbfs:.1f} dBFS")
    table.add_row("clipping", f"{report.clipped_fraction:.2%}")
    console.print(table)
    console.print(f"[{'green' if report.ok else 'yellow'}]{report.verdict}[/]", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@handles_errors
def say(
    text: Annotated[str, typer.Argument(help="What to say.")],
    voice: Annotated[
        Optional[VoiceName], typer.Option("--voice", help="auto: piper if installed, else the system voice, else text.")
    ] = None,
    device: DeviceOpt = None,
) -> None:
    """Speak TEXT with the interviewer's voice (a quick check of the speaker and the voice)."""
    from ..speech.tts import TextOnlySpeaker, make_speaker

    settings = load_settings(audio={"voice": voice.value if voice else None, "output_device": device})
    speaker = make_speaker(None, settings)
    err_console.print(f"[dim]voice: {speaker.label}[/]", highlight=False)
    if isinstance(speaker, TextOnlySpeaker):
        console.print(text, highlight=False)
    speaker.say(text)
