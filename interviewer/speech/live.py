"""The recording screen: a rich Live view of RecorderState plus a stop-key listener.

``render_state`` is a pure function (state -> renderable) so it is tested without a terminal;
``record_answer`` wires Recorder + KeyListener + Live together for the session/CLI.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from .devices import FLOOR_DBFS
from .recorder import WARN_AT_S, OnBlock, Recorder, RecorderState, RecordingResult
from ..render import clock

STOP_KEYS = frozenset({"\n", "\r", " ", "s", "S"})
STOP_HINT = "Enter, space or s: stop · Ctrl-C: abort (the audio is kept)"
METER_MIN_DBFS = -60.0
STOP_LABELS = {
    "key": "stopped",
    "time_limit": "time is up",
    "silence": "stopped after a long silence",
    "interrupt": "interrupted",
    "device_lost": "the microphone stopped sending audio",
}


def format_clock(seconds: float) -> str:
    """A running clock shows whole seconds passed (1:01 until 1:02 is reached)."""
    return clock(int(seconds))


def level_meter(level_dbfs: float, peak_dbfs: float, width: int = 30) -> Text:
    """A bar from METER_MIN_DBFS to 0 dBFS: green, yellow when loud, red when near clipping."""
    level = max(METER_MIN_DBFS, min(0.0, level_dbfs))
    filled = int(round((level - METER_MIN_DBFS) / -METER_MIN_DBFS * width))
    style = "red" if peak_dbfs >= -1.0 else ("yellow" if level_dbfs > -10 else "green")
    bar = Text("█" * filled, style=style)
    bar.append("·" * (width - filled), style="dim")
    shown = "  -∞ dBFS" if level_dbfs <= FLOOR_DBFS else f"{level_dbfs:5.0f} dBFS"
    bar.append(f" {shown}")
    if peak_dbfs >= -1.0:
        bar.append("  CLIPPING", style="bold red")
    return bar


def render_state(state: RecorderState, *, hint: str | None = STOP_HINT, meter_width: int = 30) -> RenderableType:
    """The recording screen for one moment of ``state`` (pure: no I/O, no clock)."""
    over = state.overtime
    clock = Text()
    if state.finished:
        clock.append("■ ", style="dim")
    else:
        clock.append("● REC ", style="bold red")
    clock.append(f"{format_clock(state.elapsed_s)} / {format_clock(state.budget_s)}", style="bold red" if over else "bold")
    if over:
        clock.append(f"   OVERTIME +{format_clock(state.overtime_s)}", style="bold white on red")
    else:
        clock.append(f"   {format_clock(state.remaining_s)} left", style=_remaining_style(state))

    lines: list[RenderableType] = [clock]
    if not state.started and not state.finished:
        lines.append(Text("waiting for the microphone…", style="dim"))
    else:
        lines.append(level_meter(state.level_dbfs, state.peak_dbfs, meter_width))

    notice = _time_notice(state)
    if notice is not None:
        lines.append(notice)
    for message in _other_warnings(state.warnings):
        lines.append(Text(f"⚠ {message}", style="yellow"))
    if state.finished and state.stopped_by:
        lines.append(Text(STOP_LABELS.get(state.stopped_by, state.stopped_by), style="bold"))
    elif hint:
        lines.append(Text(hint, style="dim"))
    title = f"Recording · {state.device}" if state.device else "Recording"
    return Panel(Group(*lines), title=title, title_align="left", border_style="red" if over else "blue", expand=False)


def _remaining_style(state: RecorderState) -> str:
    if state.remaining_s <= min(WARN_AT_S):
        return "bold red"
    if state.remaining_s <= max(WARN_AT_S):
        return "yellow"
    return "green"


def _time_notice(state: RecorderState) -> Text | None:
    if state.overtime:
        return Text(f"over time by {format_clock(state.overtime_s)}: wrap up now", style="bold red")
    for left in sorted(WARN_AT_S):
        if state.budget_s > left and state.remaining_s <= left:
            style = "bold red" if left == min(WARN_AT_S) else "yellow"
            return Text(f"{format_clock(left)} left: {'finish your point' if left == min(WARN_AT_S) else 'start wrapping up'}", style=style)
    return None


def _other_warnings(warnings: Iterable[str]) -> list[str]:
    timed = {f"{format_clock(left)} left" for left in WARN_AT_S} | {"overtime"}
    return [w for w in warnings if w not in timed]


class KeyListener:
    """Sets ``stop`` when Enter, space or 's' is pressed; a no-op when ``stream`` is not a TTY.

    The terminal goes into cbreak mode (keys arrive without Enter, Ctrl-C still interrupts)
    and is restored on exit, even after an exception. Keys typed before entering are dropped.
    """

    def __init__(self, stop: threading.Event, stream: IO[str] | None = None, keys: frozenset[str] = STOP_KEYS) -> None:
        self.stop = stop
        self.stream = stream if stream is not None else sys.stdin
        self.keys = keys
        self.active = False
        self._quit = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved: Any = None
        self._fd = -1

    def __enter__(self) -> KeyListener:
        try:
            tty_ok = self.stream is not None and self.stream.isatty()
        except (ValueError, OSError):  # closed or detached stdin
            tty_ok = False
        if not tty_ok:
            return self
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            target = self._run_windows
        else:
            import termios
            import tty

            self._fd = self.stream.fileno()
            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)
            # Drop keys typed before recording began (e.g. the Enter that started it).
            termios.tcflush(self._fd, termios.TCIFLUSH)
            target = self._run_posix
        self.active = True
        self._thread = threading.Thread(target=target, name="stop-keys", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._quit.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._saved is not None:
            import termios

            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None
        self.active = False

    def _run_posix(self) -> None:
        while not self._quit.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if not ready:
                continue
            data = os.read(self._fd, 32)
            if not data:  # EOF
                return
            if any(ch in self.keys for ch in data.decode("utf-8", errors="ignore")):
                self.stop.set()
                return

    def _run_windows(self) -> None:  # pragma: no cover
        import msvcrt
        import time

        while not self._quit.is_set():
            if msvcrt.kbhit():
                if msvcrt.getwch() in self.keys:
                    self.stop.set()
                    return
            else:
                time.sleep(0.05)


def record_answer(
    recorder: Recorder,
    path: Path | str,
    *,
    budget_s: float,
    console: Console | None = None,
    stop: threading.Event | None = None,
    on_block: OnBlock | None = None,
    allow_overtime: bool = False,
    silence_stop_s: float | None = None,
    max_overtime_s: float | None = None,
    keys: IO[str] | None = None,
    refresh_per_second: float = 8,
) -> RecordingResult:
    """Record with the live view on ``console`` and the stop keys read from ``keys`` (stdin).

    Call from the main thread so Ctrl-C reaches the recorder (it returns
    ``stopped_by="interrupt"`` with the audio kept).
    """
    from rich.live import Live

    stop = stop or threading.Event()
    recorder.state = RecorderState(budget_s=float(budget_s), samplerate=recorder.samplerate)
    with KeyListener(stop, keys), Live(
        get_renderable=lambda: render_state(recorder.state),
        console=console,
        refresh_per_second=refresh_per_second,
        transient=False,
    ) as live:
        result = recorder.record(
            path,
            budget_s=budget_s,
            stop=stop,
            on_block=on_block,
            allow_overtime=allow_overtime,
            silence_stop_s=silence_stop_s,
            max_overtime_s=max_overtime_s,
        )
        live.refresh()
    return result
