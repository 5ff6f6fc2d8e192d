"""Where the shipped data lives: top-level prompts/ and rubrics/ in a checkout, or inside the wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .settings import CHECKOUT_ROOT, home_dir


def _shipped(top: str, package: str) -> Path:
    checkout = CHECKOUT_ROOT / top
    if checkout.is_dir():
        return checkout
    return Path(str(files(package)))


def prompts_dir() -> Path:
    return _shipped("prompts", "interviewer._prompts")


def rubrics_dir() -> Path:
    return _shipped("rubrics", "interviewer._rubrics")


def data_dir() -> Path:
    """Bundled binary assets (demo answer audio)."""
    return Path(str(files("interviewer.data")))


def user_questions_dir() -> Path:
    """User-added question bank files, loaded after the shipped ones."""
    return home_dir() / "questions"


def user_rubrics_dir() -> Path:
    """User rubrics; a file here with a shipped rubric's name overrides it."""
    return home_dir() / "rubrics"
