"""The view model of one saved session: everything a report shows, in renderer-neutral data.

Renderers (HTML today; terminal, Markdown and JSON when they move here) take a
:class:`SessionView` and never read the raw :class:`~interviewer.store.SavedSession`, so what a
page shows is decided once. Times are seconds into the answer, ``None`` for a pasted transcript.

Findings are placed on the transcript's words: by time when both carry timestamps (so a sentence
said twice is marked where it was said), else by text, with the same normalised tokens the quote
checker uses (:func:`interviewer.grading.verify.tokens`), so a quote the grader kept is found.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ..grading.verify import family, tokens
from ..models import Evidence, Finding, Grade, Transcript
from ..render import GRADE_FLAGS, LEGEND, SIGNAL_MARKS, clock, grade_label
from ..rubric import Rubric, choose_rubric
from ..store import SavedSession

# Pace is words per minute over a window this long, sampled every PACE_STEP_S: short enough to
# show a rushed minute, long enough that a single pause does not read as a collapse.
PACE_WINDOW_S = 30.0
PACE_STEP_S = 10.0
# A finding with times covers the words whose middle falls inside it, give or take this much
# (the analyzer's sentence times and Whisper's word times are rounded to 10 ms).
_TIME_SLACK_S = 0.02


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Moment(_View):
    """A quoted piece of the answer and where it was said (``start`` None: not found / no audio)."""

    text: str
    start: float | None = None
    end: float | None = None


class FindingView(_View):
    id: int
    kind: str = Field(description="the finding's own kind: i_actor, before_after, tradeoff, pause ...")
    style: str | None = Field(description="the highlight style key (render.STYLES); None: listed, not coloured")
    label: str
    quote: str
    detail: str | None = None
    start: float | None = None
    end: float | None = None
    words: tuple[int, int] | None = Field(default=None, description="first and last word index it covers")


class WordView(_View):
    text: str
    start: float | None = None
    end: float | None = None
    uncertain: bool = False
    space_after: bool = Field(default=True, description="False where Whisper glued the next word on (\"20\" \",000\")")
    style: str | None = Field(default=None, description="the winning highlight style, as the terminal's")
    findings: list[int] = Field(default_factory=list)


class CriterionView(_View):
    id: str
    name: str
    score: int
    rationale: str
    quotes: list[Moment] = Field(default_factory=list)
    improvement: str | None = None
    flags: list[str] = Field(default_factory=list)
    findings: list[int] = Field(default_factory=list, description="evidence behind this criterion")


class SignalView(_View):
    signal: str
    status: str
    mark: str
    quotes: list[Moment] = Field(default_factory=list)
    note: str | None = None


class GradeView(_View):
    label: str
    grader: str
    model: str | None
    overall: float
    created_at: datetime
    criteria: list[CriterionView]
    flags: list[str] = Field(default_factory=list, description="grade-level warnings in words")
    signals: list[SignalView] = Field(default_factory=list)
    strengths: list[str] = Field(default_factory=list)
    top_fix: str | None = None
    rewrite: str | None = None
    dropped_quotes: int = 0


class GradeRow(_View):
    criterion: str
    name: str
    scores: list[int | None]


class PacePoint(_View):
    t: float
    wpm: float


class TimelineView(_View):
    duration_s: float
    pace: list[PacePoint] = Field(default_factory=list)
    pauses: list[tuple[float, float]] = Field(default_factory=list)
    marks: list[int] = Field(default_factory=list, description="ids of findings with a time")


class LegendEntry(_View):
    label: str
    style: str


class SessionView(_View):
    id: str
    question: str
    question_id: str
    round: str
    track: str | None
    created_at: datetime
    source: str
    loop_id: str | None = Field(default=None, description="the mock loop this answer belongs to")
    parent_id: str | None = Field(default=None, description="for a follow-up probe: the session it followed")
    finished: bool
    duration_s: float | None
    time_budget_s: int
    time_used: str = Field(description='"3:12 of 12:00"')
    overtime_s: float | None = None
    transcript_model: str | None = None
    transcript_warnings: list[str] = Field(default_factory=list)
    has_audio: bool
    words: list[WordView] = Field(default_factory=list)
    findings: list[FindingView] = Field(default_factory=list)
    legend: list[LegendEntry] = Field(default_factory=list)
    grade: GradeView | None = Field(default=None, description="the newest LLM grade, else the newest grade")
    grades: list[GradeView] = Field(default_factory=list, description="every grade, oldest first")
    grade_table: list[GradeRow] = Field(default_factory=list, description="every grade's scores side by side")
    timeline: TimelineView | None = None
    stats: list[tuple[str, str]] = Field(default_factory=list, description="delivery figures, label and value")


# --- what is highlighted, and how ----------------------------------------------------------------

Getter = Callable[[Evidence], Iterable[Finding]]

# Evidence lists that colour the transcript, weakest first: where two cover a word, the later wins
# (the terminal's order: a number inside an "I did" sentence shows as a number).
# before -> after comes first: it covers whole sentences, and who acted matters more there.
HIGHLIGHTS: list[tuple[str, str, Getter]] = [
    ("before_after", "before -> after", lambda e: e.impact.before_after),
    ("we_actor", "we did", lambda e: e.ownership.we_actor),
    ("i_actor", "I did", lambda e: e.ownership.i_actor),
    ("hypothetical", "I would", lambda e: e.ownership.hypothetical),
    ("assumption", "assumption", lambda e: e.assumptions.statements),
    ("assumption", "question asked", lambda e: e.assumptions.clarifying_questions),
    ("vague", "vague claim", lambda e: e.impact.vague_claims),
    ("number", "number", lambda e: [_number_finding(n) for n in e.impact.numbers]),
    ("filler", "filler", lambda e: e.delivery.filler_findings),
]


def _number_finding(n) -> Finding:  # type: ignore[no-untyped-def]
    return Finding(kind="number", quote=n.quote, start=n.start, end=n.end,
                   detail=f"{n.value:g} {n.unit or ''}".strip() if n.value is not None else None)


def _complexity_finding(c) -> Finding:  # type: ignore[no-untyped-def]
    return Finding(kind="complexity", quote=c.quote, start=c.start, end=c.end,
                   detail=f"{c.kind}: O({c.cls})" if c.cls else c.kind)


def _star(e: Evidence) -> list[Finding]:
    star = e.structure.star
    parts = [f.model_copy(update={"kind": p, "detail": p}) for p in ("situation", "task", "action", "result")
             if (f := getattr(star, p)) is not None]
    return parts + list(star.quantified_results)


# What each criterion family rests on (family = the rubric metric's prefix, see verify.family).
FAMILY_FINDINGS: dict[str, list[tuple[str | None, str, Getter]]] = {
    "ownership": [h for h in HIGHLIGHTS if h[0] in ("i_actor", "we_actor", "hypothetical")],
    "impact": [h for h in HIGHLIGHTS if h[0] in ("number", "before_after", "vague")]
    + [(None, "change", lambda e: e.impact.deltas)],
    "assumptions": [h for h in HIGHLIGHTS if h[0] == "assumption"]
    + [(None, "dimension named", lambda e: [f for fs in e.assumptions.stated.values() for f in fs])],
    "clarifying": [(None, "asked up front", lambda e: e.structure.upfront),
                   ("assumption", "question asked", lambda e: e.assumptions.clarifying_questions)],
    "delivery": [h for h in HIGHLIGHTS if h[0] == "filler"],
    "structure": [(None, "STAR", _star)],
    "tradeoffs": [(None, "trade-off", lambda e: e.structure.tradeoffs)],
    "complexity": [(None, "complexity", lambda e: [_complexity_finding(c) for c in e.structure.complexity])],
    "rigor": [(None, "rigor", lambda e: e.structure.rigor)],
    "edge_cases": [(None, "edge case", lambda e: e.structure.edge_cases)],
}


# --- placing text on words ----------------------------------------------------------------------


@dataclass
class _Words:
    """The transcript's words with their normalised tokens, for text and time look-ups."""

    words: list[WordView]
    token_word: list[int]  # token index -> word index
    joined: str  # the tokens joined by single spaces
    char_token: list[int]  # char offset in joined -> token index
    starts: list[float]  # word starts (empty without timestamps)

    @classmethod
    def of(cls, transcript: Transcript | None) -> _Words:
        if transcript is None:
            return cls([], [], "", [], [])
        if transcript.words:
            raw = [w for w in transcript.words if w.text.strip()]
            # Whisper's own spacing: a word without a leading space joins the one before it;
            # words saved before transcript schema 2 were stripped, and are all spaced.
            verbatim = any(w.text[:1].isspace() for w in raw)
            words = [
                WordView(text=w.text.strip(), start=w.start, end=w.end, uncertain=w.uncertain,
                         space_after=not verbatim or nxt is None or nxt.text[:1].isspace())
                for w, nxt in zip(raw, [*raw[1:], None])
            ]
        else:  # a pasted transcript: words without times
            words = [WordView(text=t) for t in transcript.text.split()]
        token_word: list[int] = []
        toks: list[str] = []
        for i, w in enumerate(words):
            for t in tokens(w.text):
                toks.append(t)
                token_word.append(i)
        joined = " ".join(toks)
        char_token = [0] * len(joined)
        pos = 0
        for ti, t in enumerate(toks):
            for k in range(len(t) + 1):
                if pos + k < len(joined):
                    char_token[pos + k] = ti
            pos += len(t) + 1
        timed = all(w.start is not None for w in words) and bool(words)
        return cls(words, token_word, joined, char_token, [w.start for w in words] if timed else [])  # type: ignore[misc]

    def find_text(self, quote: str) -> tuple[int, int] | None:
        """First and last word of the quote's first occurrence, by normalised tokens."""
        needle = " ".join(tokens(quote))
        if not needle:
            return None
        at = self.joined.find(needle)
        # Only whole tokens: "70" must not match inside "170".
        while at >= 0 and not (
            (at == 0 or self.joined[at - 1] == " ")
            and (at + len(needle) == len(self.joined) or self.joined[at + len(needle)] == " ")
        ):
            at = self.joined.find(needle, at + 1)
        if at < 0:
            return None
        first = self.token_word[self.char_token[at]]
        last = self.token_word[self.char_token[at + len(needle) - 1]]
        return first, last

    def find_time(self, start: float, end: float) -> tuple[int, int] | None:
        """The words whose middle lies in [start, end]."""
        if not self.starts:
            return None
        lo = max(0, bisect.bisect_left(self.starts, start - 1.0) - 1)
        inside = [
            i for i in range(lo, len(self.words))
            if self.words[i].start is not None and self.words[i].start <= end + _TIME_SLACK_S  # type: ignore[operator]
            and start - _TIME_SLACK_S <= (self.words[i].start + self.words[i].end) / 2 <= end + _TIME_SLACK_S  # type: ignore[operator]
        ]
        return (inside[0], inside[-1]) if inside else None

    def place(self, text: str, start: float | None, end: float | None) -> tuple[int, int] | None:
        if start is not None and end is not None:
            span = self.find_time(start, end)
            if span is not None:
                return span
        return self.find_text(text)

    def moment(self, quote: str) -> Moment:
        span = self.find_text(quote)
        if span is None or not self.starts:
            return Moment(text=quote)
        return Moment(text=quote, start=self.words[span[0]].start, end=self.words[span[1]].end)


