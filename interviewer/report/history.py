"""The history page: saved sessions, grouped under their mock loop and question, and its terminal view.

A follow-up probe sits under the answer it followed, and the answers of a mock loop sit together
under one loop line, in the order they were asked; an answer cut off by Ctrl-C stays in its place
with a marker saying so (and whether it was answered again). Everything else is newest first.

:func:`build_history_view` reads the index rows (and, for loops, the loop's state file); the
terminal renderer :class:`HistoryTable` fits any width: one line a session when there is room,
else the question on one line and the figures under it, so neither a question nor a score is cut.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console, ConsoleOptions, RenderResult
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..render import clock
from ..store import SessionRow, Store

if TYPE_CHECKING:
    from ..loop import LoopState

log = logging.getLogger(__name__)

# Below this many columns a session takes two lines (question, then figures).
WIDE_MIN = 110
# Criterion ids are shown by their first letters: unique across the shipped rubrics.
ABBREV = 3
_FOLLOW_UP = re.compile(r"-fu(\d+)$")
TRACK_NAMES = {"scientist": "Applied Scientist", "mle": "ML Engineer"}


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Marker(_View):
    kind: Literal["unfinished", "interrupted", "not_graded"]
    text: str
    session_id: str | None = Field(default=None, description="interrupted: the session that answered it again")


class HistoryEntry(_View):
    """One saved session as a history line."""

    id: str
    created_at: datetime
    question_id: str
    question: str
    round: str
    track: str | None
    status: str
    source: str
    finished: bool
    duration_s: float | None
    time_budget_s: int
    overall: float | None
    grader: str | None
    scores: dict[str, int] = Field(default_factory=dict)
    loop_id: str | None = None
    parent_id: str | None = None
    time_used: str = Field(description='"0:38/5:00"')
    follow_up: int = Field(default=0, description="0: an answer to a question; k: its k-th follow-up probe")
    section: str | None = Field(default=None, description="in a loop: the round's title")
    label: str | None = Field(default=None, description='a follow-up\'s number and why it was asked')
    markers: list[Marker] = Field(default_factory=list)

    @property
    def depth(self) -> int:
        return 1 if self.follow_up else 0


class LoopHeader(_View):
    id: str
    title: str = Field(description='"Mock loop loop-... · ML Engineer · complete"')
    resume: str | None = Field(default=None, description="the command that continues a paused loop")


class HistoryGroup(_View):
    """A loop's answers (in the order asked), or one session with its follow-ups."""

    loop: LoopHeader | None = None
    entries: list[HistoryEntry]
    more: int = Field(default=0, description="sessions of this loop beyond the listing's limit")


class HistoryView(_View):
    groups: list[HistoryGroup]
    criteria: dict[str, str] = Field(default_factory=dict, description="abbreviation -> criterion id, as shown")
    evidence_only: bool = Field(default=False, description="some overall score is an evidence-only grade")

    @property
    def entries(self) -> list[HistoryEntry]:
        return [e for g in self.groups for e in g.entries]

    def rows_json(self) -> list[dict[str, Any]]:
        """The `history --json` shape: one object a session, newest first."""
        return [e.model_dump(mode="json") for e in sorted(self.entries, key=lambda e: (e.created_at, e.id), reverse=True)]


# --- building ------------------------------------------------------------------------------------


def main_question_id(question_id: str) -> str:
    """The question a follow-up probe belongs to (``<id>-fu2`` -> ``<id>``)."""
    return _FOLLOW_UP.sub("", question_id)


def _follow_up_number(row: SessionRow) -> int:
    m = _FOLLOW_UP.search(row.question_id)
    return int(m.group(1)) if m and row.parent_id else (1 if row.parent_id else 0)


def abbreviate(criterion: str) -> str:
    return criterion[:ABBREV]


def _loop_states(root: Path, loop_ids: Iterable[str]) -> dict[str, LoopState]:
    ids = [i for i in dict.fromkeys(loop_ids) if i]
    if not ids:
        return {}
    from ..loop import LoopError, load_state, state_path  # only when loops are listed: a heavy import

    states = {}
    for loop_id in ids:
        path = state_path(root, loop_id)
        if not path.is_file():
            continue
        try:
            states[loop_id] = load_state(path)
        except LoopError as exc:  # a damaged loop file loses only its titles and reasons
            log.warning("%s", exc)
    return states


def _loop_header(loop_id: str, state: LoopState | None) -> LoopHeader:
    if state is None:
        return LoopHeader(id=loop_id, title=f"Mock loop {loop_id}")
    parts = [f"Mock loop {loop_id}", TRACK_NAMES.get(state.track.value, state.track.value),
             f"{state.created_at.astimezone():%m-%d %H:%M}"]
    resume = None
    if state.finished:
        parts.append("complete")
    else:
        parts.append(f"paused at {state.position + 1}/{len(state.items)}")
        resume = f"interviewer loop --resume {loop_id}"
    return LoopHeader(id=loop_id, title=" · ".join(parts), resume=resume)


