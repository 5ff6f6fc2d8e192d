"""The HTML session report, made from a real transcribed clip and driven in a real browser.

The clip (tests/data/star.ogg) goes through the real tiny.en model, the real analyzer and the
evidence-only grader, once per module; `interviewer report` writes the page; headless Chromium
(Debian `chromium` + `chromium-driver`) loads it through Selenium with the system driver.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.report import build_session_view
from interviewer.store import Store

DATA = Path(__file__).parent / "data"
CLIPS = yaml.safe_load((DATA / "clips.yaml").read_text())
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


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


# --- in a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("needs Debian chromium and chromium-driver (scripts/install-system-deps.sh --test)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _requests(driver) -> list[str]:  # type: ignore[no-untyped-def]
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def _load(driver, page: Path, width: int):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(width, 1000)
    driver.get_log("performance")  # drop what came before
    driver.get(page.as_uri())
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.getElementById('audio').readyState") >= 1)
    return WebDriverWait


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
    leaving = [u for u in _requests(browser) if not (u.startswith("file://") or u.startswith("data:"))]
    assert leaving == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


@pytest.mark.parametrize("width", [375, 1280])
def test_page_fits_the_width_and_is_screenshotted(graded: dict, browser, tmp_path: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    _load(browser, graded["page"], width)
    inner, scroll = browser.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    assert scroll <= inner, f"horizontal scrolling at {width} px"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(width, min(int(height) + 40, 6000))
    shot = tmp_path / f"report-{width}.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
