"""Core commands: transcribe, grade, demo, history, show, doctor."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from .app import app, console, setup_logging


def _version(value: bool) -> None:
    if value:
        console.print(f"interviewer {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details to stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Practise spoken answers for senior ML interviews: ask, record, transcribe, measure, grade."""
    setup_logging(verbose)
