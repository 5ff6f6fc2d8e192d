"""Where the shipped data lives: top-level prompts/ and rubrics/ in a checkout, or inside the wheel."""

from __future__ import annotations

from pathlib import Path

from .settings import CHECKOUT_ROOT, home_dir


PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(top: str, packaged: str) -> Path:
    checkout = CHECKOUT_ROOT / top
    if checkout.is_dir():
        return checkout
    # In a wheel the data sits in a folder inside the package (see pyproject's package-dir);
    # a plain path, because importlib.resources gives a MultiplexedPath for namespace packages.
    return PACKAGE_DIR / packaged


def prompts_dir() -> Path:
    return _shipped("prompts", "_prompts")


def rubrics_dir() -> Path:
    return _shipped("rubrics", "_rubrics")


def data_dir() -> Path:
    """Bundled binary assets (demo answer audio)."""
    return PACKAGE_DIR / "data"


def user_questions_dir() -> Path:
    """User-added question bank files, loaded after the shipped ones."""
    return home_dir() / "questions"


def user_rubrics_dir() -> Path:
    """User rubrics; a file here with a shipped rubric's name overrides it."""
    return home_dir() / "rubrics"
