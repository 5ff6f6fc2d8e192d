"""`interviewer report`: a session as one self-contained HTML page with its audio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..settings import load_settings
from .app import app, console, handles_errors


@app.command()
@handles_errors
def report(
    session_id: Annotated[str, typer.Argument(help="Session id, a unique prefix of it, or 'last'.")] = "last",
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write the page to FILE (default: report.html in the session folder)."),
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    no_embed: Annotated[
        bool, typer.Option("--no-embed", help="Put the audio beside the page (FILE.ogg) instead of inside it.")
    ] = False,
) -> None:
    """Write a session's HTML report: transcript under the audio, findings, timeline, grades."""
    from ..report import default_report_path
    from ..report.html import write_session_report
    from ..store import Store

    saved = Store(load_settings().sessions_dir).load(session_id)
    path = write_session_report(saved, output or default_report_path(saved.folder), embed=not no_embed)
    console.print(f"report written to {path}", highlight=False, soft_wrap=True)
    if open_:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            console.print("[yellow]no browser found: open the file yourself[/]", highlight=False)
