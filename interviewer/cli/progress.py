"""`interviewer progress`, `coverage` and `impact-sheet`: progress across saved sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..models import Round, Track
from ..settings import load_settings
from .app import app, console, handles_errors
from .commands import JsonOpt
from .report import HtmlOpt, OpenOpt, OutputOpt, page_written


def _store():  # type: ignore[no-untyped-def]
    from ..store import Store

    return Store(load_settings().sessions_dir)


@app.command()
@handles_errors
def progress(
    html: HtmlOpt = False,
    output: OutputOpt = None,
    open_: OpenOpt = False,
    round_: Annotated[Optional[Round], typer.Option("--round", "-r", help="Only sessions of this round.")] = None,
    track: Annotated[Optional[Track], typer.Option("--track", "-t", help="Only sessions of this track.")] = None,
    question_id: Annotated[Optional[str], typer.Option("--question-id", "-i", help="Only sessions of this question.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Progress over time: each criterion, fillers, pace, time used, Leadership Principles covered."""
    from ..report.progress import ProgressFilter, ProgressTable, progress_view

    store = _store()
    view = progress_view(store, ProgressFilter(round=round_, track=track, question_id=question_id))
    if as_json:
        print(view.model_dump_json(indent=2))
    elif html or output or open_:
        from ..report import default_progress_path
        from ..report.html import render_progress_html, write_page

        path = write_page(render_progress_html(view), output or default_progress_path(store.root))
        page_written(path, open_, "progress page")
    else:
        console.print(ProgressTable(view))


@app.command()
@handles_errors
def coverage(as_json: JsonOpt = False) -> None:
    """Leadership Principle coverage: sessions, stories and best score per principle; flags the gaps."""
    from ..progress import coverage_map

    cov = coverage_map(_store())
    if as_json:
        print(cov.model_dump_json(indent=2))
        return
    from ..render_progress import coverage_report

    console.print(coverage_report(cov))


@app.command("impact-sheet")
@handles_errors
def impact_sheet(
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write the Markdown to FILE instead of printing it."),
    ] = None,
) -> None:
    """Every quantified claim you have made, grouped by story, as a one-page Markdown sheet."""
    from ..progress import impact_sheet as build, write_impact_sheet

    store = _store()
    if output is None:
        typer.echo(build(store), nl=False)
        return
    path = write_impact_sheet(store, output)
    console.print(f"impact sheet written to {path}", highlight=False)
