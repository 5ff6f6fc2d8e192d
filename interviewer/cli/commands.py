"""Core commands: transcribe, grade, demo, regrade, history, show, doctor, reindex."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .. import __version__
from ..models import Round, Track
from ..settings import Settings, load_settings
from .app import app, console, err_console, handles_errors, setup_logging

STEP_LABELS = {
    "transcribing": "Transcribing with Whisper",
    "analyzing": "Measuring the answer",
    "grading": "Grading with the LLM",
}

# Options shared by several commands (typed once, reused).
ModelOpt = Annotated[
    Optional[str],
    typer.Option("--model", "-m", help="Whisper model: a faster-whisper name (e.g. small.en) or a local model folder. Default: bundled tiny.en."),
]
RubricOpt = Annotated[Optional[Path], typer.Option("--rubric", help="Rubric YAML file (or id of a shipped rubric) overriding the default choice.")]
TrackOpt = Annotated[Optional[Track], typer.Option("--track", "-t", help="Interview track: weights the rubric criteria.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the report.")]
LlmModelOpt = Annotated[Optional[str], typer.Option("--llm-model", help="LLM model name for grading.")]
LlmUrlOpt = Annotated[Optional[str], typer.Option("--llm-url", help="OpenAI-compatible base URL for grading.")]
NoLlmOpt = Annotated[bool, typer.Option("--no-llm", help="Evidence-only grade: do not call an LLM.")]
VoiceOpt = Annotated[Optional[str], typer.Option("--voice", help="auto, piper, system, openai or text.")]
DeviceOpt = Annotated[Optional[str], typer.Option("--device", "-d", help="Input device name or index (see `interviewer devices`).")]


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


def settings_from_flags(
    *,
    model: str | None = None,
    rubric: Path | None = None,
    llm_model: str | None = None,
    llm_url: str | None = None,
    no_llm: bool = False,
    **extra: Any,
) -> Settings:
    """CLI flags become the highest-precedence settings layer."""
    return load_settings(
        rubric=rubric,
        whisper={"model": model},
        llm={"model": llm_model, "base_url": llm_url, "enabled": "off" if no_llm else ("on" if llm_url else None)},
        **extra,
    )


@contextmanager
def steps(enabled: bool = True) -> Iterator[tuple[Any, Any]]:
    """A live progress line on stderr: the current step, and a bar while transcribing."""
    if not enabled:
        yield (lambda _s: None), (lambda _d, _t: None)
        return
    progress = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(), console=err_console, transient=True,
    )
    task = progress.add_task("Starting", total=None, detail="")

    def on_step(name: str) -> None:
        progress.update(task, description=STEP_LABELS.get(name, name), total=None, completed=0, detail="")

    def on_progress(done: float, total: float) -> None:
        progress.update(task, total=total, completed=done, detail=f"{done:.0f}/{total:.0f} s of audio")

    with progress:
        yield on_step, on_progress


def _service(settings: Settings):  # type: ignore[no-untyped-def]
    from ..session import SessionService

    return SessionService(settings)


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        err_console.print(f"[dim]{note}[/]", highlight=False)


def _criterion_names(saved) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from ..rubric import choose_rubric

    try:
        rubric = choose_rubric(saved.meta.question, saved.meta.track)
    except Exception:  # a rubric edited since only loses the pretty names
        return {}
    return {c.id: c.name for c in rubric.criteria}


def session_json(saved) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The documented `--json` shape (see README: "JSON output")."""
    return {
        "session_id": saved.meta.id,
        "folder": str(saved.folder),
        "question": saved.meta.question.model_dump(mode="json"),
        "transcript": saved.transcript.model_dump(mode="json") if saved.transcript else None,
        "evidence": saved.evidence.model_dump(mode="json") if saved.evidence else None,
        "grade": saved.latest_grade.model_dump(mode="json") if saved.latest_grade else None,
        "grades": [g.model_dump(mode="json") for g in saved.grades],
    }


