"""`python -m interviewer` runs the CLI."""

from .cli import main

main()
