"""`interviewer coverage` and `interviewer impact-sheet`: progress across saved sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..settings import load_settings
from .app import app, console, handles_errors
from .commands import JsonOpt


def _store():  # type: ignore[no-untyped-def]
    from ..store import Store

    return Store(load_settings().sessions_dir)


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