def _entry(row: SessionRow, state: LoopState | None) -> HistoryEntry:
    k = _follow_up_number(row)
    label: str | None = None
    markers: list[Marker] = []
    item = None
    if state is not None:
        qid = main_question_id(row.question_id)
        item = next((i for i in state.items if i.question.id == qid), None)
    section = None
    if item is not None and state is not None:
        section = state.round_plan(item.round).title
    elif row.loop_id:
        section = row.round.replace("_", " ")
    if k:
        label = f"follow-up {k}"
        probe = item.follow_ups[k - 1] if item is not None and item.follow_ups and k <= len(item.follow_ups) else None
        if probe is not None:
            label += f": {probe.reason}"
    if not row.finished:
        slot: Any = None
        if item is not None:
            slot = item.follow_ups[k - 1] if k and item.follow_ups and k <= len(item.follow_ups) else (None if k else item)
        if slot is not None and row.id in slot.interrupted_session_ids:
            # The answer given on resume is listed right under it.
            again = slot.session_id
            markers.append(Marker(kind="interrupted", session_id=again,
                                  text="interrupted, answered again" if again else "interrupted: the loop resumes here"))
        else:
            markers.append(Marker(kind="unfinished", text="unfinished"))
    if row.overall is None and not (markers and markers[0].kind == "interrupted"):
        markers.append(Marker(kind="not_graded", text="not graded"))
    return HistoryEntry(
        id=row.id, created_at=row.created_at, question_id=row.question_id, question=row.question_text,
        round=row.round, track=row.track, status=row.status, source=row.source, finished=row.finished,
        duration_s=row.duration_s, time_budget_s=row.time_budget_s, overall=row.overall, grader=row.grader,
        scores=dict(row.scores), loop_id=row.loop_id, parent_id=row.parent_id,
        time_used=f"{clock(row.duration_s)}/{clock(row.time_budget_s)}", follow_up=k, section=section, label=label,
        markers=markers,
    )


def _ordered(entries: list[HistoryEntry], order: list[str]) -> list[HistoryEntry]:
    """A question's answers, then its follow-ups under them; questions in ``order`` (the loop's),
    else by their first answer; within a question, oldest first."""
    rank = {qid: n for n, qid in enumerate(order)}
    first: dict[str, tuple[datetime, str]] = {}
    for e in entries:
        key = main_question_id(e.question_id)
        first[key] = min(first.get(key, (e.created_at, e.id)), (e.created_at, e.id))
    return sorted(entries, key=lambda e: (
        rank.get(main_question_id(e.question_id), len(rank)), first[main_question_id(e.question_id)],
        e.follow_up, e.created_at, e.id,
    ))


def build_history_view(rows: Sequence[SessionRow], root: Path, *, loop_sizes: dict[str, int] | None = None) -> HistoryView:
    """Group index rows (newest first, as :meth:`Store.list` gives them) for the history page.

    ``root`` is the sessions folder (where loop states live); ``loop_sizes`` the number of
    sessions each loop holds, so a loop cut by the listing's limit says how many are not shown."""
    states = _loop_states(root, (r.loop_id for r in rows if r.loop_id))
    by_id = {r.id: r for r in rows}
    groups: dict[str, list[HistoryEntry]] = {}
    newest: dict[str, tuple[datetime, str]] = {}
    for row in rows:
        if row.loop_id:
            key = f"loop:{row.loop_id}"
        else:
            # A follow-up outside a loop joins its parent's group when the parent is listed.
            parent = by_id.get(row.parent_id or "")
            key = f"session:{parent.id if parent else row.id}"
        groups.setdefault(key, []).append(_entry(row, states.get(row.loop_id or "")))
        newest[key] = max(newest.get(key, (row.created_at, row.id)), (row.created_at, row.id))
    out = []
    for key in sorted(groups, key=lambda k: newest[k], reverse=True):
        entries = groups[key]
        if key.startswith("loop:"):
            loop_id = key[5:]
            state = states.get(loop_id)
            order = [i.question.id for i in state.items] if state else []
            more = max(0, (loop_sizes or {}).get(loop_id, len(entries)) - len(entries))
            out.append(HistoryGroup(loop=_loop_header(loop_id, state), entries=_ordered(entries, order), more=more))
        else:
            out.append(HistoryGroup(entries=_ordered(entries, [])))
    used = sorted({c for r in rows for c in r.scores}, key=lambda c: (abbreviate(c), c))
    return HistoryView(
        groups=out, criteria={abbreviate(c): c for c in used},
        evidence_only=any(r.overall is not None and r.grader != "llm" for r in rows),
    )


def load_history(store: Store, *, limit: int | None = 20, question_id: str | None = None,
                 loop_id: str | None = None) -> HistoryView:
    """The history page of ``store``: its newest ``limit`` sessions, grouped."""
    rows = store.list(limit=limit, question_id=question_id, loop_id=loop_id)
    sizes = {}
    for lid in {r.loop_id for r in rows if r.loop_id}:
        sizes[lid] = len(store.list(limit=None, question_id=question_id, loop_id=lid))
    return build_history_view(rows, store.root, loop_sizes=sizes)