# --- building ----------------------------------------------------------------------------------


class _Findings:
    """Every finding of the evidence once, numbered, placed on the words."""

    def __init__(self, words: _Words) -> None:
        self.words = words
        self.items: list[FindingView] = []
        self._seen: dict[tuple[str, str, float | None], int] = {}

    def add(self, f: Finding, style: str | None, label: str) -> int:
        key = (f.kind, f.quote, f.start)
        if key in self._seen:
            return self._seen[key]
        span = self.words.place(f.quote, f.start, f.end)
        start, end = f.start, f.end
        if start is None and span is not None and self.words.starts:
            start, end = self.words.words[span[0]].start, self.words.words[span[1]].end
        view = FindingView(id=len(self.items), kind=f.kind, style=style, label=label, quote=f.quote,
                           detail=f.detail, start=start, end=end, words=span)
        self.items.append(view)
        self._seen[key] = view.id
        return view.id


def _criterion_names(saved: SavedSession, rubric: Rubric | None) -> dict[str, str]:
    return {c.id: c.name for c in rubric.criteria} if rubric else {}


def _rubric(saved: SavedSession) -> Rubric | None:
    try:
        return choose_rubric(saved.meta.question, saved.meta.track)
    except Exception:  # a rubric edited or removed since only loses names and families
        return None


