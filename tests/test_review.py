"""Terminal review that fits: `history` and `show` at 80 and 120 columns, on a real store
(built once for the module by tests/review_store.py: graded answers, an unfinished one, a loop
interrupted and resumed, a paused loop)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.render import session_report
from interviewer.report.history import HistoryTable, build_history_view, load_history
from interviewer.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from review_store import Built, build_store  # noqa: E402

WIDTHS = (80, 120)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_store(tmp_path_factory.mktemp("review-home"))


@pytest.fixture
def home(built: Built, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INTERVIEWER_HOME", str(built.home))
    return built.home


def run(*args: str, width: int) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_fits(out: str, width: int) -> list[str]:
    lines = out.splitlines()
    too_long = [line for line in lines if cell_len(line) > width]
    assert not too_long, f"{len(too_long)} line(s) wider than {width}: {too_long[:3]}"
    return lines


def flat(out: str) -> str:
    """The text of a rendering with panel borders and line breaks taken out."""
    parts = [line.strip().strip("│").strip() for line in out.splitlines()]
    return " ".join(" ".join(parts).split())


def index_of(lines: list[str], needle: str) -> int:
    hits = [n for n, line in enumerate(lines) if needle in line]
    assert hits, f"{needle!r} not shown"
    return hits[0]


def row_of(lines: list[str], session_id: str) -> int:
    """The line a session's figures start with its id (both forms)."""
    return index_of([line.lstrip().removeprefix("↳ ")[: len(session_id)] for line in lines], session_id)


# --- history ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_history_fits_shows_markers_and_every_score(home: Path, built: Built, width: int) -> None:
    out = run("history", "-n", "100", width=width)
    lines = assert_fits(out, width)
    view = load_history(Store(home / "recordings"), limit=100)
    assert len(view.entries) == len({e.id for e in view.entries}) >= 20
    for e in view.entries:
        n = row_of(lines, e.id)
        # every criterion's score is on the session's line (or the line after, in two-line form)
        shown = " ".join(lines[n - 1 : n + 2])
        for cid, score in e.scores.items():
            assert f"{cid[:3]}{score}" in shown, (e.id, cid)
        if e.overall is not None:
            assert f"{e.overall:.1f}" in shown
    # Markers are text, not style tags: the brackets and the words show.
    assert "[unfinished] [not graded] Tell me about a time" in out
    assert "[interrupted, answered again] " in out
    assert "Design [ads] ranking" in out, "a question with [brackets] keeps them"
    assert "* evidence-only grade" in out


@pytest.mark.parametrize("width", WIDTHS)
def test_history_groups_follow_ups_under_their_question_and_loop(home: Path, built: Built, width: int) -> None:
    lines = assert_fits(run("history", "-n", "100", width=width), width)
    state = built.loop
    head = index_of(lines, f"Mock loop {state.id}")
    assert "Applied Scientist" in lines[head] and "complete" in lines[head]
    positions = []
    for item in state.items:
        main = row_of(lines, item.session_id)  # type: ignore[arg-type]
        assert main > head
        for fu in item.follow_ups or []:
            at = row_of(lines, fu.session_id)  # type: ignore[arg-type]
            assert at > main, "a follow-up is listed under its answer"
            if width < 110:
                assert lines[at - 1].lstrip().startswith("↳ "), "and marked as one"
            else:
                assert "↳ " in lines[at]
            for old in fu.interrupted_session_ids:
                assert main < row_of(lines, old) < at, "the interrupted attempt sits with its follow-up"
        positions.append(main)
    assert positions == sorted(positions), "the loop's questions in the order they were asked"
    # every round of the loop is named once, before its questions
    for item in state.items:
        title = state.round_plan(item.round).title
        assert head < index_of(lines[head:], title) + head < row_of(lines, item.session_id)  # type: ignore[arg-type]
    # the paused loop says how to continue, and its cut-off answer stays in it
    paused = index_of(lines, f"Mock loop {built.paused.id}")
    assert "paused at 2/7" in lines[paused]
    assert f"interviewer loop --resume {built.paused.id}" in lines[paused + 1]
    (cut,) = built.paused.items[1].interrupted_session_ids
    assert "[interrupted: the loop resumes here]" in " ".join(lines[row_of(lines, cut) - 1 : row_of(lines, cut) + 1])


