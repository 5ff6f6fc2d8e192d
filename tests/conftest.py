"""Shared fixtures: every test gets its own INTERVIEWER_HOME so no user file is touched."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("INTERVIEWER_HOME", str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "INTERVIEWER_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    # Tests never auto-detect a real local LLM server unless they ask for it.
    monkeypatch.setenv("INTERVIEWER_LLM__ENABLED", "off")
    return home


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 2 MB tmpfs (needs root and mount rights; skipped with the reason where not)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {proc.stderr.strip() or proc.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
