"""Shared fixtures: every test gets its own INTERVIEWER_HOME so no user file is touched."""

from __future__ import annotations

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