def test_history_limit_and_loop_filter(home: Path, built: Built) -> None:
    out = run("history", "-n", "3", width=80)
    rows = [line for line in out.splitlines() if re.match(r"\s*(↳ )?\d{8}-\d{6}-[0-9a-f]{4}\s", line)]
    assert len(rows) == 3
    only = run("history", "--loop", built.loop.id.removeprefix("loop-"), "-n", "100", width=80)
    assert built.paused.id not in only and built.graded not in only
    assert all(sid in only for sid in built.loop.session_ids())
    cut = run("history", "--loop", built.loop.id, "-n", "4", width=80)
    total = len(Store(home / "recordings").list(limit=None, loop_id=built.loop.id))
    assert f"{total - 4} more: interviewer history --loop {built.loop.id}" in cut


def test_history_json_has_the_links_and_markers(home: Path, built: Built) -> None:
    rows = json.loads(run("history", "--json", "-n", "100", width=80))
    by_id = {r["id"]: r for r in rows}
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)
    item = built.loop.items[1]
    fu = item.follow_ups[0]  # type: ignore[index]
    assert by_id[fu.session_id]["parent_id"] == item.session_id and by_id[fu.session_id]["loop_id"] == built.loop.id
    assert by_id[fu.session_id]["follow_up"] == 1 and by_id[fu.session_id]["label"].startswith("follow-up 1: ")
    assert [m["kind"] for m in by_id[built.kept]["markers"]] == ["interrupted"]
    assert by_id[built.kept]["markers"][0]["session_id"] == fu.session_id
    assert [m["kind"] for m in by_id[built.unfinished]["markers"]] == ["unfinished", "not_graded"]


def test_history_view_renders_the_same_with_rich_consoles(home: Path) -> None:
    view = build_history_view(Store(home / "recordings").list(limit=None), home / "recordings")
    for width in WIDTHS:
        console = Console(width=width, record=True)
        console.print(HistoryTable(view))
        assert_fits(console.export_text(), width)


# --- show ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_show_fits_and_keeps_every_finding(home: Path, built: Built, width: int) -> None:
    store = Store(home / "recordings")
    for sid in (built.graded, built.loop.items[1].follow_ups[0].session_id, built.kept):  # type: ignore[index]
        out = run("show", sid, width=width)
        assert_fits(out, width)
        text = flat(out)
        saved = store.load(sid)
        grade = saved.latest_grade
        if grade is None:
            assert "unfinished: the answer was interrupted" in text and "Not transcribed yet" in text
            continue
        for c in grade.criteria:
            assert " ".join(c.rationale.split()) in text
            for q in c.quotes:
                assert " ".join(q.split()) in text, q
            for flag in c.flags:
                assert " ".join(flag.split()) in text
        for s in grade.signals:
            assert " ".join(s.signal.split()) in text
        ev = saved.evidence
        assert ev is not None and f"I {ev.ownership.i_count} / we {ev.ownership.we_count}" in text
        if saved.meta.parent_id:
            assert f"follow-up to session {saved.meta.parent_id}" in text and saved.meta.loop_id in text


def test_show_is_shorter_at_80_columns_than_a_three_column_table(home: Path, built: Built) -> None:
    """The criteria stack (name and score, then the text at full width) instead of a third column."""
    saved = Store(home / "recordings").load(built.graded)
    console = Console(width=80, record=True)
    console.print(session_report(saved))
    lines = console.export_text().splitlines()
    assert_fits("\n".join(lines), 80)
    names = [c.criterion for c in saved.latest_grade.criteria]  # type: ignore[union-attr]
    for cid in names:
        n = index_of(lines, f"│ {cid}  ")
        assert re.search(r"[●○]{5} \d", lines[n]), "name and score on one line"
    # the same advice twice is said once
    advice = [c.improvement for c in saved.latest_grade.criteria if c.improvement]  # type: ignore[union-attr]
    if len(advice) != len(set(advice)):
        assert "the same advice as" in console.export_text()
