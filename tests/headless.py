"""Headless Chromium for the report pages: start it, load a page, take a screenshot.

One code path for the browser tests (the ``browser`` fixture in test_report_html.py and the
modules that import it) and for ``tools/screenshot_report.py``, which makes the README's picture
(docs/report.png) with the same :func:`load_page` and :func:`screenshot`.

Needs the system browser (Debian ``chromium`` and ``chromium-driver``) and ``selenium``
(``pip install -e '.[test]'``); :func:`missing` says which is absent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Chromium refuses a window taller than this in headless mode (and a PNG that tall is useless).
MAX_HEIGHT = 6000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def missing() -> str | None:
    """Why headless Chromium cannot run here, or None when it can."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        return "needs Debian chromium and chromium-driver (scripts/install-system-deps.sh --test)"
    try:
        import selenium.webdriver  # noqa: F401
    except ImportError:
        return "needs selenium (pip install -e '.[test]')"
    return None


def start_chromium() -> Any:
    """A headless Chromium driven by the system chromedriver: muted, no network chatter of its own,
    audio allowed to play without a gesture, performance and console logs kept for the tests."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--mute-audio",
                "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars",
                "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def requests(driver: Any) -> list[str]:
    """Every URL the page asked for since the performance log was last read."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def horizontal_overflow(driver: Any) -> int:
    """How many px the loaded page is wider than the window (0 when it fits)."""
    inner, scroll = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
    return max(0, int(scroll) - int(inner))


def leaving_requests(driver: Any) -> list[str]:
    """URLs the page asked for since the log was last read, other than the file itself and data: URLs."""
    return [u for u in requests(driver) if not u.startswith(("file://", "data:"))]


def load_page(driver: Any, page: Path | str, width: int, height: int = 1000, *, fragment: str = "") -> Any:
    """Open ``page`` (a file, plus ``#fragment``) in a ``width`` x ``height`` window; on a page with
    an audio player, wait until the audio's metadata is in (so it can seek). Returns WebDriverWait."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(width, height)
    driver.get_log("performance")  # drop what came before
    url = Path(page).resolve().as_uri() if not str(page).startswith("file:") else str(page)
    driver.get(url + (f"#{fragment}" if fragment else ""))
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "var a = document.getElementById('audio'); return !a || a.readyState >= 1"))
    return WebDriverWait


def screenshot(driver: Any, out: Path, width: int, *, height: int | None = None) -> Path:
    """A PNG of the loaded page, ``width`` px wide: the whole page (up to :data:`MAX_HEIGHT`), or
    its top ``height`` px. Scrolls to the top first, so the picture starts at the page's head."""
    full = int(driver.execute_script("return document.documentElement.scrollHeight"))
    want = min(height or full + 40, MAX_HEIGHT)
    driver.set_window_size(width, want)
    # The window's size counts the browser's own frame: grow it until the page itself is `want` tall.
    inner_w, inner_h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if (inner_w, inner_h) != (width, want):
        driver.set_window_size(2 * width - int(inner_w), min(2 * want - int(inner_h), MAX_HEIGHT + 400))
    driver.execute_script("window.scrollTo(0, 0)")
    out.parent.mkdir(parents=True, exist_ok=True)
    if not driver.save_screenshot(str(out)):
        raise RuntimeError(f"Chromium did not write {out}")
    return out


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG, read from its header."""
    head = path.read_bytes()[:24]
    if head[:8] != PNG_MAGIC:
        raise ValueError(f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
