"""Make the README's picture of the session report (docs/report.png).

Runs `interviewer demo --no-llm` on the bundled demo answer (real Whisper tiny.en transcript,
real analyzer, evidence-only grade) in a throw-away INTERVIEWER_HOME, writes the session's page
with `interviewer report last`, and photographs its top in headless Chromium through the code
path the browser tests use (tests/headless.py: load_page, screenshot).

    .venv/bin/python tools/screenshot_report.py               # writes docs/report.png
    .venv/bin/python tools/screenshot_report.py -o /tmp/r.png --height 1400

Needs the system chromium and chromium-driver, and selenium (`pip install -e '.[test]'`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import headless  # noqa: E402

WIDTH = 1280
HEIGHT = 1000  # the page's top: question, grade, player, transcript and the first criteria
LIMIT_BYTES = 400_000  # the README's picture stays small
# The picture shows the player stopped at this moment, its word highlighted (the page honours #t=).
AT_S = 14.0


def capture(driver: Any, page: Path, out: Path, *, width: int = WIDTH, height: int = HEIGHT,
            at: float | None = AT_S) -> Path:
    """Load ``page`` in ``driver`` (at the moment ``at`` seconds when given) and save the top
    ``height`` px at ``width`` px wide as ``out``."""
    headless.load_page(driver, page, width, height, fragment=f"t={at:g}" if at is not None else "")
    if at is not None:  # let the seek land and the word light up before the picture
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(driver, 10).until(lambda d: d.execute_script(
            "var a = document.getElementById('audio'); return !a || (!a.seeking && a.currentTime > 0)"))
    return headless.screenshot(driver, out, width, height=height)


def demo_page(home: Path) -> Path:
    """The demo session, graded without an LLM in ``home``, and its report page (the CLI's path)."""
    env = {**os.environ, "INTERVIEWER_HOME": str(home), "INTERVIEWER_LLM__ENABLED": "off", "COLUMNS": "120"}
    cli = [sys.executable, "-m", "interviewer"]
    subprocess.run([*cli, "demo", "--no-llm"], env=env, check=True, stdout=subprocess.DEVNULL)
    page = home / "report.html"
    subprocess.run([*cli, "report", "last", "-o", str(page)], env=env, check=True, stdout=subprocess.DEVNULL)
    return page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=WIDTH)
    parser.add_argument("--height", type=int, default=HEIGHT, help="how much of the page's top to keep (px)")
    args = parser.parse_args(argv)
    reason = headless.missing()
    if reason:
        parser.error(reason)
    with tempfile.TemporaryDirectory(prefix="interviewer-shot-") as tmp:
        page = demo_page(Path(tmp))
        driver = headless.start_chromium()
        try:
            out = capture(driver, page, args.output, width=args.width, height=args.height)
        finally:
            driver.quit()
    size = out.stat().st_size
    w, h = headless.png_size(out)
    print(f"{out}: {w}x{h} px, {size // 1000} KB")
    if size > LIMIT_BYTES:
        print(f"larger than {LIMIT_BYTES // 1000} KB: take less of the page (--height)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
