"""`interviewer questions`: list, search and show the question bank."""

from __future__ import annotations

import json
import textwrap
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ..bank import QuestionBank, display_path, load_bank
from ..models import Question, Round, Track
from .app import app, console, handles_errors


def _mmss(seconds: int) -> str:
    from ..render import clock

    return clock(seconds)


def _tracks(q: Question) -> str:
    return ", ".join(t.value for t in q.tracks)


def _tracks_short(q: Question) -> str:
    return "both" if len(set(q.tracks)) == len(Track) else _tracks(q)


def _render_table(questions: list[Question], total: int) -> None:
    columns: dict[str, list[str]] = {
        "id": [q.id for q in questions],
        "round": [q.round.value for q in questions],
        "tracks": [_tracks_short(q) for q in questions],
        "budget": [_mmss(q.time_budget_s) for q in questions],
    }
    # A column with one value for every row (e.g. after --round) moves into the title.
    title = []
    for name in ("round", "tracks"):
        if len(questions) > 1 and len(set(columns[name])) == 1:
            title.append(f"{name}: {columns.pop(name)[0]}")
    widths = {name: max(len(name), *(len(v) for v in values)) for name, values in columns.items()}
    # Fixed columns keep their full width; the question gets what is left (3 = padding + divider).
    text_width = max(8, console.width - sum(widths.values()) - 3 * len(widths))
    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        show_edge=False,
        title="  ".join(title) or None,
        title_justify="left",
    )
    for name, width in widths.items():
        table.add_column(
            name,
            width=width,
            no_wrap=True,
            style="cyan" if name == "id" else None,
            justify="right" if name == "budget" else "left",
        )
    table.add_column("question", width=text_width, no_wrap=True, overflow="ellipsis")
    for i, q in enumerate(questions):
        short = textwrap.shorten(q.text, width=text_width, placeholder="...")
        table.add_row(*(values[i] for values in columns.values()), escape(short))
    console.print(table)
    console.print(
        f"[dim]{len(questions)} of {total} questions; "
        "full text: interviewer questions --show ID[/]",
        highlight=False,
    )


def _render_one(bank: QuestionBank, q: Question) -> None:
    source = bank.source(q.id)
    title = f"[bold cyan]{q.id}[/]  {q.round.value}  {_tracks(q)}  {_mmss(q.time_budget_s)}"
    console.print(Panel(escape(q.text), title=title, title_align="left", expand=False))

    def field(name: str, values: list[str]) -> None:
        shown = ", ".join(values) if values else "[dim]none[/]"
        console.print(f"[bold]{name}:[/] {escape(shown) if values else shown}", highlight=False)

    def bullets(name: str, values: list[str]) -> None:
        console.print(f"[bold]{name}:[/]")
        for v in values or ["(none)"]:
            console.print(f"  - {escape(v)}", highlight=False)

    field("principles", q.principles)
    field("dimensions", list(q.dimensions))
    bullets("signals of a strong answer", q.signals)
    bullets("follow-ups", q.follow_ups)
    if source is not None:
        console.print(f"[dim]from {display_path(source)}[/]", highlight=False)


@app.command("questions")
@handles_errors
def questions(
    round_: Annotated[
        Round | None,
        typer.Option("--round", "-r", case_sensitive=False, help="Only this interview round."),
    ] = None,
    track: Annotated[
        Track | None,
        typer.Option("--track", "-t", case_sensitive=False, help="Only questions for this track."),
    ] = None,
    principle: Annotated[
        str | None,
        typer.Option(
            "--principle", "-p", help="Leadership Principle; any case, part of the name is enough (e.g. backbone)."
        ),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", "-s", help="Words that must all appear in the question or its signals."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the matching questions as JSON.")] = False,
    show: Annotated[
        str | None, typer.Option("--show", metavar="ID", help="Print one question in full.")
    ] = None,
) -> None:
    """List the question bank (shipped plus your own), filtered by round, track, principle or text."""
    bank = load_bank()
    if show is not None:
        q = bank.get(show)
        if as_json:
            typer.echo(json.dumps(q.model_dump(mode="json"), indent=2, ensure_ascii=False))
        else:
            _render_one(bank, q)
        return

    found = bank.filter(round=round_, track=track, principle=principle, text=search)
    if as_json:
        typer.echo(json.dumps([q.model_dump(mode="json") for q in found], indent=2, ensure_ascii=False))
    elif not found:
        console.print("[yellow]no questions match these filters[/]")
    else:
        _render_table(found, len(bank))
