"""The HTML session report, made from a real transcribed clip and driven in a real browser.

The clip (tests/data/star.ogg) goes through the real tiny.en model, the real analyzer and the
evidence-only grader, once per module; `interviewer report` writes the page; headless Chromium
(Debian `chromium` + `chromium-driver`) loads it through Selenium with the system driver.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.report import build_session_view
from interviewer.store import Store

sys.path.insert(0, str(Path(__file__).parent))
import headless  # noqa: E402 - the browser code path tools/screenshot_report.py shares

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
CLIPS = yaml.safe_load((DATA / "clips.yaml").read_text())


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One real session of the star clip (transcribed, analysed, graded) and its report."""
    home = tmp_path_factory.mktemp("report-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INTERVIEWER_HOME", str(home))
        mp.setenv("INTERVIEWER_LLM__ENABLED", "off")
        result = run("grade", str(DATA / CLIPS["star"]["file"]), "--question-id", "bh-co-beyond-the-job", "--json")
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        page = home / "out" / "star.html"
        result = run("report", "last", "-o", str(page))
        assert result.exit_code == 0, result.output
    return {"doc": doc, "page": page, "home": home}


def _saved(graded: dict):  # type: ignore[no-untyped-def]
    return Store(Path(graded["doc"]["folder"]).parent).load(graded["doc"]["session_id"])


# --- the page as a file -------------------------------------------------------------------------


def test_every_word_carries_its_start_and_the_audio_is_inside(graded: dict) -> None:
    html = graded["page"].read_text(encoding="utf-8")
    words = [w for s in graded["doc"]["transcript"]["segments"] for w in s["words"] if w["text"].strip()]
    starts = [float(x) for x in re.findall(r'class="w[^"]*" data-start="([0-9.]+)"', html)]
    assert starts == [w["start"] for w in words]
    m = re.search(r'<audio id="audio"[^>]* src="data:audio/ogg; codecs=opus;base64,([A-Za-z0-9+/=]+)"', html)
    assert m, "the audio is embedded as Ogg Opus"
    ogg = base64.b64decode(m.group(1))
    assert ogg[:4] == b"OggS" and b"OpusHead" in ogg[:200]
    # Nothing refers outside the page: no http(s) URL in any src/href, and a CSP forbids fetching.
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert "default-src 'none'" in html and "connect-src 'none'" in html


