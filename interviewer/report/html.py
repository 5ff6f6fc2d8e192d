"""The session report as one self-contained HTML page (Jinja2 template, inline CSS, JS and SVG).

Nothing on the page reaches the network: a Content-Security-Policy forbids every fetch except the
audio, which is embedded as a ``data:`` URI (Ogg Opus, see :mod:`.media`) or, with ``embed=False``,
a file beside the page. Colours are the terminal's (``render.STYLES``) read through rich's own
palette, so a "we did" is the same yellow in both.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME

from ..errors import InterviewerError
from ..render import STYLES, clock
from ..store import SavedSession, Store, os_error
from . import default_report_path
from .compare import CompareView
from .media import AUDIO_MIME, cached_opus_bytes
from .progress import SCORE_RANGE, ProgressView, SessionFigures, Series
from .session import SessionView, build_session_view

if TYPE_CHECKING:
    from .loop import LoopView  # imports the loop runner: only the loop page needs it

log = logging.getLogger(__name__)

# Kinds the terminal has no style of its own for borrow the nearest one.
_FALLBACK_STYLE = {"before_after": "cyan"}
# The pace chart: SVG units tall (it is drawn 1000 wide and stretched); its top is at least
# PACE_TOP_WPM; the shaded band is the comfortable pace for an interview answer.
PACE_H = 100
PACE_TOP_WPM = 200.0
PACE_BAND = (130.0, 160.0)
# A finding shorter than this share of the answer is still drawn wide enough to click.
MIN_MARK_PCT = 0.6


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("interviewer.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    return env


def style_css(key: str) -> dict[str, str]:
    """A terminal style as CSS: text colour, weight, decoration, and a light tint for the background."""
    style = Style.parse(STYLES.get(key) or _FALLBACK_STYLE.get(key, ""))
    css: dict[str, str] = {}
    if style.color is not None:
        r, g, b = style.color.get_truecolor(DEFAULT_TERMINAL_THEME)
        css["color"] = f"rgb({r},{g},{b})"
        css["background"] = f"rgba({r},{g},{b},0.12)"
    if style.bold:
        css["font-weight"] = "600"
    if style.italic:
        css["font-style"] = "italic"
    deco = [d for d, on in (("underline", style.underline), ("line-through", style.strike)) if on]
    if deco:
        css["text-decoration"] = " ".join(deco)
    if style.dim:
        css["opacity"] = "0.6"
    return css


def _style_sheet(view: SessionView) -> str:
    keys = {"uncertain", *(e.style for e in view.legend), *(f.style for f in view.findings if f.style)}
    rules = []
    for key in sorted(keys):
        decls = style_css(key)
        # Uncertain words keep any finding colour and add a dotted underline (the terminal's underline).
        if key == "uncertain":
            decls = {"text-decoration": "underline dotted", "opacity": "0.7", "font-style": "italic"}
        body = ";".join(f"{k}:{v}" for k, v in decls.items())
        rules.append(f".k-{key}{{{body}}}")
        if "color" in decls:
            rules.append(f".m-{key}{{fill:{decls['color']};stroke:{decls['color']};background:{decls['color']}}}")
    return "\n".join(rules)


def _pct(t: float, duration: float) -> float:
    return round(min(100.0, max(0.0, 100.0 * t / duration)), 3) if duration else 0.0


def _timeline(view: SessionView) -> dict | None:
    """Timeline geometry: x in percent of the answer, so the chart stretches to any width while
    its labels stay HTML text of readable size (an SVG scaled to 375 px would shrink them)."""
    tl = view.timeline
    if tl is None:
        return None
    d = tl.duration_s
    top = max([p.wpm for p in tl.pace] + [PACE_TOP_WPM])
    y = lambda wpm: round(PACE_H - PACE_H * wpm / top, 2)  # noqa: E731
    labels = dict((e.style, e.label) for e in view.legend)
    lanes: dict[str, list[dict]] = {}
    for f in (view.findings[i] for i in tl.marks):
        a = f.start or 0.0
        b = f.end if f.end is not None and f.end > a else a
        lanes.setdefault(f.style or "", []).append(
            {"x": _pct(a, d), "w": max(_pct(b - a, d), MIN_MARK_PCT), "f": f})
    step = next(s for s in (15, 30, 60, 120, 300, 600) if d / s <= 8)
    return {
        "pace_h": PACE_H,
        "pace": " ".join(f"{_pct(p.t, d) * 10:.1f},{y(p.wpm)}" for p in tl.pace),
        "band": (y(PACE_BAND[1]), y(PACE_BAND[0])),
        "pauses": [{"x": _pct(a, d), "w": max(_pct(b - a, d), MIN_MARK_PCT), "a": a, "b": b} for a, b in tl.pauses],
        "lanes": [(k, labels.get(k, k), lanes[k]) for k in [e.style for e in view.legend] if k in lanes],
        "ticks": [{"x": _pct(t, d), "label": clock(t)} for t in range(0, int(d) + 1, step)],
    }


class SessionLinks(NamedTuple):
    """Where the session page points up to, relative to the page; None: no such page to link."""

    loop: str | None = None
    parent: str | None = None


def session_links(saved: SavedSession, output: Path) -> SessionLinks:
    """Links from a session page written at ``output`` to its mock loop's page and, for a follow-up,
    to the page of the answer it followed, where those sit by default (``loops/<loop_id>.html`` and
    ``<parent_id>/report.html`` in the sessions folder). A loop is linked once its state exists (its
    page is written when the loop ends or by ``report --loop``); a parent once its folder does."""
    root, base = saved.folder.parent.resolve(), output.parent.resolve()
    rel = lambda target: Path(os.path.relpath(target, base)).as_posix()  # noqa: E731
    loop = parent = None
    if saved.meta.loop_id:
        from ..loop import state_path  # the loop runner: only for loop answers
        from .loop import default_loop_page

        page = default_loop_page(root, saved.meta.loop_id)
        if page.is_file() or state_path(root, saved.meta.loop_id).is_file():
            loop = rel(page)
    if saved.meta.parent_id and (root / saved.meta.parent_id).is_dir():
        parent = rel(default_report_path(root / saved.meta.parent_id))
    return SessionLinks(loop=loop, parent=parent)


def render_session_html(view: SessionView, audio_src: str | None, links: SessionLinks | None = None) -> str:
    """The page for ``view``; ``audio_src`` is a data: URI, a file name beside the page, or None;
    ``links`` point up to the loop's page and the followed answer's page."""
    starts = [w.start for w in view.words]
    return _env().get_template("session.html.j2").render(
        v=view, audio_src=audio_src, style_sheet=_style_sheet(view), timeline=_timeline(view),
        starts_json=json.dumps(starts if all(s is not None for s in starts) else []),
        style_css=style_css, links=links or SessionLinks(),
    )


def write_session_report(saved: SavedSession, output: Path, *, embed: bool = True) -> Path:
    """Write the report of ``saved`` to ``output``; the audio goes inside it, or beside it as
    ``<name>.ogg`` when ``embed`` is False. Returns the page's path."""
    view = build_session_view(saved)
    audio_src = None
    audio = saved.audio_path if view.has_audio else None
    data = cached_opus_bytes(audio) if audio is not None else None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if data is not None and embed:
            audio_src = f"data:{AUDIO_MIME};base64," + base64.b64encode(data).decode("ascii")
        elif data is not None:
            beside = output.with_suffix(".ogg")
            beside.write_bytes(data)
            audio_src = beside.name
        output.write_text(render_session_html(view, audio_src, session_links(saved, output)), encoding="utf-8")
    except OSError as exc:
        raise os_error(output, exc) from exc
    return output