def _grade_view(g: Grade, words: _Words, names: dict[str, str], family_ids: Callable[[str], list[int]]) -> GradeView:
    criteria = [
        CriterionView(
            id=c.criterion, name=names.get(c.criterion, c.criterion.replace("_", " ")), score=c.score,
            rationale=c.rationale, quotes=[words.moment(q) for q in c.quotes], improvement=c.improvement,
            flags=list(c.flags), findings=family_ids(c.criterion),
        )
        for c in g.criteria
    ]
    signals = [
        SignalView(signal=s.signal, status=s.status, mark=SIGNAL_MARKS.get(s.status, (s.status, ""))[0],
                   quotes=[words.moment(q) for q in s.quotes], note=s.note)
        for s in g.signals
    ]
    return GradeView(
        label=grade_label(g), grader=g.grader, model=g.model, overall=g.overall, created_at=g.created_at,
        criteria=criteria, flags=[GRADE_FLAGS.get(f, f) for f in g.flags], signals=signals,
        strengths=list(g.strengths), top_fix=g.top_fix, rewrite=g.rewrite, dropped_quotes=g.dropped_quotes,
    )


def _pace(words: list[WordView], duration: float) -> list[PacePoint]:
    starts = [w.start for w in words if w.start is not None]
    if not starts or duration <= 0:
        return []
    points = []
    half = PACE_WINDOW_S / 2
    t = 0.0
    while t <= duration + 1e-6:
        lo, hi = max(0.0, t - half), min(duration, t + half)
        n = bisect.bisect_left(starts, hi) - bisect.bisect_left(starts, lo)
        points.append(PacePoint(t=round(t, 2), wpm=round(n * 60.0 / max(hi - lo, 1.0), 1)))
        t += PACE_STEP_S
    if points[-1].t < duration:
        lo = max(0.0, duration - half)
        n = len(starts) - bisect.bisect_left(starts, lo)
        points.append(PacePoint(t=round(duration, 2), wpm=round(n * 60.0 / max(duration - lo, 1.0), 1)))
    return points


