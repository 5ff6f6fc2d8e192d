"""The mock loop's report: one view model (interviewer.report.loop) rendered as Markdown and as a
self-contained HTML page that links each round's sessions to their own session pages.

Runs on the real store of tests/review_store.py (a loop interrupted and resumed, a paused loop).
"""

from __future__ import annotations

import os
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.loop import build_report, find_loop, report_path
from interviewer.report.loop import build_loop_view, default_loop_page, loop_markdown, write_loop_report
from interviewer.store import Store

sys.path.insert(0, str(Path(__file__).parent))
from review_store import Built, build_store  # noqa: E402
import headless  # noqa: E402 - load and screenshot, as the README's picture
from test_report_html import browser  # noqa: E402,F401 - fixture: headless Chromium


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_store(tmp_path_factory.mktemp("loop-report-home"))


@pytest.fixture
def store(built: Built, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("INTERVIEWER_HOME", str(built.home))
    return Store(built.home / "recordings")


class Page(HTMLParser):
    """Every URL the page names (href, src, action, CSS url()), its text, and its answer rows."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.links: dict[str, str] = {}  # session id -> href of its row
        self.rows: list[tuple[str, str]] = []  # (session id, kind) in page order
        self.text: list[str] = []
        self._row: str | None = None
        self._depth = 0  # <li> elements open inside the current answer row
        self.feed(html)
        self.urls += re.findall(r"url\(([^)]*)\)|@import\s+['\"]([^'\"]+)", html)  # type: ignore[arg-type]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("href", "src", "action", "data", "poster", "srcset"):
            if a.get(key):
                self.urls.append(a[key])  # type: ignore[arg-type]
        if tag == "li" and self._row:
            self._depth += 1
        if tag == "li" and a.get("data-session"):
            self._row, self._depth = a["data-session"], 0
            self.rows.append((self._row, (a.get("class") or "").split()[0]))  # type: ignore[arg-type]
        if tag == "a" and self._row and a.get("href"):
            self.links[self._row] = a["href"]  # type: ignore[assignment]

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._row:
            if self._depth:
                self._depth -= 1
            else:
                self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_offline(page: Page, html: str) -> None:
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for url in page.urls:
        url = url if isinstance(url, str) else next(u for u in url if u)
        assert urlsplit(url).scheme not in {"http", "https", "ftp", "ws", "wss"}, url
        assert not url.startswith("//"), url
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)


def test_loop_page_has_every_round_and_links_every_session(store: Store, built: Built) -> None:
    state = built.loop
    html_path = default_loop_page(store.root, state.id)
    assert html_path.is_file(), "the loop writes its page when it ends"
    html = html_path.read_text()
    page = Page(html)
    assert_offline(page, html)
    text = " ".join(" ".join(page.text).split())
    assert f"Mock loop {state.id}" in text and "Applied Scientist" in text
    report = build_report(store, state)
    assert report.verdict.label in text
    for planned in state.rounds:
        assert planned.title in text
    for fix in report.top_fixes:
        assert fix.name in text

    # Every answer and follow-up of every round, and the interrupted attempt, link to their page.
    expected = state.session_ids() + [built.kept]
    assert sorted(page.links) == sorted(expected)
    for sid, href in page.links.items():
        target = (html_path.parent / href).resolve()
        assert target == (store.root / sid / "report.html").resolve() and target.is_file(), href
        assert f"session {sid}" in target.read_text(), "the link opens that session's own report"
    kinds = dict(page.rows)
    assert kinds[built.kept] == "interrupted"
    assert {kinds[i.session_id] for i in state.items} == {"answer"}  # type: ignore[index]
    item = state.items[1]
    fu = item.follow_ups[0]  # type: ignore[index]
    order = [sid for sid, _ in page.rows]
    assert order.index(item.session_id) < order.index(built.kept) < order.index(fu.session_id), \
        "the interrupted attempt sits before the follow-up answered on resume, under its question"  # type: ignore[arg-type]
    assert fu.reason in text


def _up_links(html: str) -> dict[str, str]:
    return dict(re.findall(r'<a id="(loop-link|parent-link)" href="([^"]+)"', html))


def test_session_pages_link_back_to_their_loop_and_followed_answer(store: Store, built: Built, tmp_path: Path) -> None:
    state = built.loop
    loop_page = default_loop_page(store.root, state.id).resolve()
    item = state.items[1]
    fu = item.follow_ups[0]  # type: ignore[index]
    for sid, parent in [(item.session_id, None), (fu.session_id, item.session_id),
                        (built.kept, item.session_id)]:  # the interrupted follow-up too
        page = store.root / sid / "report.html"  # type: ignore[operator]
        links = _up_links(page.read_text())
        # Relative, so the folder can move as a whole; they open the pages where they sit by default.
        assert not links["loop-link"].startswith("/") and links["loop-link"] == f"../loops/{state.id}.html"
        assert (page.parent / links["loop-link"]).resolve() == loop_page and loop_page.is_file()
        if parent is None:
            assert "parent-link" not in links
        else:
            assert links["parent-link"] == f"../{parent}/report.html"
            target = (page.parent / links["parent-link"]).resolve()
            assert target.is_file() and f"session {parent}" in target.read_text()
    # A page written elsewhere still points at the loop's page where it sits.
    out = tmp_path / "share" / "fu.html"
    result = CliRunner().invoke(app, ["report", fu.session_id, "-o", str(out), "--no-embed"])  # type: ignore[list-item]
    assert result.exit_code == 0, result.output
    links = _up_links(out.read_text())
    assert (out.parent / links["loop-link"]).resolve() == loop_page
    assert (out.parent / links["parent-link"]).resolve() == (store.root / item.session_id / "report.html").resolve()  # type: ignore[operator]
    # An answer outside any loop has neither.
    result = CliRunner().invoke(app, ["report", built.graded, "-o", str(tmp_path / "alone.html")])
    assert result.exit_code == 0 and _up_links((tmp_path / "alone.html").read_text()) == {}
    assert "mock loop" not in (tmp_path / "alone.html").read_text()


def test_markdown_renders_the_same_view_with_working_links(store: Store, built: Built) -> None:
    md_path = report_path(store.root, built.loop.id)
    md = md_path.read_text()
    assert md.startswith(f"# Mock loop {built.loop.id}")
    links = dict(re.findall(r"\[session `([^`]+)`\]\(([^)]+)\)", md))
    assert set(links) == set(built.loop.session_ids()) | {built.kept}
    for sid, href in links.items():
        assert (md_path.parent / href).resolve() == (store.root / sid / "report.html").resolve()
    assert "follow-up 1 interrupted" in md and "follow-up (" in md
    # without a state or links (a report alone), every answered question is still there
    plain = loop_markdown(build_loop_view(build_report(store, built.loop)))
    for item in built.loop.items:
        assert item.question.id in plain and f"session `{item.session_id}`" in plain


def test_paused_loop_page_says_how_to_continue(store: Store, built: Built) -> None:
    pages = write_loop_report(store, built.paused)
    html = pages.html.read_text()
    page = Page(html)
    assert_offline(page, html)
    text = " ".join(" ".join(page.text).split())
    assert "Incomplete loop" in text and f"interviewer loop --resume {built.paused.id}" in text
    assert text.count("not answered yet") == len(built.paused.items) - 1
    (cut,) = built.paused.items[1].interrupted_session_ids
    assert dict(page.rows)[cut] == "interrupted" and cut in page.links
    assert f"Continue it with `interviewer loop --resume {built.paused.id}`" in pages.markdown.read_text()


def test_cli_report_loop_elsewhere_and_a_regraded_session_page_is_rewritten(
    store: Store, built: Built, tmp_path: Path
) -> None:
    state = built.loop
    stale_id = state.items[0].session_id
    stale = store.root / stale_id / "report.html"  # type: ignore[operator]
    fresh = store.root / state.items[2].session_id / "report.html"  # type: ignore[operator]
    old = time.time() - 3600
    os.utime(stale, (old, old))
    (store.root / stale_id / "grades" / "001-evidence.json").touch()  # type: ignore[operator]  # a regrade since
    before = fresh.stat().st_mtime_ns

    out = tmp_path / "share" / "loop.html"
    result = CliRunner().invoke(app, ["report", "--loop", state.id.removeprefix("loop-"), "-o", str(out)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"loop report written to {out}" in result.stdout
    page = Page(out.read_text())
    for sid, href in page.links.items():
        assert (out.parent / href).resolve() == (store.root / sid / "report.html").resolve()
    assert stale.stat().st_mtime > old + 60, "a page older than its session is written again"
    assert fresh.stat().st_mtime_ns == before, "an up-to-date page is left alone"

    last = CliRunner().invoke(app, ["report", "--loop", "last"], env={"COLUMNS": "200"})
    assert last.exit_code == 0 and str(default_loop_page(store.root, find_loop(store.root).id)) in last.stdout
    both = CliRunner().invoke(app, ["report", "some-id", "--loop", "last"])
    assert both.exit_code != 0


def test_cli_loop_prints_where_the_page_is(tmp_path: Path, isolated_home: Path) -> None:
    from test_loop import write_answers

    answers = write_answers(tmp_path / "answers", follow_ups=1)
    result = CliRunner().invoke(app, ["loop", "--answers", str(answers), "--break-s", "0", "--no-llm", "--seed", "4",
                                      "--no-follow-ups"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    (page,) = (isolated_home / "recordings" / "loops").glob("loop-*.html")
    assert f"loop report written to {page}" in result.stdout


def test_loop_page_in_a_browser(store: Store, built: Built, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Headless Chromium: nothing leaves the page, it fits 375 and 1280 px, a session link opens its report."""
    from selenium.webdriver.common.by import By

    page = default_loop_page(store.root, built.loop.id)
    for width in (375, 1280):
        headless.load_page(browser, page, width)
        assert headless.horizontal_overflow(browser) == 0, f"horizontal scrolling at {width} px"
        assert headless.leaving_requests(browser) == []
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
        shot = headless.screenshot(browser, tmp_path / f"loop-{width}.png", width)
        assert shot.stat().st_size > 10_000
    sid = built.loop.items[0].session_id
    link = browser.find_element(By.CSS_SELECTOR, f'li[data-session="{sid}"] a')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    assert browser.current_url == (store.root / sid / "report.html").resolve().as_uri()  # type: ignore[operator]
    assert sid in browser.find_element(By.TAG_NAME, "body").text
    # ... and that page leads back up to the loop's.
    back = browser.find_element(By.ID, "loop-link")
    back.click()
    assert browser.current_url == page.resolve().as_uri()
