"""The mock-loop report's view model, its Markdown, and the pages it links to.

:func:`build_loop_view` turns the scored :class:`~interviewer.loop.LoopReport` and the loop's
state into a :class:`LoopView`: every round with its questions in the order asked, each answer,
follow-up and interrupted attempt with its score, time and a link to its own session page. The
Markdown (:func:`loop_markdown`, saved next to the loop's state) and the self-contained HTML page
(:func:`interviewer.report.html.render_loop_html`) both render from it.

:func:`write_loop_report` writes the HTML page and, first, the session pages it links to that
are missing or older than their session (a regrade since): every link on the page works.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InterviewerError
from ..loop import (
    AnswerScore,
    CriterionSummary,
    LoopReport,
    LoopState,
    StoryReuse,
    Verdict,
    answer_score,
    build_report,
    loops_dir,
    report_path,
)
from ..render import clock
from ..store import Store

TRACK_NAMES = {"scientist": "Applied Scientist", "mle": "ML Engineer"}


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreView(_View):
    id: str
    name: str
    score: int


class AnswerView(_View):
    """One session of the loop: an answer, a follow-up, or an attempt cut off by Ctrl-C."""

    session_id: str
    kind: Literal["answer", "follow_up", "interrupted"]
    question: str
    question_id: str
    follow_up: int = Field(default=0, description="0: the main question; k: its k-th follow-up")
    reason: str | None = Field(default=None, description="why the follow-up was asked")
    overall: float | None = None
    grader: str | None = None
    criteria: list[ScoreView] = Field(default_factory=list)
    time_used: str = Field(default="-", description='"~3:12 of 12:00" (~: estimated from the words)')
    finished: bool = True
    href: str | None = Field(default=None, description="the session's page, relative to the loop page")


class QuestionView(_View):
    question: str
    question_id: str
    status: Literal["answered", "pending"]
    score: float | None = Field(default=None, description="the answer, with follow-ups counting half")
    principles: list[str] = Field(default_factory=list)
    answers: list[AnswerView] = Field(default_factory=list, description="in the order asked, attempts included")
    skipped_follow_ups: list[str] = Field(default_factory=list)


class RoundView(_View):
    number: int
    round: str
    stage: str
    title: str
    minutes: int
    focus: str
    score: float | None = None
    concern: bool = False
    time_used: str = "-"
    criteria: list[tuple[str, float]] = Field(default_factory=list, description="(name, mean of the main answers)")
    questions: list[QuestionView] = Field(default_factory=list)

    @property
    def answered(self) -> bool:
        return any(q.status == "answered" for q in self.questions)


class LoopView(_View):
    id: str
    track: str
    track_name: str
    created_at: datetime
    finished_at: datetime | None
    complete: bool
    resume: str | None = Field(default=None, description="the command that continues a paused loop")
    graders: list[str] = Field(default_factory=list)
    time_used: str = "-"
    verdict: Verdict
    rounds: list[RoundView]
    criteria: list[CriterionSummary] = Field(description="every criterion across rounds, weakest first")
    top_fixes: list[CriterionSummary]
    principles_covered: list[str]
    principles_missing: list[str]
    stories_reused: list[StoryReuse]
    story_method: str
    session_ids: list[str] = Field(default_factory=list, description="every session the page links to")


def _used(seconds: float | None, budget: float | None, estimated: bool) -> str:
    if seconds is None:
        return f"- of {clock(budget)}" if budget else "-"
    used = ("~" if estimated else "") + clock(seconds)
    return f"{used} of {clock(budget)}" if budget else used


def _answer(a: AnswerScore, kind: str, names: dict[str, str], href: Callable[[str], str | None]) -> AnswerView:
    return AnswerView(
        session_id=a.session_id, kind=kind, question=a.question, question_id=a.question_id,  # type: ignore[arg-type]
        follow_up=a.follow_up, reason=a.probe_reason, overall=a.overall, grader=a.grader,
        criteria=[ScoreView(id=c, name=names.get(c, c.replace("_", " ")), score=s) for c, s in a.criteria.items()],
        time_used=_used(a.time_used_s, a.time_budget_s, a.time_estimated), finished=a.finished,
        href=href(a.session_id),
    )


def _attempt(session_id: str, question: str, question_id: str, follow_up: int, href: Callable[[str], str | None],
             loaded: Callable[[str], AnswerScore | None]) -> AnswerView:
    """An interrupted attempt: kept, never scored (what was recorded is in its session)."""
    a = loaded(session_id)
    return AnswerView(
        session_id=session_id, kind="interrupted", question=question, question_id=question_id, follow_up=follow_up,
        time_used=_used(a.time_used_s, a.time_budget_s, a.time_estimated) if a else "-", finished=False,
        href=href(session_id),
    )


def build_loop_view(
    report: LoopReport,
    state: LoopState | None = None,
    *,
    href: Callable[[str], str | None] | None = None,
    attempt: Callable[[str], AnswerScore | None] | None = None,
) -> LoopView:
    """The loop page from its scored report and its state (for the questions not answered yet,
    the interrupted attempts and each round's focus); ``href`` gives a session's page link,
    ``attempt`` the figures of an interrupted attempt (None: not found)."""
    link = href or (lambda _sid: None)
    figures = attempt or (lambda _sid: None)
    names = report.criterion_names
    by_round = {r.round: r for r in report.rounds}
    plans = state.rounds if state is not None else []
    rounds: list[RoundView] = []
    order = [p.round for p in plans] or [r.round for r in report.rounds]
    for number, rnd in enumerate(order, start=1):
        scored = by_round.get(rnd)
        plan = next((p for p in plans if p.round == rnd), None)
        stage, title, minutes = (plan.stage, plan.title, plan.minutes) if plan else (scored.stage, scored.title, scored.minutes)  # type: ignore[union-attr]
        by_question = {q.answer.question_id: q for q in scored.questions} if scored else {}
        items = state.items_in(rnd) if state is not None else []
        questions: list[QuestionView] = []
        for item in items:
            q = by_question.pop(item.question.id, None)
            answers = [_attempt(sid, item.question.text, item.question.id, 0, link, figures)
                       for sid in item.interrupted_session_ids]
            if q is not None:
                answers.append(_answer(q.answer, "answer", names, link))
            fus = {f.follow_up: f for f in q.follow_ups} if q is not None else {}
            for k, fu in enumerate(item.follow_ups or [], start=1):
                answers += [_attempt(sid, fu.question.text, fu.question.id, k, link, figures)
                            for sid in fu.interrupted_session_ids]
                if k in fus:
                    answers.append(_answer(fus[k], "follow_up", names, link))
            questions.append(QuestionView(
                question=item.question.text, question_id=item.question.id,
                status="answered" if q is not None else "pending", score=q.score if q else None,
                principles=q.principles if q else [], answers=answers,
                skipped_follow_ups=q.skipped_follow_ups if q else [],
            ))
        for q in by_question.values():  # no state: every scored question as reported
            questions.append(QuestionView(
                question=q.answer.question, question_id=q.answer.question_id, status="answered", score=q.score,
                principles=q.principles, skipped_follow_ups=q.skipped_follow_ups,
                answers=[_answer(q.answer, "answer", names, link)]
                + [_answer(f, "follow_up", names, link) for f in q.follow_ups],
            ))
        rounds.append(RoundView(
            number=number, round=rnd.value, stage=stage, title=title, minutes=minutes,
            focus=plan.focus if plan else "", score=scored.score if scored else None,
            concern=scored.concern if scored else False,
            time_used=_used(scored.time_used_s, scored.time_budget_s, scored.time_estimated) if scored else "-",
            criteria=[(names.get(c, c.replace("_", " ")), v) for c, v in scored.criteria.items()] if scored else [],
            questions=questions,
        ))
    resume = None
    if state is not None and not state.finished:
        resume = f"interviewer loop --resume {report.loop_id}"
    ids = [a.session_id for r in rounds for q in r.questions for a in q.answers]
    return LoopView(
        id=report.loop_id, track=report.track.value, track_name=TRACK_NAMES.get(report.track.value, report.track.value),
        created_at=report.created_at, finished_at=report.finished_at, complete=report.complete, resume=resume,
        graders=report.graders, time_used=_used(report.time_used_s, None, report.time_estimated),
        verdict=report.verdict, rounds=rounds, criteria=report.criteria, top_fixes=report.top_fixes,
        principles_covered=report.principles_covered, principles_missing=report.principles_missing,
        stories_reused=report.stories_reused, story_method=report.story_method, session_ids=ids,
    )


# --- Markdown --------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _score(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def _session(a: AnswerView) -> str:
    return f"[session `{a.session_id}`]({a.href})" if a.href else f"session `{a.session_id}`"


def loop_markdown(view: LoopView) -> str:
    """The loop report as Markdown (saved next to the loop state as ``<loop_id>.md``)."""
    v = view.verdict
    lines = [
        f"# Mock loop {view.id}",
        "",
        f"Track: {view.track_name} · started {view.created_at:%Y-%m-%d %H:%M} UTC"
        + ("" if view.complete else " · **incomplete**")
        + (f" · graded by: {', '.join(view.graders)}" if view.graders else ""),
        "",
    ]
    if view.resume:
        lines += [f"Continue it with `{view.resume}`.", ""]
    lines += [
        f"## Summary: {v.label}",
        "",
        f"{v.summary}.",
        "",
        "## Rounds",
        "",
        "| Round | Stage | Score | Time used |",
        "|---|---|---|---|",
    ]
    for r in view.rounds:
        if not r.answered:
            continue
        score = _score(r.score) + (" ⚠" if r.concern else "")
        lines.append(f"| {_md(r.title)} | {r.stage} | {score} | {r.time_used} |")
    lines += ["", "## Criteria (weakest first)", "", "| Criterion | Mean | Lowest | Answers | Rounds |", "|---|---|---|---|---|"]
    for c in view.criteria:
        lines.append(f"| {_md(c.name)} | {c.mean:.2f} | {c.lowest} | {c.count} | {', '.join(r.value for r in c.rounds)} |")
    lines += ["", "## Three things to fix", ""]
    for n, c in enumerate(view.top_fixes, start=1):
        lines.append(f"{n}. **{_md(c.name)}** (mean {c.mean:.2f}): {_md(c.improvement or 'see the rubric anchors')}")
    if not view.top_fixes:
        lines.append("Nothing scored below 5.")
    lines += ["", "## Leadership Principles", "",
              f"Covered ({len(view.principles_covered)}): {', '.join(view.principles_covered) or 'none'}", "",
              f"Missing ({len(view.principles_missing)}): {', '.join(view.principles_missing) or 'none'}", "",
              "## Stories reused across rounds", "", f"Grouped by {view.story_method}.", ""]
    for s in view.stories_reused:
        lines.append(f"- {_md(s.label)}: {', '.join(r.value for r in s.rounds)} ({', '.join(s.question_ids)})")
    if not view.stories_reused:
        lines.append("No story was told in more than one round.")
    lines += ["", "## Questions", ""]
    for r in view.rounds:
        if not r.questions:
            continue
        lines += [f"### {r.title}", ""]
        for q in r.questions:
            main = next((a for a in q.answers if a.kind == "answer"), None)
            head = f"- **{_md(q.question)}** `{q.question_id}`"
            lines.append(head + (f" · {_score(main.overall)} · {_session(main)}" if main else " · not answered yet"))
            for a in q.answers:
                if a.kind == "follow_up":
                    lines.append(f"  - follow-up ({_md(a.reason or '')}): {_md(a.question)} · {_score(a.overall)} · {_session(a)}")
                elif a.kind == "interrupted":
                    what = f"follow-up {a.follow_up}" if a.follow_up else "answer"
                    lines.append(f"  - {what} interrupted ({a.time_used}), kept as {_session(a)}")
            for text in q.skipped_follow_ups:
                lines.append(f"  - follow-up not answered: {_md(text)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- writing the pages -------------------------------------------------------------------------------


class LoopPages(NamedTuple):
    html: Path
    markdown: Path


def default_loop_page(root: Path, loop_id: str) -> Path:
    """Where a loop's HTML page goes unless told otherwise: beside its state and Markdown."""
    return loops_dir(root) / f"{loop_id}.html"


def _attempt_figures(store: Store) -> Callable[[str], AnswerScore | None]:
    def figures(sid: str) -> AnswerScore | None:
        try:
            return answer_score(store.load_folder(store.root / sid))
        except (InterviewerError, OSError):
            return None

    return figures


def write_loop_report(
    store: Store,
    state: LoopState,
    output: Path | None = None,
    *,
    report: LoopReport | None = None,
    embed: bool = True,
    rubric: str | Path | None = None,
    on_page: Callable[[str], None] | None = None,
) -> LoopPages:
    """Write the loop's HTML page (default ``loops/<loop_id>.html``), its Markdown
    (``loops/<loop_id>.md``), and first the session pages they link to; ``on_page`` is told
    of each session page written."""
    from .html import relative_links, render_loop_html, session_pages, write_page  # PyAV and Jinja2: only when pages are written

    report = report or build_report(store, state, rubric=rubric)
    attempt = _attempt_figures(store)
    pages = session_pages(store, build_loop_view(report, state).session_ids, embed=embed, on_page=on_page)
    html = output or default_loop_page(store.root, state.id)
    markdown = report_path(store.root, state.id)
    write_page(render_loop_html(build_loop_view(report, state, href=relative_links(pages, html.parent), attempt=attempt)), html)
    write_page(loop_markdown(build_loop_view(report, state, href=relative_links(pages, markdown.parent), attempt=attempt)), markdown)
    return LoopPages(html=html, markdown=markdown)
