"""The view model of two attempts at one question, side by side.

Scores per criterion with their change, what the second attempt added and dropped (numbers,
assumptions, I-actions, assumption dimensions: read from each session's saved Evidence), what is
still missing (question signals not covered, assumptions never stated) and the delivery figures.
The older session is always the first attempt, whatever order the ids were given in.

Two tellings never repeat a sentence word for word, so sentences are matched loosely: two
I-actions (or assumptions) are the same when most of their content words are shared
(:data:`SAME_SENTENCE`); numbers are the same when value and unit are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict, Field
from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from ..analysis.numbers import format_quantity
from ..errors import DifferentQuestions
from ..grading.verify import tokens
from ..models import Evidence, Finding, SignalCoverage
from ..render import SIGNAL_MARKS, clock
from ..rubric import criterion_names
from ..store import SavedSession, Store
from .progress import SessionFigures, session_figures

#: Share of content words (Jaccard) two sentences must share to count as the same point.
SAME_SENTENCE = 0.5
# Items this short (a number, a dimension) are listed on one line.
SHORT_ITEM = 24
# Words too common to tell two sentences apart.
_COMMON = frozenset("the and that this with for was were then from into our had have has its it's".split())


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreChange(_View):
    criterion: str
    name: str
    a: float | None = None
    b: float | None = None
    change: float | None = None


class FigureRow(_View):
    """One delivery figure of both attempts, formatted once for every renderer."""

    label: str
    a: str
    b: str
    change: str | None = None
    improved: bool | None = None


class Mention(_View):
    text: str
    start: float | None = None


class Changes(_View):
    """One kind of evidence in both attempts: what the second added, dropped and kept."""

    kind: str = Field(description='"numbers", "assumptions", "I-actions", "assumption dimensions"')
    a_count: int
    b_count: int
    added: list[Mention] = Field(default_factory=list)
    dropped: list[Mention] = Field(default_factory=list)
    kept: int = 0


class SignalChange(_View):
    signal: str
    a: str | None = Field(default=None, description="covered, partly, missing, needs_llm; None: not judged")
    b: str | None = None
    a_mark: str = ""
    b_mark: str = ""


class CompareView(_View):
    question: str
    question_id: str
    round: str
    same_question: bool
    other_question: str | None = Field(default=None, description="the second attempt's question, when forced")
    a: SessionFigures = Field(description="the older attempt")
    b: SessionFigures = Field(description="the newer attempt")
    overall: ScoreChange | None = None
    scores: list[ScoreChange] = Field(default_factory=list)
    figures: list[FigureRow] = Field(default_factory=list)
    changes: list[Changes] = Field(default_factory=list)
    signals: list[SignalChange] = Field(default_factory=list)
    newly_covered: list[str] = Field(default_factory=list, description="signals the second attempt covers and the first did not")
    still_missing: list[str] = Field(default_factory=list, description="what the second attempt still leaves out")
    notes: list[str] = Field(default_factory=list)


# --- matching ----------------------------------------------------------------------------------


def _content(text: str) -> frozenset[str]:
    return frozenset(t for t in tokens(text) if len(t) > 2 and t not in _COMMON)


def _similar(x: str, y: str) -> bool:
    a, b = _content(x), _content(y)
    if not a or not b:
        return " ".join(tokens(x)) == " ".join(tokens(y))
    return len(a & b) / len(a | b) >= SAME_SENTENCE


def _diff(kind: str, old: list[Mention], new: list[Mention], same: Callable[[Mention, Mention], bool]) -> Changes:
    """Greedy one-to-one matching of ``new`` against ``old``."""
    unmatched = list(range(len(old)))
    added = []
    for m in new:
        hit = next((i for i in unmatched if same(old[i], m)), None)
        if hit is None:
            added.append(m)
        else:
            unmatched.remove(hit)
    return Changes(kind=kind, a_count=len(old), b_count=len(new), added=added,
                   dropped=[old[i] for i in unmatched], kept=len(new) - len(added))


def _mentions(findings: Iterable[Finding]) -> list[Mention]:
    out: list[Mention] = []
    for f in findings:
        if not any(_similar(f.quote, m.text) for m in out):  # one point said twice is one point
            out.append(Mention(text=" ".join(f.quote.split()), start=f.start))
    return out


def _numbers(ev: Evidence | None) -> list[Mention]:
    out: dict[str, Mention] = {}
    for n in ev.impact.numbers if ev else []:
        text = format_quantity(n.value, n.unit) if n.value is not None else " ".join(n.quote.split())
        out.setdefault(text, Mention(text=text, start=n.start))
    return list(out.values())


def _changes(a: Evidence | None, b: Evidence | None) -> list[Changes]:
    def by_text(x: Mention, y: Mention) -> bool:
        return x.text == y.text

    def by_words(x: Mention, y: Mention) -> bool:
        return _similar(x.text, y.text)

    def assumptions(e: Evidence | None) -> list[Mention]:
        return _mentions(e.assumptions.statements + e.assumptions.clarifying_questions) if e else []

    def dims(e: Evidence | None) -> list[Mention]:
        return [Mention(text=d) for d, found in e.assumptions.stated.items() if found] if e else []

    return [
        _diff("numbers", _numbers(a), _numbers(b), by_text),
        _diff("assumptions", assumptions(a), assumptions(b), by_words),
        _diff("I-actions", _mentions(a.ownership.i_actor) if a else [], _mentions(b.ownership.i_actor) if b else [],
              by_words),
        _diff("assumption dimensions", dims(a), dims(b), by_text),
    ]


# --- figures -----------------------------------------------------------------------------------


Get = Callable[[SessionFigures], float | None]


def _row(label: str, a: SessionFigures, b: SessionFigures, value: Get, show: Callable[[SessionFigures], str], *,
         lower_is_better: bool | None, decimals: int = 0, suffix: str = "") -> FigureRow:
    va, vb = value(a), value(b)
    delta = round(vb - va, 3) if va is not None and vb is not None else None
    improved = (delta < 0) == lower_is_better if delta and lower_is_better is not None else None
    return FigureRow(label=label, a=show(a) if va is not None else "-", b=show(b) if vb is not None else "-",
                     change=None if delta is None else f"{delta:+.{decimals}f}{suffix}" if delta else "=",
                     improved=improved)


def _figures(a: SessionFigures, b: SessionFigures) -> list[FigureRow]:
    rows = []
    if a.duration_s or b.duration_s:
        change = None
        if a.duration_s and b.duration_s:
            d = b.duration_s - a.duration_s
            change = ("+" if d >= 0 else "-") + clock(abs(d))
        rows.append(FigureRow(label="time used", a=a.time_used, b=b.time_used, change=change))
    rows += [
        _row("fillers", a, b, lambda p: p.filler_rate, lambda p: f"{p.fillers} ({p.filler_rate:.1f}/100 words)",
             lower_is_better=True, decimals=1, suffix="/100"),
        _row("pace", a, b, lambda p: p.wpm, lambda p: f"{p.wpm:.0f} wpm", lower_is_better=None),
        _row("words", a, b, lambda p: p.words, lambda p: str(p.words), lower_is_better=None),
        _row('"I" / "we"', a, b, lambda p: p.i_count, lambda p: f"{p.i_count} / {p.we_count}",
             lower_is_better=None).model_copy(update={"change": None}),  # two counts: no one change
        _row("long pauses", a, b, lambda p: p.long_pauses, lambda p: str(p.long_pauses), lower_is_better=True),
    ]
    return [r for r in rows if (r.a, r.b) != ("-", "-")]


# --- signals -----------------------------------------------------------------------------------


def _signals(saved: SavedSession) -> list[SignalCoverage]:
    """The newest verdict on the question's signals: the latest grade's, else the rules'."""
    grade = saved.latest_grade
    if grade is not None and grade.signals:
        return list(grade.signals)
    return list(saved.evidence.signals) if saved.evidence else []


