"""Reports: one view model per page, built from saved data, and its renderers.

:func:`build_session_view` turns a saved session into a :class:`SessionView`; renderers read only
that. HTML (:mod:`.html`) is a Jinja2 template shipped in ``templates/``.
"""

from __future__ import annotations

from pathlib import Path

from .session import SessionView, build_session_view

__all__ = ["SessionView", "build_session_view", "default_report_path"]


def default_report_path(folder: Path) -> Path:
    """Where a session's report goes unless told otherwise: inside its own folder."""
    return folder / "report.html"