def _newest_change(folder: Path) -> float:
    files = [folder / "session.json", folder / "transcript.json", folder / "evidence.json",
             *(folder / "grades").glob("*.json")]
    return max((f.stat().st_mtime for f in files if f.is_file()), default=0.0)


def session_pages(store: Store, session_ids: Iterable[str], *, embed: bool = True,
                  on_page: Callable[[str], None] | None = None) -> dict[str, Path]:
    """The page of each session where it sits by default (``report.html`` in its folder), written
    where missing or older than the session; a session that cannot be read or written is logged and
    left without a page (pages linking to it drop the link). Used by the loop and compare pages."""
    pages: dict[str, Path] = {}
    for sid in dict.fromkeys(session_ids):
        folder = store.root / sid
        page = default_report_path(folder)
        try:
            if not page.is_file() or page.stat().st_mtime < _newest_change(folder):
                if on_page is not None:
                    on_page(sid)
                write_session_report(store.load_folder(folder), page, embed=embed)
            pages[sid] = page.resolve()
        except (InterviewerError, OSError) as exc:
            log.warning("no page for session %s: %s", sid, exc)
    return pages


def relative_links(pages: dict[str, Path], base: Path) -> Callable[[str], str | None]:
    """Links to the session pages, relative to the folder ``base`` of the page that holds them."""
    base = base.resolve()

    def href(sid: str) -> str | None:
        page = pages.get(sid)
        return Path(os.path.relpath(page, base)).as_posix() if page is not None else None

    return href


