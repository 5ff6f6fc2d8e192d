"""Terminal rendering of progress across sessions: pure functions to rich renderables."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .progress import STORIES_PER_PRINCIPLE, CoverageMap

STATUS_STYLES = {"missing": "bold red", "practised": "yellow", "ready": "bold green"}


def _score(value: float | None) -> Text:
    if value is None:
        return Text("-", style="dim")
    style = "red" if value < 2.5 else "yellow" if value < 3.5 else "green"
    return Text(f"{value:.1f}", style=style)


def coverage_table(cov: CoverageMap) -> Table:
    """One row per Leadership Principle: sessions, stories, best and latest score, status."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, title="Leadership Principle coverage",
                  title_justify="left")
    table.add_column("principle", style="bold", no_wrap=True)
    table.add_column("sessions", justify="right")
    table.add_column("stories")
    table.add_column("best", justify="right")
    table.add_column("latest", justify="right")
    table.add_column("status")
    for row in cov.principles:
        stories = f"{len(row.story_ids)}" + (f" ({', '.join(row.story_ids)})" if row.story_ids else "")
        table.add_row(
            escape(row.principle),
            str(len(row.session_ids)),
            stories,
            _score(row.best),
            _score(row.latest),
            Text(row.status, style=STATUS_STYLES[row.status]),
        )
    return table


def stories_table(cov: CoverageMap) -> Table:
    """One row per story: what it is about, how often it was told, for which principles."""
    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, title="Stories", title_justify="left")
    table.add_column("story", style="cyan", no_wrap=True)
    table.add_column("about")
    table.add_column("told", justify="right")
    table.add_column("principles")
    table.add_column("best", justify="right")
    for story in cov.stories:
        table.add_row(
            story.id,
            escape(story.label),
            str(len(story.session_ids)),
            escape(", ".join(story.principles)) or Text("-", style="dim"),
            _score(story.best),
        )
    return table


def coverage_report(cov: CoverageMap) -> RenderableType:
    """The coverage table, the stories, and what to practise next."""
    parts: list[RenderableType] = [coverage_table(cov)]
    if cov.stories:
        parts.append(stories_table(cov))
    if cov.missing:
        parts.append(
            Text.from_markup(
                f"[bold red]{len(cov.missing)} of {len(cov.principles)}[/] principles have no practised story: "
                f"{escape(', '.join(cov.missing))}.",
            )
        )
    thin = [r.principle for r in cov.principles if r.status == "practised"]
    if thin:
        parts.append(
            Text.from_markup(
                f"[yellow]{len(thin)}[/] have one story; the guide advises {STORIES_PER_PRINCIPLE} per principle: "
                f"{escape(', '.join(thin))}.",
                style="dim",
            )
        )
    if not cov.sessions:
        parts.append(Text("No sessions yet. Try `interviewer questions --round behavioral` and practise one.", style="dim"))
    return Group(*parts)
