"""A private PulseAudio server with a virtual speaker and microphone, for audio tests.

No sound hardware is needed: ``vspk`` is a null sink (the virtual speaker), ``vmic`` remaps
its monitor into a source (the virtual microphone), so whatever is played into ``vspk`` with
``paplay`` is what a recorder hears from the default input. PortAudio reaches the server
through ALSA's pulse plugin (libasound2-plugins) as the devices "pulse" and "default".

PortAudio lists devices when it initialises (at ``import sounddevice``): start the server
first, or call ``interviewer.speech.devices.refresh()`` afterwards (the fixture does).

Usage: ``from pulse import pulse_server`` in a test module, then request ``pulse_server``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BINARIES = ("pulseaudio", "pactl", "paplay", "parec")
INSTALL_HINT = "apt install pulseaudio pulseaudio-utils libasound2-plugins libportaudio2"


class PulseServer:
    """One pulseaudio daemon (user mode, works as root) plus the low-latency monitor reader."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runtime = root / "pulse"
        self.socket = self.runtime / "native"
        self.log_path = root / "pulseaudio.log"
        self.server: subprocess.Popen[bytes] | None = None
        self.keeper: subprocess.Popen[bytes] | None = None

    @property
    def client_env(self) -> dict[str, str]:
        """Variables that point any libpulse client (and ALSA's pulse plugin) at this server."""
        conf = self.root / "client.conf"
        if not conf.exists():
            conf.write_text("autospawn = no\n")
        return {
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_RUNTIME_PATH": str(self.runtime),
            "PULSE_CLIENTCONFIG": str(conf),
            "PULSE_COOKIE": str(self.root / ".config" / "pulse" / "cookie"),
        }

    def start(self, timeout_s: float = 10.0) -> None:
        self.runtime.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            HOME=str(self.root),
            XDG_RUNTIME_DIR=str(self.root),
            XDG_CONFIG_HOME=str(self.root / ".config"),
            PULSE_RUNTIME_PATH=str(self.runtime),
        )
        env.pop("PULSE_SERVER", None)
        cmd = [
            "pulseaudio",
            "-n",  # no default.pa: only the modules below (no hardware probing)
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--use-pid-file=no",
            "--log-target=stderr",
            "--log-level=error",
            "-L", f"module-native-protocol-unix auth-anonymous=1 socket={self.socket}",
            "-L", "module-null-sink sink_name=vspk sink_properties=device.description=virtual-speaker",
            "-L", "module-remap-source source_name=vmic master=vspk.monitor "
                  "source_properties=device.description=virtual-mic",
        ]  # fmt: skip
        log = open(self.log_path, "wb")  # noqa: SIM115 - handed to the daemon
        self.server = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout_s
        while True:
            if self.server.poll() is not None:
                raise RuntimeError(f"pulseaudio exited ({self.server.returncode}): {self.log_text()}")
            if self.pactl("info", check=False).returncode == 0:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pulseaudio did not answer in {timeout_s} s: {self.log_text()}")
            time.sleep(0.1)
        self.pactl("set-default-sink", "vspk")
        self.pactl("set-default-source", "vmic")
        # A reader on the monitor at low latency: without it the null sink's monitor runs at a
        # 2 s latency and the first capture block from vmic arrives 1-2 s late.
        self.keeper = subprocess.Popen(
            ["parec", "-d", "vspk.monitor", "--latency-msec=20"],
            env={**os.environ, **self.client_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args], env={**os.environ, **self.client_env}, capture_output=True, text=True,
            timeout=10, check=check,
        )

    def play(self, wav: Path) -> subprocess.Popen[bytes]:
        """Start playing a WAV file into the virtual speaker (heard by the virtual mic)."""
        return subprocess.Popen(
            ["paplay", "-d", "vspk", "--latency-msec=20", str(wav)], env={**os.environ, **self.client_env},
        )

    def capture(self, out: Path, device: str = "vspk.monitor") -> subprocess.Popen[bytes]:
        """Record what reaches the virtual speaker as raw s16le 16 kHz mono into ``out``."""
        fh = open(out, "wb")  # noqa: SIM115 - closed below, the child keeps its copy
        try:
            return subprocess.Popen(
                ["parec", "-d", device, "--rate=16000", "--channels=1", "--format=s16le", "--latency-msec=20"],
                env={**os.environ, **self.client_env}, stdout=fh,
            )
        finally:
            fh.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        for proc in (self.keeper, self.server):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.keeper = self.server = None


def missing_binaries() -> list[str]:
    return [b for b in BINARIES if shutil.which(b) is None]


def _refresh_portaudio() -> None:
    """Make an already-imported PortAudio re-enumerate (it lists devices once, at init)."""
    if "sounddevice" in sys.modules:
        from interviewer.speech.devices import refresh

        refresh()


_running: PulseServer | None = None


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseServer]:
    """Session-wide virtual speaker ``vspk`` and microphone ``vmic`` (defaults); env set in-process.

    Several test modules may import this fixture: the first one starts the server, the others
    reuse it (pytest keeps one fixture instance per importing module). To share it more simply,
    list ``pytest_plugins = ("pulse",)`` in conftest.py instead.
    """
    global _running
    if _running is not None and _running.server is not None and _running.server.poll() is None:
        yield _running
        return
    missing = missing_binaries()
    if missing:
        pytest.skip(f"PulseAudio tools missing ({', '.join(missing)}): {INSTALL_HINT}")
    root = Path(tempfile.mkdtemp(prefix="pulse-test-"))
    server = PulseServer(root)
    server.start()
    saved = {k: os.environ.get(k) for k in server.client_env}
    os.environ.update(server.client_env)
    try:
        try:
            _refresh_portaudio()
            from interviewer.errors import MissingDependency
            from interviewer.speech.devices import list_devices

            try:
                devices = list_devices()
            except MissingDependency as exc:
                pytest.skip(f"{exc} ({INSTALL_HINT})")
            if not any(d.name in ("pulse", "default") and d.max_input_channels for d in devices):
                pytest.skip(f"PortAudio does not see the PulseAudio server (ALSA pulse plugin missing?): {INSTALL_HINT}")
        except BaseException:
            server.stop()
            raise
        _running = server
        yield server
    finally:
        _running = None
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        try:
            _refresh_portaudio()
        except Exception:  # noqa: BLE001 - best effort: later tests see no stale devices
            pass
        shutil.rmtree(root, ignore_errors=True)