# --- progress and compare pages -----------------------------------------------------------------

# A chart's frame in SVG units: room for the value labels on the left and the dates below.
_CHART_PAD = {"left": 34.0, "right": 10.0, "top": 10.0, "bottom": 22.0}


def _ticks(series: Series) -> list[float]:
    if (series.lo, series.hi) == SCORE_RANGE:
        return [1.0, 2.0, 3.0, 4.0, 5.0]
    return [series.lo + k * (series.hi - series.lo) / 3 for k in range(4)]


def line_chart(series: Series, sessions: list[SessionFigures], *, width: float = 320, height: float = 130) -> dict:
    """The geometry of one SVG line chart of ``series``: sessions evenly spaced left to right,
    the line broken where a session has no value, a point with a tooltip for each value."""
    pad = _CHART_PAD
    plot_w, plot_h = width - pad["left"] - pad["right"], height - pad["top"] - pad["bottom"]
    n = len(series.values)
    span = (series.hi - series.lo) or 1.0

    def x(i: int) -> float:
        return round(pad["left"] + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(pad["top"] + plot_h * (series.hi - min(max(v, series.lo), series.hi)) / span, 1)

    lines: list[list[str]] = [[]]
    points = []
    for i, (v, s) in enumerate(zip(series.values, sessions)):
        if v is None:
            if lines[-1]:
                lines.append([])
            continue
        lines[-1].append(f"{x(i)},{y(v)}")
        points.append({"x": x(i), "y": y(v), "id": s.id,
                       "title": f"{s.created_at.astimezone():%Y-%m-%d} · {series.fmt(v)} · {s.question[:70]}"})
    band = None
    if series.band is not None:
        top, bottom = y(series.band[1]), y(series.band[0])
        band = {"y": top, "h": round(bottom - top, 1)}
    dates = [(0, "start"), (n - 1, "end")] if n > 1 else [(0, "middle")]
    return {
        "w": width, "h": height, "x0": pad["left"], "x1": width - pad["right"],
        "lines": [" ".join(p) for p in lines if p], "points": points, "band": band,
        "grid": [{"y": y(t), "label": series.fmt(t)} for t in _ticks(series)],
        "dates": [{"x": x(i), "anchor": a, "label": f"{sessions[i].created_at.astimezone():%m-%d}"} for i, a in dates],
    }


def render_progress_html(view: ProgressView) -> str:
    """The progress page: an SVG line chart per measure, principles covered, every session."""
    charts = {s.key: line_chart(s, view.sessions) for s in [*view.criteria, *view.delivery]}
    if view.overall is not None:
        charts["overall"] = line_chart(view.overall, view.sessions, width=640, height=170)
    return _env().get_template("progress.html.j2").render(v=view, charts=charts)


def render_compare_html(view: CompareView, href: Callable[[str], str | None] | None = None) -> str:
    """Two attempts side by side: scores with changes, what was added and dropped, what is missing.
    With ``href`` (session id -> its page, relative to this one) each session is linked, and each
    timed mention to its moment on that page (``page#t=<start>``): an added one in the second
    attempt, a dropped one in the first."""
    href = href or (lambda sid: None)
    return _env().get_template("compare.html.j2").render(v=view, page_a=href(view.a.id), page_b=href(view.b.id))


def write_page(text: str, output: Path) -> Path:
    """Write a rendered page; an unwritable place is a one-line StoreError."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise os_error(output, exc) from exc
    return output


def render_loop_html(view: LoopView) -> str:
    """The mock loop's page: verdict, rounds, every answer linked to its own session page."""
    return _env().get_template("loop.html.j2").render(v=view)
