"""Reports: one view model per page, built from saved data, and its renderers.

:func:`build_session_view` turns a saved session into a :class:`SessionView`; renderers read only
that. Progress (:mod:`.progress`) and two attempts side by side (:mod:`.compare`) likewise, each
with its terminal view. HTML (:mod:`.html`) is Jinja2 templates shipped in ``templates/``.
"""

from __future__ import annotations

from pathlib import Path

from .session import SessionView, build_session_view

__all__ = ["SessionView", "build_session_view", "default_compare_path", "default_progress_path", "default_report_path"]


def default_report_path(folder: Path) -> Path:
    """Where a session's report goes unless told otherwise: inside its own folder."""
    return folder / "report.html"


def default_progress_path(sessions_dir: Path) -> Path:
    """Where the progress page goes unless told otherwise: beside the session folders."""
    return sessions_dir / "progress.html"


def default_compare_path(newer: Path, older_id: str) -> Path:
    """Where a comparison goes unless told otherwise: in the newer attempt's folder."""
    return newer / f"compare-{older_id}.html"
