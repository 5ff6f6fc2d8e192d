"""The view model of progress across sessions: scores per criterion, fillers, pace and time used
over time, and the Leadership Principles covered.

One :class:`ProgressView` feeds every renderer (terminal table with sparklines, JSON, the HTML
page with SVG charts). Each series holds one value per session, in the order of
:attr:`ProgressView.sessions` (oldest first), ``None`` where that session has no such value (not
graded on that criterion, a pasted transcript has no pace or duration).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from rich import box
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ..models import Round, Track
from ..progress import PrincipleCoverage, build_coverage, load_sessions
from ..render import clock, grade_label
from ..rubric import Checks, criterion_names
from ..store import SavedSession, Store


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgressFilter(_View):
    round: Round | None = None
    track: Track | None = None
    question_id: str | None = None

    def keeps(self, saved: SavedSession) -> bool:
        meta = saved.meta
        return (
            (self.round is None or meta.question.round == self.round)
            and (self.track is None or meta.track == self.track)
            and (self.question_id is None or meta.question.id == self.question_id)
        )

    def describe(self) -> str:
        """"round behavioral · track mle", or "all sessions"."""
        parts = [f"{k.replace('_', ' ')} {v}" for k, v in self.model_dump(mode="json").items() if v is not None]
        return " · ".join(parts) or "all sessions"


class SessionFigures(_View):
    """The figures of one session: a point on every progress chart, a side of a comparison."""

    id: str
    created_at: datetime
    question_id: str
    question: str
    round: Round
    track: Track | None = None
    finished: bool = True
    overall: float | None = None
    grader: str | None = None
    graded_by: str | None = Field(default=None, description="who gave the latest grade, in words")
    scores: dict[str, int] = Field(default_factory=dict, description="criterion id -> score of the latest grade")
    fillers: int | None = None
    filler_rate: float | None = Field(default=None, description="fillers per 100 words")
    wpm: float | None = None
    duration_s: float | None = None
    time_budget_s: int
    time_used_pct: float | None = Field(default=None, description="duration as a percentage of the budget")
    time_used: str = Field(description='"3:12 of 12:00", "-" for a pasted transcript')
    words: int | None = None
    i_count: int | None = None
    we_count: int | None = None
    long_pauses: int | None = None


class Series(_View):
    """One measure over time: one value per session (None: not measured there)."""

    key: str = Field(description='criterion id, or "overall", "filler_rate", "wpm", "time_used_pct"')
    name: str
    unit: str = ""
    better: Literal["higher", "lower", "band"]
    band: tuple[float, float] | None = Field(default=None, description="the good range, when there is one")
    lo: float = Field(description="bottom of the chart's axis")
    hi: float = Field(description="top of the chart's axis")
    values: list[float | None]
    count: int = Field(description="sessions with a value")
    first: float | None = None
    latest: float | None = None
    best: float | None = None
    change: float | None = Field(default=None, description="latest minus first")
    improved: bool | None = Field(default=None, description="None: unchanged, one value, or no direction")
    decimals: int = Field(default=1, ge=0, le=3, description="how values are shown")
    suffix: str = Field(default="", description='shown after a value: "%"')

    def fmt(self, value: float | None, *, signed: bool = False) -> str:
        """A value as every renderer shows it: "3.5", "142", "62%", "+1.5"."""
        if value is None:
            return "-"
        return f"{value:{'+' if signed else ''}.{self.decimals}f}{self.suffix}"


class ProgressView(_View):
    filters: ProgressFilter
    description: str = Field(description="the filters in words")
    generated_at: datetime
    sessions: list[SessionFigures] = Field(description="oldest first")
    overall: Series | None = None
    criteria: list[Series] = Field(default_factory=list, description="one per criterion ever graded, first seen first")
    delivery: list[Series] = Field(default_factory=list, description="filler rate, pace, time used")
    principles: list[PrincipleCoverage] = Field(default_factory=list, description="the 16 Leadership Principles")
    principles_covered: list[str] = Field(default_factory=list)
    principles_missing: list[str] = Field(default_factory=list)


# --- building ----------------------------------------------------------------------------------

SCORE_RANGE = (1.0, 5.0)


def session_figures(saved: SavedSession) -> SessionFigures:
    """The figures of one saved session."""
    meta, ev, tr = saved.meta, saved.evidence, saved.transcript
    grade = saved.latest_grade
    duration = meta.duration_s or (tr.duration_s if tr else None)
    budget = ev.delivery.time_budget_s if ev else meta.question.time_budget_s
    d = ev.delivery if ev else None
    return SessionFigures(
        id=meta.id, created_at=meta.created_at, question_id=meta.question.id, question=meta.question.text,
        round=meta.question.round, track=meta.track, finished=meta.finished,
        overall=grade.overall if grade else None, grader=grade.grader if grade else None,
        graded_by=grade_label(grade) if grade else None,
        scores={c.criterion: c.score for c in grade.criteria} if grade else {},
        fillers=sum(d.fillers.values()) if d else None,
        filler_rate=(d.filler_rate or 0.0) if d and d.word_count else None,
        wpm=d.wpm if d else None, duration_s=duration, time_budget_s=budget,
        time_used_pct=round(100.0 * duration / budget, 1) if duration and budget else None,
        time_used=f"{clock(duration)} of {clock(budget)}" if duration else "-",
        words=d.word_count if d else None, i_count=ev.ownership.i_count if ev else None,
        we_count=ev.ownership.we_count if ev else None, long_pauses=len(d.long_pauses) if d else None,
    )


def _series(
    key: str, name: str, values: list[float | None], *, better: Literal["higher", "lower", "band"],
    unit: str = "", band: tuple[float, float] | None = None, axis: tuple[float, float] | None = None,
    decimals: int = 1, suffix: str = "",
) -> Series:
    known = [v for v in values if v is not None]
    if axis is None:
        floor = min(known + ([band[0]] if band else []), default=0.0)
        top = max(known + ([band[1]] if band else []), default=1.0)
        pad = (top - floor) * 0.1 or 1.0
        axis = (max(0.0, floor - pad), top + pad)
    first = known[0] if known else None
    latest = known[-1] if known else None
    change = round(latest - first, 2) if len(known) > 1 else None  # type: ignore[operator]
    if better == "higher":
        best = max(known, default=None)
    elif better == "lower":
        best = min(known, default=None)
    else:  # inside a band there is no best, only in or out
        best = None
    improved: bool | None = None
    if change:
        if better == "higher":
            improved = change > 0
        elif better == "lower":
            improved = change < 0
        elif band:
            d0, d1 = _band_distance(first, band), _band_distance(latest, band)  # type: ignore[arg-type]
            improved = None if d0 == d1 else d1 < d0
    return Series(key=key, name=name, unit=unit, better=better, band=band, lo=round(axis[0], 2),
                  hi=round(axis[1], 2), values=values, count=len(known), first=first, latest=latest,
                  best=best, change=change, improved=improved, decimals=decimals, suffix=suffix)


def _band_distance(value: float, band: tuple[float, float] | None) -> float:
    if band is None:
        return 0.0
    return max(band[0] - value, 0.0, value - band[1])


def build_progress_view(
    sessions: Sequence[SavedSession], filters: ProgressFilter | None = None, *, now: datetime | None = None
) -> ProgressView:
    """Progress over ``sessions`` (oldest first, as :func:`~interviewer.progress.load_sessions`
    returns them) that ``filters`` keeps; sessions with neither evidence nor a grade are left out."""
    filters = filters or ProgressFilter()
    kept = [s for s in sessions if filters.keeps(s) and (s.evidence is not None or s.grades)]
    points = [session_figures(s) for s in kept]

    names: dict[str, str] = {}
    order: list[str] = []
    for saved, p in zip(kept, points):
        for cid in p.scores:
            if cid not in names:
                order.append(cid)
                names[cid] = criterion_names(saved.meta.question, saved.meta.track).get(cid) or cid.replace("_", " ")

    def column(get: Callable[[SessionFigures], float | None]) -> list[float | None]:
        return [get(p) for p in points]

    overall = criteria = None
    if any(p.overall is not None for p in points):
        overall = _series("overall", "overall", column(lambda p: p.overall), better="higher", axis=SCORE_RANGE)
    criteria = [
        _series(cid, names[cid], column(lambda p, c=cid: p.scores.get(c)), better="higher", axis=SCORE_RANGE,
                decimals=0)  # type: ignore[misc]
        for cid in order
    ]
    pace = Checks().pace_wpm
    delivery = [
        s for s in (
            _series("filler_rate", "fillers", column(lambda p: p.filler_rate), better="lower", unit="/100 words"),
            _series("wpm", "pace", column(lambda p: p.wpm), better="band", unit="wpm", band=(pace.low, pace.high),
                    decimals=0),
            _series("time_used_pct", "time used", column(lambda p: p.time_used_pct), better="band",
                    unit="of the budget", band=(0.0, 100.0), decimals=0, suffix="%"),
        ) if s.count
    ]

    coverage = build_coverage(kept, now=now)
    covered = [r.principle for r in coverage.principles if r.session_ids]
    return ProgressView(
        filters=filters, description=filters.describe(), generated_at=now or datetime.now(timezone.utc),
        sessions=points, overall=overall, criteria=criteria, delivery=delivery,
        principles=coverage.principles, principles_covered=covered,
        principles_missing=[r.principle for r in coverage.principles if not r.session_ids],
    )


def progress_view(store: Store, filters: ProgressFilter | None = None) -> ProgressView:
    """Progress over every saved session that ``filters`` keeps."""
    return build_progress_view(load_sessions(store), filters)


# --- terminal ----------------------------------------------------------------------------------

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
# At this width and above the table also shows how many sessions each row has.
WIDE_MIN = 100


def spark_style(series: Series, value: float) -> str:
    """Colour of one point: scores by level, band measures by in or out of the band."""
    if series.lo == SCORE_RANGE[0] and series.hi == SCORE_RANGE[1]:
        return "red" if value < 2.5 else "yellow" if value < 3.5 else "green"
    if series.band is not None:
        return "green" if series.band[0] <= value <= series.band[1] else "yellow"
    return "cyan"


class Sparkline:
    """A series as one line of block characters, oldest on the left; in a narrow place the newest
    points are kept. A session without a value is a gap."""

    def __init__(self, series: Series) -> None:
        self.series = series

    def text(self, width: int) -> Text:
        s = self.series
        span = (s.hi - s.lo) or 1.0
        out = Text(no_wrap=True, overflow="crop")
        for v in s.values[-max(width, 1):]:
            if v is None:
                out.append("·", style="dim")
                continue
            level = round((min(max(v, s.lo), s.hi) - s.lo) / span * (len(SPARK_BLOCKS) - 1))
            out.append(SPARK_BLOCKS[level], style=spark_style(s, v))
        return out

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        n = len(self.series.values)
        return Measurement(min(n, 6), max(n, 1))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.text(options.max_width)


def _change(s: Series) -> Text:
    if s.change is None:
        return Text("")
    arrow = "▲" if s.change > 0 else "▼" if s.change < 0 else "="
    style = "green" if s.improved else "red" if s.improved is False else "dim"
    return Text(f"{s.fmt(s.change, signed=True)}{arrow}" if s.change else "=", style=style)


class ProgressTable:
    """The terminal view of a :class:`ProgressView`: one row per measure with its sparkline,
    first, latest and best values and the change; it fits the console's width."""

    def __init__(self, view: ProgressView) -> None:
        self.view = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        v = self.view
        width = options.max_width
        if not v.sessions:
            yield Text(f"No graded sessions yet ({v.description}). Practise one: `interviewer practice`.")
            return
        days = f"{v.sessions[0].created_at.astimezone():%Y-%m-%d} → {v.sessions[-1].created_at.astimezone():%Y-%m-%d}"
        yield Text.assemble(("Progress", "bold"), f" · {v.description} · {len(v.sessions)} session(s) · {days}")
        wide = width >= WIDE_MIN
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, expand=True, collapse_padding=True)
        table.add_column("measure", no_wrap=True, overflow="ellipsis", max_width=None if wide else 24)
        table.add_column("oldest → newest", ratio=1, no_wrap=True)
        for name in ("first", "last", "best"):
            table.add_column(name, justify="right", no_wrap=True)
        table.add_column("change", justify="right", no_wrap=True)
        if wide:
            table.add_column("sessions", justify="right", no_wrap=True)

        def row(s: Series, style: str = "") -> None:
            name = Text(s.name, style=style)
            if s.unit:
                name.append(f" {s.unit}", style="dim")
            cells: list[RenderableType] = [name, Sparkline(s), s.fmt(s.first), s.fmt(s.latest),
                                           s.fmt(s.best) if s.best is not None else "", _change(s)]
            if wide:
                cells.append(str(s.count))
            table.add_row(*cells)

        if v.overall is not None:
            row(v.overall, "bold")
        for s in v.criteria:
            row(s)
        if v.delivery:
            table.add_section()
            for s in v.delivery:
                row(s)
        yield table
        covered = [r for r in v.principles if r.session_ids]
        if covered or v.principles_missing:
            line = Text.assemble(("Leadership Principles", "bold"), f": {len(covered)} of {len(v.principles)} covered")
            if covered:
                line.append(": " + ", ".join(f"{r.principle} ×{len(r.session_ids)}" for r in covered))
            yield line
            if v.principles_missing:
                yield Text("not yet: " + ", ".join(v.principles_missing), style="dim")