@app.command()
@handles_errors
def transcribe(
    file: Annotated[Path, typer.Argument(help="Audio file (wav, flac, mp3, ogg, m4a ...).")],
    question: Annotated[Optional[str], typer.Option("--question", "-q", help="The question answered, as text: its ML terms are listened for.")] = None,
    question_id: Annotated[Optional[str], typer.Option("--question-id", "-i", help="Id of a question in the bank: its vocabulary is listened for.")] = None,
    round_: Annotated[Optional[Round], typer.Option("--round", help="Round of a --question typed as text.")] = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Transcribe an audio file offline and print the text (or segments, words and quality with --json)."""
    from ..quality import with_quality
    from ..transcribe import WhisperTranscriber

    settings = settings_from_flags(model=model)
    q = _resolve_question(question, question_id, round_, None) if (question or question_id) else None
    with steps(enabled=not as_json) as (on_step, on_progress):
        on_step("transcribing")
        transcriber = WhisperTranscriber(settings.whisper, question=q)
        transcript = with_quality(transcriber.transcribe(file, progress=on_progress), settings.whisper.uncertain_below)
    if as_json:
        print(transcript.model_dump_json(indent=2))
        return
    for warning in transcript.quality.warnings if transcript.quality else []:
        err_console.print(f"[yellow]{warning}[/]", highlight=False)
    console.print(transcript.text, highlight=False)


def _resolve_question(question: str | None, question_id: str | None, round_: Round | None, budget: int | None):  # type: ignore[no-untyped-def]
    from ..session import adhoc_question

    if question and question_id:
        raise typer.BadParameter("give --question or --question-id, not both")
    if question_id:
        from ..bank import load_bank

        q = load_bank().get(question_id)
        return q.model_copy(update={"time_budget_s": budget}) if budget else q
    if question:
        return adhoc_question(question, round_ or Round.behavioral, budget)
    raise typer.BadParameter("say which question was answered: --question TEXT or --question-id ID")


@app.command()
@handles_errors
def grade(
    file: Annotated[Path, typer.Argument(help="The answer: an audio file, or a .txt transcript.")],
    question: Annotated[Optional[str], typer.Option("--question", "-q", help="The question that was answered, as text.")] = None,
    question_id: Annotated[Optional[str], typer.Option("--question-id", "-i", help="Id of a question in the bank (see `interviewer questions`).")] = None,
    round_: Annotated[Optional[Round], typer.Option("--round", help="Round of a --question typed as text.")] = None,
    budget: Annotated[Optional[int], typer.Option("--budget", help="Time budget in seconds (default: the question's, 720).")] = None,
    track: TrackOpt = None,
    rubric: RubricOpt = None,
    model: ModelOpt = None,
    llm_model: LlmModelOpt = None,
    llm_url: LlmUrlOpt = None,
    no_llm: NoLlmOpt = False,
    repeat: Annotated[int, typer.Option("--repeat", min=1, max=50, help="Grade N times with the LLM and report each criterion's score spread.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Grade a recorded answer: transcribe, measure, grade and save it as a session."""
    settings = settings_from_flags(model=model, rubric=rubric, llm_model=llm_model, llm_url=llm_url, no_llm=no_llm)
    q = _resolve_question(question, question_id, round_, budget or settings.time_budget_s)
    service = _service(settings)
    with steps(enabled=not as_json) as (on_step, on_progress):
        outcome = service.grade_file(file, q, track=track, on_step=on_step, on_progress=on_progress)
    _show_outcome(outcome, as_json)
    if repeat > 1:
        with steps(enabled=not as_json) as (on_step, _):
            report = service.repeat_llm(
                outcome.saved, repeat, track=track,
                on_run=lambda i, _g, err: on_step(f"Consistency run {i}/{repeat}" + (" failed" if err else "")),
            )
        if report is None:
            err_console.print("[yellow]--repeat needs an LLM grader: the evidence-only grade is deterministic[/]")
        elif as_json:
            print(report.model_dump_json(indent=2))
        else:
            console.print(report.table(), highlight=False)


def _show_outcome(outcome, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    _print_notes(outcome.notes)
    if as_json:
        print(json.dumps(session_json(outcome.saved), indent=2))
        return
    from ..render import session_report

    console.print(session_report(outcome.saved, _criterion_names(outcome.saved)))
    console.print(f"[dim]saved as session {outcome.saved.meta.id} in {outcome.saved.folder}[/]")
    _write_report(outcome.saved)


def _write_report(saved) -> None:  # type: ignore[no-untyped-def]
    """Write the session's HTML page where `interviewer report` puts it and say where it is. The
    session is saved already: a page that cannot be made is one yellow line, never a failed grade."""
    from rich.markup import escape

    from ..report import default_report_path
    from ..report.html import write_session_report

    try:
        path = write_session_report(saved, default_report_path(saved.folder))
    except Exception as exc:  # noqa: BLE001 - PyAV, the disk, a template: the grade stands regardless
        err_console.print(f"[yellow]no HTML report: {escape(str(exc))} (try `interviewer report {saved.meta.id}`)[/]",
                          highlight=False, soft_wrap=True)
        return
    console.print(f"report written to {escape(str(path))} [dim]· open it: interviewer report {saved.meta.id} --open[/]",
                  highlight=False, soft_wrap=True)


@app.command()
@handles_errors
def demo(
    model: ModelOpt = None,
    track: TrackOpt = None,
    no_llm: NoLlmOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole path on the bundled sample spoken answer and show the report."""
    from ..session import load_demo

    settings = settings_from_flags(model=model, no_llm=no_llm)
    sample = load_demo()
    if not as_json:
        console.print(f"[bold]Demo question:[/] {sample.question.text}")
        console.print(f"[dim]Answer: the bundled sample recording {sample.audio.name} (spoken by an offline voice)[/]")
    with steps(enabled=not as_json) as (on_step, on_progress):
        outcome = _service(settings).grade_file(
            sample.audio, sample.question, track=track, source="demo", on_step=on_step, on_progress=on_progress
        )
    _show_outcome(outcome, as_json)


@app.command()
@handles_errors
def regrade(
    session_id: Annotated[str, typer.Argument(help="Session id, a unique prefix of it, or 'last'.")],
    llm_model: LlmModelOpt = None,
    llm_url: LlmUrlOpt = None,
    rubric: RubricOpt = None,
    track: TrackOpt = None,
    no_llm: NoLlmOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Grade a saved session again (e.g. with another model); every earlier grade is kept."""
    settings = settings_from_flags(rubric=rubric, llm_model=llm_model, llm_url=llm_url, no_llm=no_llm)
    with steps(enabled=not as_json) as (on_step, on_progress):
        outcome = _service(settings).regrade(session_id, track=track, on_step=on_step, on_progress=on_progress)
    _show_outcome(outcome, as_json)


@app.command()
@handles_errors
def history(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many sessions to list.")] = 20,
    question_id: Annotated[Optional[str], typer.Option("--question-id", "-i", help="Only this question.")] = None,
    loop_id: Annotated[Optional[str], typer.Option("--loop", metavar="LOOP_ID", help="Only this mock loop (an id, a prefix of it, or 'last').")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List saved sessions: question, time used and scores; loop answers and follow-ups grouped."""
    from ..report.history import HistoryTable, load_history
    from ..store import Store

    store = Store(load_settings().sessions_dir)
    if loop_id is not None:
        from ..loop import find_loop

        loop_id = find_loop(store.root, loop_id).id
    view = load_history(store, limit=limit, question_id=question_id, loop_id=loop_id)
    if as_json:
        print(json.dumps(view.rows_json(), indent=2))
    elif not view.groups:
        console.print("No sessions yet. Try [bold]interviewer demo[/] or [bold]interviewer practice[/].")
    else:
        console.print(HistoryTable(view))


@app.command()
@handles_errors
def show(
    session_id: Annotated[str, typer.Argument(help="Session id, a unique prefix of it, or 'last'.")] = "last",
    as_json: JsonOpt = False,
) -> None:
    """Show a saved session: question, highlighted transcript, evidence, scores and advice."""
    from ..render import session_report
    from ..store import Store

    saved = Store(load_settings().sessions_dir).load(session_id)
    if as_json:
        print(json.dumps(session_json(saved), indent=2))
    else:
        console.print(session_report(saved, _criterion_names(saved)))


@app.command()
@handles_errors
def reindex() -> None:
    """Rebuild the session index from the session folders (after a damaged or deleted index)."""
    from ..store import Store

    result = Store(load_settings().sessions_dir).rebuild_index()
    console.print(f"re-indexed {result.indexed} session(s)")
    for name, problem in result.damaged:
        console.print(f"[yellow]damaged, not indexed:[/] {name}: {problem}", markup=True, highlight=False)


@app.command()
@handles_errors
def doctor() -> None:
    """Check the set-up: Whisper model, audio devices, voice, LLM endpoint, data directory."""
    from ..doctor import run_checks
    from rich.table import Table

    table = Table(title="interviewer doctor", title_justify="left", show_lines=False)
    table.add_column("")
    table.add_column("Check", style="bold")
    table.add_column("Result")
    table.add_column("How to fix", style="dim")
    worst = 0
    for check in run_checks(load_settings()):
        mark = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}[check.status]
        worst = max(worst, {"ok": 0, "warn": 0, "fail": 1}[check.status])
        table.add_row(mark, check.name, check.detail, check.fix or "")
    console.print(table)
    raise typer.Exit(worst)