def _signal_changes(a: SavedSession, b: SavedSession) -> list[SignalChange]:
    sa = {s.signal: s.status for s in _signals(a)}
    sb = {s.signal: s.status for s in _signals(b)}
    order = list(dict.fromkeys([*sb, *sa]))
    mark = lambda st: SIGNAL_MARKS.get(st, (st, ""))[0] if st else "-"  # noqa: E731
    return [SignalChange(signal=s, a=sa.get(s), b=sb.get(s), a_mark=mark(sa.get(s)), b_mark=mark(sb.get(s)))
            for s in order]


# --- building ----------------------------------------------------------------------------------


def _score(criterion: str, name: str, a: float | None, b: float | None) -> ScoreChange:
    change = round(b - a, 2) if a is not None and b is not None else None
    return ScoreChange(criterion=criterion, name=name, a=a, b=b, change=change)


def build_compare_view(first: SavedSession, second: SavedSession, *, force: bool = False) -> CompareView:
    """Two sessions side by side, the older first; different questions raise
    :class:`~interviewer.errors.DifferentQuestions` unless ``force``."""
    if first.meta.id == second.meta.id:
        raise DifferentQuestions(f"both ids name session {first.meta.id}: give two different sessions")
    a, b = sorted((first, second), key=lambda s: (s.meta.created_at, s.meta.id))
    qa, qb = a.meta.question, b.meta.question
    same = qa.id == qb.id
    if not same and not force:
        raise DifferentQuestions(
            f"sessions {a.meta.id} and {b.meta.id} answer different questions ({qa.id} vs {qb.id}): "
            "compare two attempts at one question, or add --force"
        )
    fa, fb = session_figures(a), session_figures(b)
    names = {**criterion_names(qa, a.meta.track), **criterion_names(qb, b.meta.track)}
    order = list(dict.fromkeys([*fa.scores, *fb.scores]))
    scores = [_score(c, names.get(c) or c.replace("_", " "), fa.scores.get(c), fb.scores.get(c)) for c in order]
    overall = _score("overall", "overall", fa.overall, fb.overall) if fa.overall is not None or fb.overall is not None else None

    signals = _signal_changes(a, b)
    newly = [s.signal for s in signals if s.b == "covered" and s.a != "covered"]
    missing = [f"{s.signal} ({'partly' if s.b == 'partly' else 'missing'})" for s in signals if s.b in ("missing", "partly")]
    if b.evidence is not None:
        missing += [f"assumption never stated: {d}" for d in b.evidence.assumptions.hidden]

    notes = []
    if fa.grader and fb.grader and (fa.grader, fa.graded_by) != (fb.grader, fb.graded_by):
        notes.append(f"graded differently: first by {fa.graded_by}; second by {fb.graded_by}")
    for saved in (a, b):
        if saved.evidence is None:
            notes.append(f"session {saved.meta.id} has no evidence yet: run `interviewer regrade {saved.meta.id}`")
        if not saved.meta.finished:
            notes.append(f"session {saved.meta.id} was interrupted: its answer is unfinished")
    if not same:
        notes.append("the two sessions answer different questions (compared with --force)")

    return CompareView(
        question=qa.text, question_id=qa.id, round=qa.round.value, same_question=same,
        other_question=None if same else qb.text, a=fa, b=fb, overall=overall, scores=scores,
        figures=_figures(fa, fb), changes=_changes(a.evidence, b.evidence), signals=signals,
        newly_covered=newly, still_missing=missing, notes=notes,
    )


