"""`interviewer progress`: one view model (report/progress.py) in the terminal, as JSON and as HTML.

Sessions are real: timed transcripts through the real analyzer, the evidence-only grader and the
store (tests/attempts.py); no microphone, no Whisper model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attempts import OTHER, QUESTION, STRONG, WEAK, attempt
from interviewer.cli import app
from interviewer.models import Question, Round, Track
from interviewer.report.progress import SPARK_BLOCKS, ProgressFilter, progress_view
from interviewer.settings import load_settings
from interviewer.store import Store
import headless  # noqa: E402 - load and screenshot, as the other browser tests
from test_report_html import browser  # noqa: F401 - fixture: headless Chromium

DESIGN = Question(
    id="sd-attempts", round=Round.ml_system_design, time_budget_s=600,
    text="Design a feed ranking system for 10 million daily users.",
)  # fmt: skip
DESIGN_TEXT = (
    "I would assume 10 million daily users and a 100 millisecond latency budget. I would use two tower "
    "retrieval and then a gradient boosted ranker, trading a little accuracy for latency."
)


def run(*args: str, width: int = 200):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})


@pytest.fixture
def sessions() -> list:
    """Four sessions over eight days: two attempts at one question, another behavioral one, a design."""
    return [
        attempt(QUESTION, WEAK, days=0, wpm=190),
        attempt(QUESTION, STRONG, days=3, wpm=150),
        attempt(OTHER, STRONG, days=5, wpm=120, track=Track.mle),
        attempt(DESIGN, DESIGN_TEXT, days=8, wpm=145, track=Track.mle),
    ]


def _store() -> Store:
    return Store(load_settings().sessions_dir)


def test_view_has_one_value_per_session_for_every_measure(sessions: list) -> None:
    view = progress_view(_store())
    assert [p.id for p in view.sessions] == [s.meta.id for s in sessions]  # oldest first
    assert view.overall is not None
    assert view.overall.values == [s.latest_grade.overall for s in sessions]
    assert view.overall.first == sessions[0].latest_grade.overall and view.overall.latest == sessions[-1].latest_grade.overall
    ownership = next(c for c in view.criteria if c.key == "ownership")
    expected = [next((c.score for c in s.latest_grade.criteria if c.criterion == "ownership"), None) for s in sessions]
    assert ownership.values == expected and ownership.name == 'Ownership ("I" vs "we")'
    # The design rubric has criteria the behavioral one has not: a gap for the others.
    clarifying = next(c for c in view.criteria if c.key == "clarifying")
    assert clarifying.values[:3] == [None, None, None] and clarifying.values[3] is not None
    by_key = {s.key: s for s in view.delivery}
    assert by_key["wpm"].values == [s.evidence.delivery.wpm for s in sessions]
    assert by_key["filler_rate"].values[0] == sessions[0].evidence.delivery.filler_rate > 5
    assert by_key["filler_rate"].improved is True  # fewer fillers since the first session
    used = by_key["time_used_pct"]
    first = sessions[0]
    assert used.values[0] == round(100 * first.transcript.duration_s / first.meta.question.time_budget_s, 1)
    assert used.fmt(used.values[0]).endswith("%")
    assert set(view.principles_covered) == {"Deliver Results", "Ownership", "Frugality"}
    assert len(view.principles) == 16 and "Customer Obsession" in view.principles_missing


def test_filters_by_round_track_and_question(sessions: list) -> None:
    store = _store()
    assert len(progress_view(store, ProgressFilter(round=Round.behavioral)).sessions) == 3
    assert len(progress_view(store, ProgressFilter(track=Track.mle)).sessions) == 2
    only = progress_view(store, ProgressFilter(question_id=QUESTION.id))
    assert [p.id for p in only.sessions] == [s.meta.id for s in sessions[:2]]
    assert only.description == f"question id {QUESTION.id}"
    doc = json.loads(run("progress", "--round", "ml_system_design", "--json").stdout)
    assert [p["id"] for p in doc["sessions"]] == [sessions[3].meta.id]
    assert doc["filters"] == {"round": "ml_system_design", "track": None, "question_id": None}


def test_json_shape(sessions: list) -> None:
    result = run("progress", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"filters", "sessions", "overall", "criteria", "delivery", "principles",
                        "principles_covered", "principles_missing", "generated_at"}
    point = doc["sessions"][0]
    assert set(point) >= {"id", "created_at", "question_id", "overall", "scores", "filler_rate", "wpm",
                          "duration_s", "time_used_pct", "time_used"}
    for series in [doc["overall"], *doc["criteria"], *doc["delivery"]]:
        assert len(series["values"]) == len(doc["sessions"])
        assert set(series) >= {"key", "name", "values", "first", "latest", "best", "change", "lo", "hi"}
    assert [s["key"] for s in doc["delivery"]] == ["filler_rate", "wpm", "time_used_pct"]


@pytest.mark.parametrize("width", [80, 120])
def test_terminal_table_fits_and_shows_the_numbers(sessions: list, width: int) -> None:
    result = run("progress", width=width)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    too_long = [line for line in lines if len(line) > width]
    assert not too_long, too_long
    view = progress_view(_store())
    overall = next(line for line in lines if line.lstrip().startswith("overall"))
    assert f"{view.overall.first:.1f}" in overall and f"{view.overall.latest:.1f}" in overall
    # Four sessions: four points on the sparkline, oldest first.
    spark = re.search(f"[{SPARK_BLOCKS}·]{{4}}", overall)
    assert spark, overall
    assert spark.group(0)[0] == SPARK_BLOCKS[round((view.overall.first - 1) / 4 * 7)]
    pace = next(line for line in lines if line.lstrip().startswith("pace"))
    wpm = next(s for s in view.delivery if s.key == "wpm")
    assert f"{wpm.first:.0f} " in pace and f"{wpm.latest:.0f} " in pace and wpm.improved  # into the band
    assert any(line.startswith("Leadership Principles: 3 of 16 covered") for line in lines)
    # The wide table uses the room: a sessions column the 80-column one leaves out.
    assert ("sessions" in lines[2]) == (width >= 100)
    assert "4 session(s)" in lines[0]


def test_narrow_place_keeps_the_newest_points() -> None:
    from rich.console import Console

    from interviewer.report.progress import Series, Sparkline

    s = Series(key="overall", name="overall", better="higher", lo=1, hi=5, values=[1, 2, 3, 4, 5, None, 5], count=6)
    console = Console(width=3, record=True, color_system=None)
    console.print(Sparkline(s))
    assert console.export_text().strip() == f"{SPARK_BLOCKS[-1]}·{SPARK_BLOCKS[-1]}"


def test_no_sessions_says_what_to_do() -> None:
    result = run("progress", width=80)
    assert result.exit_code == 0 and "No graded sessions yet" in result.stdout
    assert run("progress", "--html").exit_code == 0


def test_html_page_is_self_contained_with_svg_charts(sessions: list, tmp_path: Path) -> None:
    page = tmp_path / "out" / "progress.html"
    result = run("progress", "--html", "-o", str(page))
    assert result.exit_code == 0, result.output
    assert str(page) in result.stdout.replace("\n", "")
    html = page.read_text(encoding="utf-8")
    view = progress_view(_store())
    charts = re.findall(r'<svg class="chart"', html)
    assert len(charts) == 1 + len(view.criteria) + len(view.delivery)
    # Every value is a point with its session; a gap breaks the line instead of inventing a value.
    points = re.findall(r'<circle class="pt"[^>]* data-session="([^"]+)"', html)
    assert len(points) == sum(s.count for s in [view.overall, *view.criteria, *view.delivery])
    clarifying = html.split('id="c-clarifying"')[1].split("</section>")[0]
    assert clarifying.count("<circle") == 1
    assert "<polyline" in html and 'class="band"' in html
    # Nothing to fetch: no URL, no external script, style or font; the CSP forbids it anyway.
    assert not re.search(r"https?://", html)
    assert not re.search(r"<(?:script|link|img)[^>]+(?:src|href)=", html)
    assert "default-src 'none'" in html
    assert "Frugality" in html and "3 of 16 covered" in html


def test_html_default_place_is_beside_the_sessions(sessions: list) -> None:
    result = run("progress", "--html")
    assert result.exit_code == 0, result.output
    assert (_store().root / "progress.html").is_file()


def test_progress_page_in_a_browser(sessions: list, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Headless Chromium loads the page: nothing leaves it, it fits 375 and 1280 px, every chart draws."""
    page = tmp_path / "progress.html"
    assert run("progress", "-o", str(page)).exit_code == 0
    for width in (375, 1280):
        headless.load_page(browser, page, width)
        assert headless.horizontal_overflow(browser) == 0, f"horizontal scrolling at {width} px"
        # Every chart is drawn with a real size.
        boxes = browser.execute_script(
            "return Array.from(document.querySelectorAll('svg.chart')).map(function (s) {"
            " var r = s.getBoundingClientRect(); return [r.width, r.height]; })")
        assert boxes and all(w > 200 and h > 60 for w, h in boxes), boxes
        assert headless.leaving_requests(browser) == []
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
        shot = headless.screenshot(browser, tmp_path / f"progress-{width}.png", width)
        assert shot.stat().st_size > 10_000