def test_no_embed_puts_the_audio_beside_the_page(graded: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_HOME", str(graded["home"]))
    page = tmp_path / "coach.html"
    result = run("report", graded["doc"]["session_id"], "-o", str(page), "--no-embed")
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert 'src="coach.ogg"' in html and "base64" not in html
    assert (tmp_path / "coach.ogg").read_bytes()[:4] == b"OggS"
    assert page.stat().st_size < graded["page"].stat().st_size


def test_report_of_unknown_session_is_one_line_error(graded: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_HOME", str(graded["home"]))
    result = run("report", "nosuchsession")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert [l for l in result.stderr.splitlines() if l.startswith("error:")]


def test_every_timed_finding_and_grade_quote_has_its_moment(graded: dict) -> None:
    view = build_session_view(_saved(graded))
    ev = graded["doc"]["evidence"]
    timed = ev["ownership"]["i_actor"] + ev["ownership"]["we_actor"] + ev["impact"]["before_after"] + ev["impact"]["numbers"]
    assert timed, "the clip has findings"
    for f in timed:
        match = [v for v in view.findings if v.quote == f["quote"] and v.start == f["start"]]
        assert match and match[0].words is not None, f
        first, last = match[0].words
        # The words it covers are the ones said inside it.
        assert view.words[first].start >= f["start"] - 0.05 and view.words[last].end <= f["end"] + 0.05
    quotes = [q for g in view.grades for c in g.criteria for q in c.quotes]
    assert quotes and all(q.start is not None for q in quotes)
    # The "I did" sentence is coloured as such on its own words, numbers inside the result sentence as numbers.
    i_did = next(v for v in view.findings if v.kind == "i_actor")
    assert {view.words[i].style for i in range(i_did.words[0], i_did.words[1] + 1)} == {"i_actor"}
    seventy = next(w for w in view.words if w.text.startswith("70"))
    assert seventy.style == "number"


def test_pasted_transcript_report_has_no_player_but_all_findings(tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text("I designed the cache. We launched it and latency went from 120 ms to 70 ms. Um, it was great.")
    result = run("grade", str(answer), "--question", "Design a cache", "--round", "ml_system_design", "--json")
    assert result.exit_code == 0, result.output
    page = tmp_path / "text.html"
    assert run("report", "last", "-o", str(page)).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<audio" not in html and 'class="w' in html and "data-start" not in html.split("<main>")[1].split("<section class=\"card\" id=\"criteria\">")[0]
    assert "k-i_actor" in html and "k-number" in html


def test_demo_and_grade_write_the_page_and_say_where(isolated_home: Path, tmp_path: Path) -> None:
    """On a clean INTERVIEWER_HOME: `demo` writes the session's page and prints its path, and
    `report last` finds it; `grade` does the same (practice ends through the same code)."""
    result = run("demo", "--no-llm")
    assert result.exit_code == 0, result.output
    saved = Store(isolated_home / "recordings").load("last")
    page = saved.folder / "report.html"
    assert f"report written to {page} · open it: interviewer report {saved.meta.id} --open" in result.stdout
    html = page.read_text(encoding="utf-8")
    assert "data:audio/ogg" in html and html.count('data-start="') > 100
    # The demo's script says "Um" twice (issue 8: its report once said "0 filler(s)").
    assert saved.evidence is not None and saved.evidence.delivery.fillers.get("um") == 2
    copy = saved.folder / "answer.opus"  # compressed once, reused by the next report
    made = copy.stat().st_mtime_ns
    again = run("report", "last")
    assert again.exit_code == 0 and f"report written to {page}" in again.stdout
    assert copy.stat().st_mtime_ns == made

    answer = tmp_path / "answer.txt"
    answer.write_text("I designed the cache and latency fell from 120 ms to 70 ms.")
    graded = run("grade", str(answer), "--question", "Design a cache", "--round", "ml_system_design")
    assert graded.exit_code == 0, graded.output
    second = Store(isolated_home / "recordings").load("last")
    assert second.meta.id != saved.meta.id
    assert f"report written to {second.folder / 'report.html'}" in graded.stdout
    assert (second.folder / "report.html").is_file()


# --- in a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    reason = headless.missing()
    if reason:
        pytest.skip(reason)
    driver = headless.start_chromium()
    try:
        yield driver
    finally:
        driver.quit()




def _load(driver, page: Path, width: int, fragment: str = ""):  # type: ignore[no-untyped-def]
    return headless.load_page(driver, page, width, fragment=fragment)


def _click_and_read(driver, element) -> float:  # type: ignore[no-untyped-def]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
    return float(driver.execute_script("var a = document.getElementById('audio'); a.pause(); return a.currentTime"))


def test_clicking_a_word_and_a_finding_plays_its_moment(graded: dict, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    page = graded["page"]
    _load(browser, page, 1280)
    words = browser.find_elements(By.CSS_SELECTOR, ".transcript .w[data-start]")
    assert len(words) == len(build_session_view(_saved(graded)).words)
    target = next(w for w in words if w.text.strip().lower().startswith("profiled"))
    start = float(target.get_attribute("data-start"))
    assert start > 1.0, "a word well into the clip, so a seek is visible"
    now = _click_and_read(browser, target)
    # Seeking lands on the word's start; playing may have moved it on by a frame or two.
    assert start - 0.01 <= now < start + 1.0, (start, now)
    assert "now" in target.get_attribute("class").split()

    finding = next(f for f in browser.find_elements(By.CSS_SELECTOR, "#criteria .find[data-start]")
                   if abs(float(f.get_attribute("data-start")) - start) > 2)
    f_start = float(finding.get_attribute("data-start"))
    browser.execute_script("arguments[0].closest('details').open = true", finding)
    now = _click_and_read(browser, finding)
    assert f_start - 0.01 <= now < f_start + 1.0, (f_start, now)
    fid = finding.get_attribute("data-f")
    flashed = browser.find_elements(By.CSS_SELECTOR, ".w.flash")
    assert flashed and all(fid in w.get_attribute("data-f").split() for w in flashed)

    mark = browser.find_element(By.CSS_SELECTOR, "#timeline .mark[data-f]")
    m_start = float(mark.get_attribute("data-start"))
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", mark)
    now = float(browser.execute_script("var a = document.getElementById('audio'); a.pause(); return a.currentTime"))
    assert m_start - 0.01 <= now < m_start + 1.0

    # Only the page itself was loaded: every request is the file, or the embedded data: audio.
    assert headless.leaving_requests(browser) == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_link_to_a_moment_opens_the_page_there(graded: dict, browser) -> None:  # type: ignore[no-untyped-def]
    """page.html#t=12.3 (what the comparison page links to) seeks the audio there, paused, with the
    word said then lit and scrolled into view; changing the fragment moves it again (#t=m:ss too)."""
    from selenium.webdriver.common.by import By

    def settled(t: float):  # type: ignore[no-untyped-def]
        return lambda d: d.execute_script(
            "var a = document.getElementById('audio'); return !a.seeking && Math.abs(a.currentTime - arguments[0]) < 0.05", t)

    wait = _load(browser, graded["page"], 1280, fragment="t=12.3")
    wait(browser, 10).until(settled(12.3))
    now, paused = browser.execute_script("var a = document.getElementById('audio'); return [a.currentTime, a.paused]")
    assert abs(now - 12.3) < 0.05 and paused, (now, paused)
    starts = [float(w.get_attribute("data-start")) for w in browser.find_elements(By.CSS_SELECTOR, ".transcript .w[data-start]")]
    (lit,) = browser.find_elements(By.CSS_SELECTOR, ".transcript .w.now")
    assert float(lit.get_attribute("data-start")) == max(t for t in starts if t <= 12.3)
    top, height = browser.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.top, window.innerHeight]", lit)
    assert 0 <= top < height, "the word of the moment is in view"

    browser.execute_script("location.hash = '#t=0:05'")
    wait(browser, 10).until(settled(5.0))
    (lit,) = browser.find_elements(By.CSS_SELECTOR, ".transcript .w.now")
    assert float(lit.get_attribute("data-start")) == max(t for t in starts if t <= 5.0)
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


@pytest.mark.parametrize("width", [375, 1280])
def test_page_fits_the_width_and_is_screenshotted(graded: dict, browser, tmp_path: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    _load(browser, graded["page"], width)
    assert headless.horizontal_overflow(browser) == 0, f"horizontal scrolling at {width} px"
    shot = headless.screenshot(browser, tmp_path / f"report-{width}.png", width)
    assert headless.png_size(shot)[0] == width and shot.stat().st_size > 10_000


def test_the_readme_picture_comes_from_this_code_path(graded: dict, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """tools/screenshot_report.py makes docs/report.png with `capture` (tests/headless.py underneath):
    it works on a real clip's page, and the picture is 1280 px wide and small enough for the README."""
    from selenium.webdriver.common.by import By

    sys.path.insert(0, str(ROOT / "tools"))
    import screenshot_report

    shot = screenshot_report.capture(browser, graded["page"], tmp_path / "report.png")
    assert headless.png_size(shot) == (screenshot_report.WIDTH, screenshot_report.HEIGHT) == (1280, 1000)
    assert 10_000 < shot.stat().st_size < screenshot_report.LIMIT_BYTES
    assert browser.find_elements(By.CSS_SELECTOR, ".transcript .w.now"), "the moment's word is lit in the picture"
    readme = ROOT / "docs" / "report.png"
    assert headless.png_size(readme)[0] == 1280 and readme.stat().st_size < screenshot_report.LIMIT_BYTES
    assert "](docs/report.png)" in (ROOT / "README.md").read_text(encoding="utf-8")
