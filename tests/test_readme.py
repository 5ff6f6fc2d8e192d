"""Every `interviewer ...` command the README shows parses against the real CLI, names only
questions that exist, and the cheap ones run for real: a README example that fails is a bug."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from interviewer.bank import load_bank
from interviewer.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.split("  #", 1)[0].strip()
            if not line.startswith("interviewer "):
                continue
            for part in line.split(" | "):  # "devices | mic-check" lists two commands
                words = shlex.split(part if part.startswith("interviewer") else f"interviewer {part}")
                # "[--json]" shows an optional flag: check it is a real one too.
                commands.append([w.strip("[]") for w in words[1:]])
    return commands


COMMANDS = _readme_commands()


def test_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 15


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a)[:60] for a in COMMANDS])
def test_readme_command_parses(args: list[str]) -> None:
    group = typer.main.get_command(app)
    name, rest = args[0], args[1:]
    command = group.get_command(group.context_class(group), name)  # type: ignore[attr-defined]
    assert command is not None, f"README shows `interviewer {name}`, which does not exist"
    # Parsing checks every option and argument the README uses, without running anything.
    command.make_context(name, list(rest), resilient_parsing=False)
    bank = load_bank()
    for flag in ("--question-id", "-i"):
        if flag in rest:
            qid = rest[rest.index(flag) + 1]
            assert bank.get(qid), f"README uses question id {qid!r}, which is not in the bank"


def test_readme_grade_example_runs(tmp_path: Path) -> None:
    (args,) = [a for a in COMMANDS if a[:2] == ["grade", "notes.txt"]]
    notes = tmp_path / "notes.txt"
    notes.write_text("I challenged the design because the P99 was 300 ms; I proposed a cache and it fell to 80 ms.")
    result = CliRunner().invoke(app, [str(notes) if a == "notes.txt" else a for a in args])
    assert result.exit_code == 0, result.output