def _stats(e: Evidence | None) -> list[tuple[str, str]]:
    if e is None:
        return []
    d, o = e.delivery, e.ownership
    out = [("words", str(d.word_count))]
    if d.wpm:
        out.append(("pace", f"{d.wpm:.0f} wpm"))
    out.append(("fillers", f"{sum(d.fillers.values())}" + (f" ({d.filler_rate:.1f}/100 words)" if d.filler_rate else "")))
    if d.long_pauses:
        out.append(("long pauses", f"{len(d.long_pauses)}, longest {max(p.length for p in d.long_pauses):.1f} s"))
    out.append(("I / we", f"{o.i_count} / {o.we_count}"))
    out.append(("numbers", str(len(e.impact.numbers))))
    if e.assumptions.hidden:
        out.append(("hidden assumptions", ", ".join(e.assumptions.hidden)))
    return out


def build_session_view(saved: SavedSession) -> SessionView:
    """Everything the session report shows, from one saved session."""
    meta, ev, tr = saved.meta, saved.evidence, saved.transcript
    words = _Words.of(tr)
    found = _Findings(words)
    rubric = _rubric(saved)
    names = _criterion_names(saved, rubric)

    if ev is not None:
        # Highlights, in precedence order: the last style written on a word wins.
        for style, label, get in HIGHLIGHTS:
            for f in get(ev):
                fid = found.add(f, style, label)
                span = found.items[fid].words
                if span is None:
                    continue
                for i in range(span[0], span[1] + 1):
                    words.words[i].style = style
        for entries in FAMILY_FINDINGS.values():
            for style, label, get in entries:
                for f in get(ev):
                    found.add(f, style, label)
        # Every finding knows its words and every word its findings, coloured or not.
        for f in found.items:
            if f.words is not None:
                for i in range(f.words[0], f.words[1] + 1):
                    words.words[i].findings.append(f.id)
        for p in ev.delivery.long_pauses:
            found.add(Finding(kind="pause", quote=f"{p.length:.1f} s of silence", start=p.start, end=p.end), None,
                      "long pause")

    def family_ids(criterion: str) -> list[int]:
        fam = family(rubric, criterion) if rubric else criterion
        if ev is None:
            return []
        ids = [found.add(f, style, label) for style, label, get in FAMILY_FINDINGS.get(fam, []) for f in get(ev)]
        if fam == "delivery":
            ids += [f.id for f in found.items if f.kind == "pause"]
        return list(dict.fromkeys(ids))

    grades = [_grade_view(g, words, names, family_ids) for g in saved.grades]
    latest = saved.latest_grade
    current = grades[saved.grades.index(latest)] if latest is not None else None

    order: list[str] = []
    for g in saved.grades:
        order.extend(c.criterion for c in g.criteria if c.criterion not in order)
    table = [
        GradeRow(criterion=cid, name=names.get(cid, cid.replace("_", " ")),
                 scores=[next((c.score for c in g.criteria if c.criterion == cid), None) for g in saved.grades])
        for cid in order
    ]

    duration = meta.duration_s or (tr.duration_s if tr else None)
    timeline = None
    if duration and words.starts:
        timeline = TimelineView(
            duration_s=duration, pace=_pace(words.words, duration),
            pauses=[(p.start, p.end) for p in ev.delivery.long_pauses] if ev else [],
            marks=[f.id for f in found.items if f.start is not None and f.style is not None],
        )
    budget = ev.delivery.time_budget_s if ev else meta.question.time_budget_s
    used = f"{clock(duration)} of {clock(budget)}"
    used_legend = {kind for w in words.words if w.style for kind in [w.style]}
    legend_labels = dict(LEGEND_LABELS)
    legend = [LegendEntry(label=legend_labels.get(s, s), style=s) for s in LEGEND_ORDER if s in used_legend]
    if any(w.uncertain for w in words.words):
        legend.append(LegendEntry(label=legend_labels["uncertain"], style="uncertain"))
    return SessionView(
        id=meta.id, question=meta.question.text, question_id=meta.question.id, round=meta.question.round.value,
        track=meta.track.value if meta.track else None, created_at=meta.created_at, source=meta.source,
        loop_id=meta.loop_id, parent_id=meta.parent_id, finished=meta.finished, duration_s=duration, time_budget_s=budget, time_used=used,
        overtime_s=ev.delivery.overtime_s if ev else None,
        transcript_model=(tr.model or tr.source) if tr else None,
        transcript_warnings=list(tr.quality.warnings) if tr and tr.quality and not tr.quality.reliable else [],
        has_audio=saved.audio_path is not None and saved.audio_path.is_file(),
        words=words.words, findings=found.items, legend=legend, grade=current, grades=grades,
        grade_table=table, timeline=timeline, stats=_stats(ev),
    )


# The terminal's legend labels, plus the one kind it has no entry for.
LEGEND_LABELS: list[tuple[str, str]] = [(kind, label) for label, kind in LEGEND] + [("before_after", "before -> after")]
LEGEND_ORDER = ["i_actor", "we_actor", "hypothetical", "number", "before_after", "vague", "assumption", "filler"]
