"""`interviewer compare A B` and `interviewer practice --again ID`: two attempts at one question.

Sessions are real (tests/attempts.py: timed transcripts through the real analyzer, evidence-only
grader and store). The one test that records goes through PulseAudio's virtual microphone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from attempts import OTHER, QUESTION, STRONG, WEAK, attempt
from interviewer.cli import app
from interviewer.errors import DifferentQuestions
from interviewer.models import Track
from interviewer.practice import again
from interviewer.report.compare import build_compare_view, compare_sessions
from interviewer.settings import load_settings
from interviewer.store import Store
from pulse import PulseServer, pulse_server  # noqa: F401 - fixture
from test_practice import star_wav  # noqa: F401 - fixture

# The strong story told again in other words: the same I-actions and figures, the assumption, the
# budget and the cost left out.
RETOLD = (
    "I owned the ads ranking service; its P99 latency was 180 milliseconds at peak. "
    "I distilled the ranker into a smaller student model and moved the feature joins into a Redis cache myself. "
    "P99 latency went from 180 milliseconds to 85 milliseconds."
)


def run(*args: str, width: int = 200):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})


def _store() -> Store:
    return Store(load_settings().sessions_dir)


@pytest.fixture
def pair() -> tuple:
    return attempt(QUESTION, WEAK, days=0, wpm=190), attempt(QUESTION, STRONG, days=2, wpm=150)


def test_second_attempt_adds_numbers_assumptions_and_i_actions(pair: tuple) -> None:
    weak, strong = pair
    view = compare_sessions(_store(), strong.meta.id, weak.meta.id)  # any order: the older is first
    assert (view.a.id, view.b.id) == (weak.meta.id, strong.meta.id)
    assert view.same_question and view.question_id == QUESTION.id
    changes = {c.kind: c for c in view.changes}
    assert [m.text for m in changes["numbers"].added] == ["180 ms", "100 ms", "85 ms", "$40000"]
    assert changes["numbers"].dropped == [] and changes["numbers"].a_count == 0
    assert len(changes["I-actions"].added) == 3 and changes["I-actions"].a_count == 0
    assert [m.text for m in changes["assumptions"].added] == [
        "I assumed the traffic would double by peak season, so I profiled the service first."]
    assert {m.text for m in changes["assumption dimensions"].added} >= {"latency", "cost"}
    # Every timed mention keeps its moment in the answer.
    assert all(m.start is not None for m in changes["numbers"].added)
    # Scores per criterion with their change.
    for c in view.scores:
        a = next(g.score for g in weak.latest_grade.criteria if g.criterion == c.criterion)
        b = next(g.score for g in strong.latest_grade.criteria if g.criterion == c.criterion)
        assert (c.a, c.b, c.change) == (a, b, b - a)
    assert view.overall.change == round(strong.latest_grade.overall - weak.latest_grade.overall, 2)
    assert view.newly_covered == QUESTION.signals
    figures = {f.label: f for f in view.figures}
    assert figures["fillers"].improved is True
    assert figures["fillers"].a.startswith(f"{sum(weak.evidence.delivery.fillers.values())} (")
    assert figures["time used"].b.endswith("of 5:00")


def test_a_retelling_keeps_what_it_repeats_and_drops_the_rest(pair: tuple) -> None:
    _, strong = pair
    retold = attempt(QUESTION, RETOLD, days=4, wpm=150)
    view = build_compare_view(strong, retold)
    changes = {c.kind: c for c in view.changes}
    assert changes["I-actions"].kept == 2  # the same actions in other words are the same points
    assert [m.text for m in changes["I-actions"].dropped] == [
        "I assumed the traffic would double by peak season, so I profiled the service first."]
    assert changes["numbers"].kept == 2 and [m.text for m in changes["numbers"].dropped] == ["100 ms", "$40000"]
    assert [m.text for m in changes["assumptions"].dropped] and not changes["assumptions"].added
    # What the newer attempt still leaves out: the hidden assumptions, the uncovered signals.
    assert view.still_missing == [
        *(f"{s.signal} ({s.status})" for s in retold.evidence.signals if s.status in ("missing", "partly")),
        *(f"assumption never stated: {d}" for d in retold.evidence.assumptions.hidden),
    ]
    assert "assumption never stated: cost" in view.still_missing


def test_different_questions_are_refused_in_one_line_unless_forced(pair: tuple) -> None:
    weak, _ = pair
    other = attempt(OTHER, STRONG, days=1)
    result = run("compare", weak.meta.id, other.meta.id)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error:"), result.stderr
    assert "different questions" in errors[0] and "--force" in errors[0] and QUESTION.id in errors[0]
    forced = run("compare", weak.meta.id, other.meta.id, "--force", "--json")
    assert forced.exit_code == 0, forced.output
    doc = json.loads(forced.stdout)
    assert doc["same_question"] is False and doc["other_question"] == OTHER.text
    assert any("different questions" in n for n in doc["notes"])
    with pytest.raises(DifferentQuestions, match="two different sessions"):
        build_compare_view(weak, weak)
    missing = run("compare", weak.meta.id, "nosuchsession")
    assert missing.exit_code != 0 and "Traceback" not in missing.output


def test_json_shape(pair: tuple) -> None:
    weak, strong = pair
    result = run("compare", weak.meta.id, "last", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"question", "question_id", "same_question", "a", "b", "overall", "scores", "figures",
                        "changes", "signals", "newly_covered", "still_missing", "notes"}
    assert doc["a"]["id"] == weak.meta.id and doc["b"]["id"] == strong.meta.id
    assert [c["kind"] for c in doc["changes"]] == ["numbers", "assumptions", "I-actions", "assumption dimensions"]
    assert set(doc["changes"][0]) == {"kind", "a_count", "b_count", "added", "dropped", "kept"}
    assert set(doc["scores"][0]) == {"criterion", "name", "a", "b", "change"}
    assert {f["label"] for f in doc["figures"]} >= {"time used", "fillers", "pace"}


@pytest.mark.parametrize("width", [80, 120])
def test_terminal_view_fits_and_shows_the_numbers(pair: tuple, width: int) -> None:
    weak, strong = pair
    result = run("compare", weak.meta.id, strong.meta.id, width=width)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert not [line for line in lines if len(line) > width]
    view = compare_sessions(_store(), weak.meta.id, strong.meta.id)
    overall = next(line for line in lines if line.lstrip().startswith("overall"))
    assert re.search(rf"{view.overall.a:.1f}\s+{view.overall.b:.1f}\s+\+{view.overall.change:.1f}", overall), overall
    ownership = next(line for line in lines if line.lstrip().startswith("Ownership"))
    own = next(c for c in view.scores if c.criterion == "ownership")
    assert re.search(rf"{own.a:.0f}\s+{own.b:.0f}\s+\+{own.change:.0f}", ownership), ownership
    assert any(line.strip() == "+ 180 ms, 100 ms, 85 ms, $40000" for line in lines)
    text = " ".join(" ".join(lines).split())
    assert "I distilled the ranker into a smaller student model and I moved the feature joins into a Redis cache." in text
    assert "Newly covered:" in text


def test_html_page_is_self_contained(pair: tuple, tmp_path: Path) -> None:
    weak, strong = pair
    page = tmp_path / "cmp.html"
    result = run("compare", weak.meta.id, strong.meta.id, "--html", "-o", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"https?://", html) and "default-src 'none'" in html
    assert html.count('<svg class="dumb"') == len(_criteria(weak))
    assert "$40000" in html and "I assumed the traffic would double" in html
    assert weak.meta.id in html and strong.meta.id in html
    # Without -o the page goes into the newer attempt's folder.
    assert run("compare", weak.meta.id, strong.meta.id, "--html").exit_code == 0
    assert (strong.folder / f"compare-{weak.meta.id}.html").is_file()


def test_html_mentions_open_their_moment_in_each_session_page(pair: tuple) -> None:
    """An added mention links to the newer session's page at its time, a dropped one to the older's;
    the pages are written beside (each in its session folder) so the links work as they are."""
    weak, strong = pair
    retold = attempt(QUESTION, RETOLD, days=4, wpm=150)
    # weak -> strong adds numbers and I-actions; strong -> retold drops some.
    for older, newer, kind in ((weak, strong, "add"), (strong, retold, "drop")):
        result = run("compare", older.meta.id, newer.meta.id, "--html")
        assert result.exit_code == 0, result.output
        page = newer.folder / f"compare-{older.meta.id}.html"
        html = page.read_text(encoding="utf-8")
        changes = build_compare_view(older, newer).changes
        saved, href, mentions = {
            "add": (newer, "report.html", [m for c in changes for m in c.added]),
            "drop": (older, f"../{older.meta.id}/report.html", [m for c in changes for m in c.dropped]),
        }[kind]
        timed = [(m.text, m.start) for m in mentions if m.start is not None]
        assert timed, f"the pair has timed {kind} mentions"
        links = re.findall(rf'<li class="{kind}"><a class="at" href="([^"#]+)#t=([0-9.]+)"[^>]*>'
                           r'<span class="t">[0-9:]+</span>([^<]*)</a>', html)
        assert [(text, float(t)) for _, t, text in links] == timed
        assert {h for h, _, _ in links} == {href}
        target = (page.parent / href).resolve()
        assert target == (saved.folder / "report.html").resolve() and target.is_file()
        # Each time is a word's start on that page: the moment the page seeks to and lights.
        starts = {float(x) for x in re.findall(r'class="w[^"]*" data-start="([0-9.]+)"', target.read_text())}
        assert {t for _, t in timed} <= starts
        for sid in (older, newer):
            link = "report.html" if sid is newer else f"../{older.meta.id}/report.html"
            assert f'<a class="session" href="{link}">{sid.meta.id}</a>' in html
        # Mentions without a time (assumption dimensions) stay plain text.
        assert "#t=None" not in html


def _criteria(saved) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.criterion for c in saved.latest_grade.criteria]


# --- practice --again ---------------------------------------------------------------------------


def test_again_asks_the_saved_question_with_its_budget_and_track() -> None:
    first = attempt(QUESTION.model_copy(update={"time_budget_s": 45}), WEAK, days=0, track=Track.mle)
    asked = again(_store(), "last")
    assert asked.previous_id == first.meta.id
    assert asked.question == first.meta.question and asked.question.time_budget_s == 45
    assert asked.track == Track.mle


def test_again_without_a_microphone_says_how_to_answer_from_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import interviewer.practice as practice

    first = attempt(QUESTION, WEAK, days=0)
    monkeypatch.setattr(practice, "microphone_status", lambda _device=None: practice.MicStatus(False, "no microphone found"))
    result = run("practice", "--again", first.meta.id, "--voice", "text")
    assert result.exit_code == 1
    assert "error: no microphone found: --again records a new answer and needs a microphone" in result.stderr
    assert f"interviewer grade FILE --question-id {QUESTION.id}" in result.stderr
    assert len(_store().list()) == 1  # no demo session was made in its place
    both = run("practice", "--again", "last", "--question-id", QUESTION.id)
    assert both.exit_code == 2 and "not both" in both.output
    assert run("practice", "--again", "nosuchsession").exit_code == 1


@pytest.mark.audio
def test_practice_again_records_the_same_question_and_prints_compare(
    pulse_server: PulseServer, star_wav: Path, isolated_home: Path
) -> None:
    """The real CLI through the virtual microphone: the earlier session's 30 s clock ends the answer."""
    first = attempt(QUESTION.model_copy(update={"time_budget_s": 30}), WEAK, days=0)
    env = {**os.environ, **pulse_server.client_env, "INTERVIEWER_HOME": str(isolated_home), "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "interviewer", "practice", "--again", first.meta.id,
                             "--voice", "text", "--no-llm"], env=env, text=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not any(
            p.stat().st_size > 44 for p in _store().root.glob("*/answer.wav")
        ):
            time.sleep(0.1)
        pulse_server.play(star_wav)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    second = _store().load("last")
    assert second.meta.id != first.meta.id and second.meta.question == first.meta.question
    assert second.meta.question.time_budget_s == 30 and second.meta.track == first.meta.track
    assert "profiled" in second.transcript.text.lower()
    assert f"interviewer compare {first.meta.id} {second.meta.id}" in " ".join(out.split())
    assert run("compare", first.meta.id, second.meta.id).exit_code == 0
