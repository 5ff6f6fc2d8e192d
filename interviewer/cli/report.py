"""`interviewer report` and `interviewer compare`: pages about saved sessions (HTML, terminal, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..settings import load_settings
from .app import app, console, handles_errors
from .commands import JsonOpt

# Options every HTML page shares.
OutputOpt = Annotated[
    Optional[Path],
    typer.Option("--output", "-o", metavar="FILE", help="Write the page to FILE (implies --html)."),
]
OpenOpt = Annotated[bool, typer.Option("--open", help="Open the page in the default browser (implies --html).")]
HtmlOpt = Annotated[bool, typer.Option("--html", help="Write a self-contained HTML page instead of printing a table.")]


def page_written(path: Path, open_: bool, what: str = "report") -> None:
    """Say where a page was written, and open it when asked."""
    console.print(f"{what} written to {path}", highlight=False, soft_wrap=True)
    if open_:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            console.print("[yellow]no browser found: open the file yourself[/]", highlight=False)


@app.command()
@handles_errors
def report(
    session_id: Annotated[str, typer.Argument(help="Session id, a unique prefix of it, or 'last'.")] = "last",
    loop_id: Annotated[
        Optional[str],
        typer.Option("--loop", metavar="LOOP_ID", help="Write a mock loop's page instead (an id, a prefix of it, or 'last'), and the pages of its sessions."),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write the page to FILE (default: report.html in the session folder; a loop's beside its state)."),
    ] = None,
    open_: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    no_embed: Annotated[
        bool, typer.Option("--no-embed", help="Put the audio beside the page (FILE.ogg) instead of inside it.")
    ] = False,
) -> None:
    """Write a session's HTML report: transcript under the audio, findings, timeline, grades.

    With --loop, a mock loop's report: verdict, rounds, every answer and follow-up linked to its
    own session report (written too where missing or older than its session).
    """
    from ..store import Store

    store = Store(load_settings().sessions_dir)
    if loop_id is not None:
        if session_id != "last":
            raise typer.BadParameter("give a session id or --loop LOOP_ID, not both")
        from ..loop import find_loop
        from ..report.loop import write_loop_report
        from .commands import steps

        state = find_loop(store.root, loop_id)
        with steps() as (on_step, _):
            pages = write_loop_report(store, state, output, embed=not no_embed,
                                      on_page=lambda sid: on_step(f"Writing the page of session {sid}"))
        page_written(pages.html, open_, "loop report")
        return
    from ..report import default_report_path
    from ..report.html import write_session_report

    saved = store.load(session_id)
    path = write_session_report(saved, output or default_report_path(saved.folder), embed=not no_embed)
    page_written(path, open_)


@app.command()
@handles_errors
def compare(
    first: Annotated[str, typer.Argument(help="A session id, a unique prefix of it, or 'last'.")],
    second: Annotated[str, typer.Argument(help="Another session of the same question (id, prefix or 'last').")],
    html: HtmlOpt = False,
    output: OutputOpt = None,
    open_: OpenOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Compare even when the sessions answer different questions.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Two attempts at one question side by side: scores, what was added and dropped, what is missing."""
    from ..report.compare import CompareTable, compare_sessions
    from ..store import Store

    store = Store(load_settings().sessions_dir)
    view = compare_sessions(store, first, second, force=force)
    if as_json:
        print(view.model_dump_json(indent=2))
    elif html or output or open_:
        from ..report import default_compare_path
        from ..report.html import relative_links, render_compare_html, session_pages, write_page

        path = output or default_compare_path(store.root / view.b.id, view.a.id)
        # Each mention links to its moment in its session's page: written where missing or stale.
        pages = session_pages(store, [view.a.id, view.b.id])
        path = write_page(render_compare_html(view, relative_links(pages, path.parent)), path)
        page_written(path, open_, "comparison")
    else:
        console.print(CompareTable(view))