def compare_sessions(store: Store, ref_a: str, ref_b: str, *, force: bool = False) -> CompareView:
    """Load two sessions (ids, unique prefixes or 'last') and put them side by side."""
    return build_compare_view(store.load(ref_a), store.load(ref_b), force=force)



# --- terminal ----------------------------------------------------------------------------------


def _delta(change: float | None, decimals: int) -> Text:
    if change is None:
        return Text("")
    if not change:
        return Text("=", style="dim")
    return Text(f"{change:+.{decimals}f}", style="green" if change > 0 else "red")


def _num(value: float | None, decimals: int) -> str:
    return f"{value:.{decimals}f}" if value is not None else "-"


class CompareTable:
    """The terminal view of a :class:`CompareView`: scores and figures side by side, then what
    was added, dropped and is still missing; long sentences wrap within the console's width."""

    def __init__(self, view: CompareView) -> None:
        self.view = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        v = self.view
        yield Text.assemble(("Two attempts", "bold"), f" · {v.round.replace('_', ' ')} · {v.question_id}")
        yield Text(v.question, style="bold")
        if v.other_question:
            yield Text(f"second attempt's question: {v.other_question}", style="yellow")
        for label, s in (("first ", v.a), ("second", v.b)):
            yield Text.assemble(
                (label, "bold"), f" {s.id} · {s.created_at.astimezone():%Y-%m-%d %H:%M}",
                (" · unfinished" if not s.finished else "", "yellow"),
                (f" · {s.grader or 'not graded'}", "dim"),
            )

        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, collapse_padding=True)
        table.add_column("", overflow="fold")
        table.add_column("first", justify="right")
        table.add_column("second", justify="right")
        table.add_column("change", justify="right", no_wrap=True)
        if v.overall is not None:
            table.add_row(Text("overall", style="bold"), _num(v.overall.a, 1), _num(v.overall.b, 1),
                          _delta(v.overall.change, 1))
        for c in v.scores:
            table.add_row(c.name, _num(c.a, 0), _num(c.b, 0), _delta(c.change, 0))
        if v.figures:
            table.add_section()
        for f in v.figures:
            style = "green" if f.improved else "red" if f.improved is False else ""
            table.add_row(f.label, f.a, f.b, Text(f.change or "", style=style))
        yield table

        yield Text("What the second attempt added (+) and dropped (-)", style="bold underline")
        for c in v.changes:
            yield Text.assemble((c.kind, "bold"), f" {c.a_count} → {c.b_count}",
                                (f", {c.kept} kept" if c.kept else "", "dim"),
                                ("  no change" if not (c.added or c.dropped) else "", "dim"))
            items = Table.grid(padding=(0, 1))
            items.add_column(no_wrap=True)
            items.add_column(overflow="fold")
            for mark, style, found in (("+", "green", c.added), ("-", "red", c.dropped)):
                if found and all(len(m.text) <= SHORT_ITEM for m in found):  # numbers, dimensions: one line
                    items.add_row(Text(f"  {mark}", style=style), ", ".join(m.text for m in found))
                    continue
                for m in found:
                    items.add_row(Text(f"  {mark}", style=style), Text(m.text, style="dim" if mark == "-" else ""))
            if items.row_count:
                yield items
        if v.still_missing:
            yield Text.assemble(("Still missing: ", "bold yellow"), "; ".join(v.still_missing))
        if v.newly_covered:
            yield Text.assemble(("Newly covered: ", "bold green"), "; ".join(v.newly_covered))
        for note in v.notes:
            yield Text(note, style="dim")
