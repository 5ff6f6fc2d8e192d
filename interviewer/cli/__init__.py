"""Command-line interface: parses arguments, resolves settings, calls the library, renders.

Each command group lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

from .app import app

# Importing a module registers its commands.
from . import audio, commands, practice  # noqa: E402,F401
from . import questions  # noqa: E402,F401
from . import progress  # noqa: E402,F401
from . import loop  # noqa: E402,F401
from . import report  # noqa: E402,F401


def main() -> None:
    app()
