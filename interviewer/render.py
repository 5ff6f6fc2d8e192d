"""Terminal rendering: pure functions from saved data to rich renderables (the CLI prints them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .models import CriterionGrade, Evidence, Finding, Grade, SignalCoverage, Transcript
from .store import SavedSession

# One style per kind of finding; the legend under the transcript explains them.
STYLES: dict[str, str] = {
    "i_actor": "bold green",
    "we_actor": "bold yellow",
    "hypothetical": "magenta",
    "number": "bold cyan",
    "vague": "red",
    "assumption": "bold blue",
    "filler": "dim strike",
    "uncertain": "underline dim italic",
}
LEGEND = [
    ("I did", "i_actor"), ("we did", "we_actor"), ("I would", "hypothetical"),
    ("number", "number"), ("vague claim", "vague"), ("assumption/question", "assumption"),
    ("filler", "filler"), ("uncertain word", "uncertain"),
]


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def score_cell(score: int | None) -> Text:
    if score is None:
        return Text("-", style="dim")
    colour = {1: "red", 2: "red", 3: "yellow", 4: "green", 5: "bold green"}[score]
    return Text("●" * score + "○" * (5 - score) + f" {score}", style=colour)


def _kind_spans(evidence: Evidence) -> list[tuple[str, str]]:
    """(quote, kind) pairs; later entries win where spans overlap, so the precise ones go last."""
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    pairs: list[tuple[str, str]] = []

    def add(findings: Iterable[Finding], kind: str) -> None:
        pairs.extend((f.quote, kind) for f in findings)

    add(own.we_actor, "we_actor")
    add(own.i_actor, "i_actor")
    add(own.hypothetical, "hypothetical")
    add(asm.statements + asm.clarifying_questions, "assumption")
    add(imp.vague_claims, "vague")
    pairs.extend((n.quote, "number") for n in imp.numbers)
    add(dlv.filler_findings, "filler")
    return pairs


def _spans(evidence: Evidence) -> list[tuple[str, str]]:
    """(quote, style) pairs, in the order they are applied."""
    return [(quote, STYLES[kind]) for quote, kind in _kind_spans(evidence)]


def shown_kinds(transcript: Transcript, evidence: Evidence | None) -> set[str]:
    """The highlight kinds that colour some of this transcript (the legend lists only those)."""
    kinds = {"uncertain"} if any(w.uncertain for w in transcript.words) else set()
    lowered = transcript.text.lower()
    for quote, kind in _kind_spans(evidence) if evidence is not None else []:
        if quote.strip() and quote.strip().lower() in lowered:
            kinds.add(kind)
    return kinds


def uncertain_spans(transcript: Transcript) -> list[tuple[int, int]]:
    """Where the words the recogniser was unsure of sit in ``transcript.text``.

    Words are looked up in order from a moving cursor, so a word said twice is marked where it
    was uncertain, not at its first occurrence.
    """
    spans: list[tuple[int, int]] = []
    low = transcript.text.lower()
    cursor = 0
    for w in transcript.words:
        core = w.text.strip().lower()
        if not core:
            continue
        at = low.find(core, cursor)
        if at < 0:
            continue
        cursor = at + len(core)
        if w.uncertain:
            spans.append((at, cursor))
    return spans


def highlighted_transcript(transcript: Transcript, evidence: Evidence | None) -> Text:
    text = Text(transcript.text)
    for a, b in uncertain_spans(transcript):
        text.stylize(STYLES["uncertain"], a, b)
    if evidence is None:
        return text
    lowered = transcript.text.lower()
    for quote, style in _spans(evidence):
        needle = quote.strip().lower()
        if not needle:
            continue
        start = lowered.find(needle)
        while start != -1:
            text.stylize(style, start, start + len(needle))
            start = lowered.find(needle, start + len(needle))
    return text


def legend(kinds: set[str] | None = None) -> Text:
    """The colours of the transcript; ``kinds`` limits it to the ones shown."""
    out = Text()
    for label, kind in LEGEND:
        if kinds is None or kind in kinds:
            out.append(label, style=STYLES[kind])
            out.append("  ")
    out.rstrip()
    return out


def evidence_table(evidence: Evidence) -> Table:
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    share = f" ({own.i_share:.0%} I)" if own.i_share is not None else ""
    table.add_row(
        "Ownership",
        f"I {own.i_count} / we {own.we_count}{share}; actions: {len(own.i_actor)} by I, "
        f"{len(own.we_actor)} by we, {len(own.hypothetical)} hypothetical",
    )
    pairs = "; ".join(f.detail or f.quote for f in imp.before_after[:3])
    table.add_row(
        "Impact",
        f"{len(imp.numbers)} number(s), {len(imp.before_after)} before->after"
        + (f" ({pairs})" if pairs else "")
        + f", {len(imp.deltas)} delta(s), {len(imp.vague_claims)} vague claim(s)",
    )
    stated = sorted(asm.stated)
    row = f"{len(asm.statements)} statement(s), {len(asm.clarifying_questions)} question(s)"
    if stated:
        row += f"; explicit: {', '.join(stated)}"
    if asm.hidden:
        row += f"; [red]hidden: {', '.join(asm.hidden)}[/]"
    table.add_row("Assumptions", row)
    fillers = ", ".join(f"{k} x{v}" for k, v in sorted(dlv.fillers.items(), key=lambda kv: -kv[1])[:5])
    parts = [f"{dlv.word_count} words"]
    if dlv.wpm:
        parts.append(f"{dlv.wpm:.0f} wpm")
    parts.append(f"fillers {sum(dlv.fillers.values())}" + (f" ({fillers})" if fillers else ""))
    if dlv.long_pauses:
        parts.append(f"{len(dlv.long_pauses)} long pause(s), longest {max(p.length for p in dlv.long_pauses):.1f} s")
    if dlv.duration_s is not None:
        used = f"time {clock(dlv.duration_s)} of {clock(dlv.time_budget_s)}"
        if dlv.overtime_s:
            used = f"[red]{used} (+{clock(dlv.overtime_s)} over)[/]"
        parts.append(used)
    table.add_row("Delivery", ", ".join(parts))
    return table


def quality_warning(transcript: Transcript | None) -> Text | None:
    """One line before the report when the transcript cannot be trusted (issue: graded gibberish)."""
    q = transcript.quality if transcript is not None else None
    if q is None or q.reliable:
        return None
    why = "; ".join(w.rstrip(".") for w in q.warnings) or "the recogniser's confidence is too low"
    return Text(f"⚠ Unreliable transcript: {why}. The grade is marked unreliable; no criterion scores above 3.",
                style="bold red")


# Grade-level flags in words (grade.flags holds the stable codes scripts read).
GRADE_FLAGS = {
    "unreliable_transcript": "unreliable transcript: no criterion above 3",
    "unfinished_answer": "unfinished answer: cut off before the end, so structure and result are capped",
    "short_answer": "short answer: too few words to score high on anything",
    "injection_suspected": "the answer contains text addressed to the grader; scores held near the evidence-only grade",
    "rewrite_repaired": "figures you never said were taken out of the rewrite and shown as [placeholders]",
    "rewrite_dropped": "the rewrite was dropped: it stood on figures you never said",
}

SIGNAL_MARKS = {
    "covered": ("✔ covered", "bold green"),
    "partly": ("◐ partly", "yellow"),
    "missing": ("✘ missing", "red"),
    "needs_llm": ("? needs an LLM grade", "dim"),
}


def signals_table(signals: Sequence[SignalCoverage]) -> Group:
    """What the question expects, grouped by verdict (covered, partly, missing, needs an LLM),
    each signal with its quotes; a note every signal of a group shares is said once."""
    parts: list[RenderableType] = [Text("What a strong answer shows", style="bold")]
    for status in SIGNAL_MARKS:
        group = [s for s in signals if s.status == status]
        if not group:
            continue
        label, style = SIGNAL_MARKS[status]
        notes = {s.note for s in group}
        shared = notes.pop() if len(notes) == 1 and len(group) > 1 else None
        head = Text(label, style=style)
        if shared:
            head.append(f" ({shared})", style="dim")
        parts.append(head)
        for s in group:
            body = Text("• ").append(s.signal)
            for q in s.quotes:
                body.append(f'\n  "{q}"', style="italic cyan")
            if s.note and not shared:
                body.append(f"\n  {s.note}", style="dim")
            parts.append(Padding(body, (0, 0, 0, 2)))
    return Group(*parts)


def grade_label(grade: Grade) -> str:
    if grade.grader == "evidence":
        return "evidence-only grade (no LLM: rubric thresholds on the measurements)"
    where = f" at {grade.endpoint}" if grade.endpoint else ""
    extra = f", prompt {grade.prompt_version}" if grade.prompt_version else ""
    return f"LLM grade by {grade.model}{where}{extra}"


def criterion_block(c: CriterionGrade, name: str, same_advice_as: str | None = None) -> Group:
    """One criterion: name and score on a line, then rationale, quotes, advice and flags at full width."""
    head = Text(name, style="bold").append("  ").append_text(score_cell(c.score))
    body: list[RenderableType] = [Text(c.rationale)]
    body.extend(Text(f'"{q}"', style="italic cyan") for q in c.quotes)
    if c.improvement and same_advice_as:
        body.append(Text(f"→ the same advice as {same_advice_as}", style="green"))
    elif c.improvement:
        body.append(Text(f"→ {c.improvement}", style="green"))
    body.extend(Text(f"⚠ {flag}", style="bold red") for flag in c.flags)
    return Group(head, Padding(Group(*body), (0, 0, 0, 2)))


def grade_panel(grade: Grade, criterion_names: dict[str, str] | None = None) -> Panel:
    names = criterion_names or {}
    blocks: list[RenderableType] = []
    advised: dict[str, str] = {}  # advice -> the first criterion that gave it
    for c in grade.criteria:
        name = names.get(c.criterion, c.criterion)
        blocks.append(criterion_block(c, name, advised.get(c.improvement or "")))
        if c.improvement:
            advised.setdefault(c.improvement, name)
    parts: list[RenderableType] = [Group(*blocks)]
    for flag in grade.flags:
        parts.append(Text(f"⚠ {GRADE_FLAGS.get(flag, flag)}", style="bold yellow"))
    if grade.signals:
        parts.append(signals_table(grade.signals))
        if any(s.status == "needs_llm" for s in grade.signals):
            parts.append(Text("Signals marked '?' are beyond what rules can hear: set up an LLM grader and run "
                              "`interviewer regrade` for a verdict with quotes.", style="dim"))
    if grade.strengths:
        parts.append(Text("Strengths: ", style="bold").append("; ".join(grade.strengths), style="none"))
    if grade.top_fix:
        parts.append(Text("Most important fix: ", style="bold").append(grade.top_fix, style="green"))
    if grade.rewrite:
        parts.append(Text("Try saying instead: ", style="bold").append(grade.rewrite, style="italic"))
    if grade.dropped_quotes:
        parts.append(Text(f"{grade.dropped_quotes} quote(s) from the grader were not in your transcript and were dropped", style="yellow"))
    title = Text(f"{grade.overall:.1f}/5", style="bold").append(f"  {grade_label(grade)}", style="none")
    return Panel(Group(*parts), title=title, title_align="left", border_style="green" if grade.grader == "llm" else "blue")


def compare_grades(grades: Sequence[Grade]) -> Table:
    """Every grade of one session side by side: which model and prompt gave which scores."""
    table = Table(title="All grades of this session", box=box.SIMPLE_HEAD)
    table.add_column("Criterion", style="bold")
    for i, g in enumerate(grades, start=1):
        table.add_column(f"#{i} {g.grader}\n{g.model or 'rubric'}\n{g.prompt_version or ''}".strip(), justify="center")
    criteria: list[str] = []
    for g in grades:
        criteria.extend(c.criterion for c in g.criteria if c.criterion not in criteria)
    for cid in criteria:
        row = [next((str(c.score) for c in g.criteria if c.criterion == cid), "-") for g in grades]
        table.add_row(cid, *row)
    table.add_row("overall", *[f"{g.overall:.1f}" for g in grades], style="bold")
    return table


def session_report(saved: SavedSession, criterion_names: dict[str, str] | None = None) -> Group:
    meta = saved.meta
    q = meta.question
    head = Text()
    head.append(q.text + "\n", style="bold")
    head.append(f"{q.id} · {q.round.value}", style="dim")
    if meta.track:
        head.append(f" · {meta.track.value}", style="dim")
    head.append(f" · session {meta.id} · {meta.created_at.astimezone():%Y-%m-%d %H:%M}", style="dim")
    if meta.parent_id:
        head.append(f"\nfollow-up to session {meta.parent_id}", style="magenta")
    if meta.loop_id:
        head.append(f"\n" if not meta.parent_id else " · ", style="dim")
        head.append(f"mock loop {meta.loop_id}", style="dim")
    if not meta.finished:
        head.append("\nunfinished: the answer was interrupted; what was recorded is kept", style="yellow")
    parts: list[RenderableType] = []
    warning = quality_warning(saved.transcript)
    if warning is not None:
        parts.append(warning)
    parts.append(Panel(head, title="Question", title_align="left"))
    if saved.transcript is not None:
        body = highlighted_transcript(saved.transcript, saved.evidence)
        src = saved.transcript.model or saved.transcript.source
        kinds = shown_kinds(saved.transcript, saved.evidence)
        inner: list[RenderableType] = [body, Text(""), legend(kinds)] if kinds else [body]
        parts.append(Panel(Group(*inner), title=f"Transcript ({src})", title_align="left"))
    else:
        parts.append(Text(f"Not transcribed yet: run `interviewer regrade {meta.id}`", style="yellow"))
    if saved.evidence is not None:
        parts.append(Panel(evidence_table(saved.evidence), title="Evidence", title_align="left"))
    if saved.latest_grade is not None:
        parts.append(grade_panel(saved.latest_grade, criterion_names))
    if len(saved.grades) > 1:
        parts.append(compare_grades(saved.grades))
    return Group(*parts)