# --- the terminal ----------------------------------------------------------------------------------

_MARKER_STYLES = {"unfinished": "bold yellow", "interrupted": "bold yellow", "not_graded": "yellow"}


def _score_style(score: float) -> str:
    return "green" if score >= 3.5 else "yellow" if score >= 2.5 else "red"


def overall_text(e: HistoryEntry) -> Text:
    if e.overall is None:
        return Text("-", style="dim")
    return Text(f"{e.overall:.1f}" + ("" if e.grader == "llm" else "*"), style=_score_style(e.overall))


def criteria_text(e: HistoryEntry) -> Text:
    """``str3 own2 met3``: each criterion's first letters and its score, coloured by the score."""
    out = Text()
    for n, (cid, score) in enumerate(e.scores.items()):
        if n:
            out.append(" ")
        out.append(abbreviate(cid), style="dim")
        out.append(str(score), style=_score_style(score))
    return out


def question_text(e: HistoryEntry) -> Text:
    """Markers and the question, as plain Text: a question or a marker in [brackets] is never
    read as a style."""
    out = Text()
    for m in e.markers:
        out.append(f"[{m.text}]", style=_MARKER_STYLES[m.kind])
        out.append(" ")
    out.append(e.question)
    return out


def _footer(view: HistoryView) -> Text | None:
    parts = []
    if view.evidence_only:
        parts.append("* evidence-only grade")
    if view.criteria:
        parts.append(", ".join(f"{a} {cid.replace('_', ' ')}" for a, cid in view.criteria.items()))
    return Text(" · ".join(parts), style="dim") if parts else None


def _group_lines(group: HistoryGroup) -> list[Text]:
    if group.loop is None:
        return []
    lines = [Text(group.loop.title, style="bold cyan")]
    if group.loop.resume:
        lines.append(Text(f"  continue it: {group.loop.resume}", style="dim"))
    if group.more:
        lines.append(Text(f"  {group.more} more: interviewer history --loop {group.loop.id}", style="dim"))
    return lines


def _sections(group: HistoryGroup) -> list[tuple[str | None, HistoryEntry]]:
    """The entries, each with the round title to print before it (when the round changes)."""
    out, current = [], None
    for e in group.entries:
        out.append((e.section if e.section != current else None, e))
        current = e.section
    return out


class HistoryTable:
    """The history page for the terminal: a table when the terminal is wide, else two lines a session."""

    def __init__(self, view: HistoryView) -> None:
        self.view = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        yield Text("Practice history", style="bold")
        # One set of column widths for every group, so the groups line up.
        entries = self.view.entries
        widths = {
            "id": max([len(e.id) for e in entries] + [2]),
            "time": max([len(e.time_used) for e in entries] + [4]),
            "criteria": max([criteria_text(e).cell_len for e in entries] + [8]),
        }
        for n, group in enumerate(self.view.groups):
            yield Text("")
            yield from _group_lines(group)
            if width >= WIDE_MIN:
                yield self._wide(group, widths, header=n == 0)
            else:
                yield from self._narrow(group)
        footer = _footer(self.view)
        if footer is not None:
            yield Text("")
            yield footer

    @staticmethod
    def _indent(group: HistoryGroup, e: HistoryEntry) -> str:
        return ("  " if group.loop is not None else "") + ("↳ " if e.depth else "")

    def _narrow(self, group: HistoryGroup) -> RenderResult:
        for section, e in _sections(group):
            if section:
                yield Text(f"  {section}", style="bold", no_wrap=True, overflow="ellipsis")
            lead = self._indent(group, e)
            yield Text(lead, no_wrap=True, overflow="ellipsis") + question_text(e)
            figures = Table.grid(padding=(0, 2))
            figures.add_column(no_wrap=True, style="cyan")
            figures.add_column(no_wrap=True, justify="right")
            figures.add_column(no_wrap=True, justify="right")
            figures.add_column(overflow="fold")  # the criteria wrap under themselves, never cut
            figures.add_row(e.id, e.time_used, overall_text(e), criteria_text(e))
            yield Padding(figures, (0, 0, 0, len(lead) + 2), expand=False)

    def _wide(self, group: HistoryGroup, widths: dict[str, int], *, header: bool) -> Table:
        table = Table(box=None, expand=True, padding=(0, 1), pad_edge=False, show_header=header, header_style="bold dim")
        table.add_column("ID", style="cyan", no_wrap=True, width=widths["id"])
        table.add_column("Question", overflow="ellipsis", no_wrap=True, ratio=1)
        table.add_column("Time", justify="right", no_wrap=True, width=widths["time"])
        table.add_column("Score", justify="right", no_wrap=True, width=5)
        table.add_column("Criteria", no_wrap=True, width=widths["criteria"])
        for section, e in _sections(group):
            if section:
                table.add_row("", Text(section, style="bold"), "", "", "")
            table.add_row(e.id, Text(self._indent(group, e)) + question_text(e), e.time_used, overall_text(e),
                          criteria_text(e))
        return table
