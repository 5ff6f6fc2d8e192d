"""`interviewer practice`: the main job, a spoken question-answer-grade loop."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer
from rich.panel import Panel

from ..errors import AudioDeviceError
from ..models import Round
from ..render import clock
from .app import app, console, err_console, handles_errors
from .commands import DeviceOpt, VoiceOpt, LlmModelOpt, LlmUrlOpt, ModelOpt, NoLlmOpt, RubricOpt, TrackOpt, _show_outcome, demo, settings_from_flags, steps


@app.command()
@handles_errors
def practice(
    question_id: Annotated[Optional[str], typer.Option("--question-id", "-i", help="Ask this question (see `interviewer questions`).")] = None,
    again_: Annotated[
        Optional[str],
        typer.Option("--again", metavar="ID|last", help="Ask the question of that session again (same round and budget), then show how to compare the two."),
    ] = None,
    round_: Annotated[Optional[Round], typer.Option("--round", "-r", help="Draw questions from this round.")] = None,
    track: TrackOpt = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=20, help="Questions in a row.")] = 1,
    pause: Annotated[float, typer.Option("--pause", min=0, help="Seconds of break between questions.")] = 5.0,
    budget: Annotated[Optional[int], typer.Option("--budget", min=30, help="Answer time budget in seconds (default: the question's, 12:00).")] = None,
    overtime: Annotated[bool, typer.Option("--overtime", help="Keep recording past the budget, marked as overtime.")] = False,
    silence_stop: Annotated[Optional[float], typer.Option("--silence-stop", min=20, help="Stop after this many seconds of silence (off by default).")] = None,
    voice: VoiceOpt = None,
    device: DeviceOpt = None,
    model: ModelOpt = None,
    rubric: RubricOpt = None,
    llm_model: LlmModelOpt = None,
    llm_url: LlmUrlOpt = None,
    no_llm: NoLlmOpt = False,
) -> None:
    """Hear a question, answer it aloud against the clock, get the graded transcript.

    Stop an answer with Enter, space or 's'; Ctrl-C keeps what was recorded as an unfinished
    session. With no microphone, runs the bundled demo answer instead.
    """
    from ..practice import AnswerOptions, again, ask, bank_question, finish_live, microphone_status, record_live
    from ..session import SessionService
    from ..speech.tts import make_speaker

    if again_ is not None and (question_id or round_):
        raise typer.BadParameter("give --again or --question-id / --round, not both")
    previous = None
    if again_ is not None:
        from ..settings import load_settings
        from ..store import Store

        previous = again(Store(load_settings().sessions_dir), again_)
        track = track or previous.track
        budget = budget or previous.question.time_budget_s  # not a configured default: the same clock
        count = 1
    settings = settings_from_flags(
        model=model, rubric=rubric, llm_model=llm_model, llm_url=llm_url, no_llm=no_llm,
        time_budget_s=budget, audio={"voice": voice, "input_device": device},
    )
    mic = microphone_status(settings.audio.input_device)
    if previous is not None and not mic.available:
        # The demo answers another question: there is nothing to compare it with.
        raise AudioDeviceError(
            f"{mic.reason}: --again records a new answer and needs a microphone",
            hint=f"answer from a file instead: interviewer grade FILE --question-id {previous.question.id}"
            if not previous.question.id.startswith("adhoc-") else
            f'answer from a file instead: interviewer grade FILE -q "{previous.question.text}" --round {previous.question.round.value}',
        )
    if not mic.available:
        err_console.print(f"[yellow]{mic.reason}: running the bundled demo answer instead[/]", highlight=False)
        demo(model=model, track=track, no_llm=no_llm, as_json=False)
        return

    service = SessionService(settings)
    speaker = make_speaker(settings=settings)
    err_console.print(f"[dim]microphone: {mic.reason} · voice: {speaker.label}[/]", highlight=False)
    options = AnswerOptions(allow_overtime=overtime, silence_stop_s=silence_stop)
    asked: set[str] = set()
    for n in range(1, count + 1):
        if previous is not None:
            question = previous.question
        else:
            question = bank_question(question_id, round_.value if round_ else None, track, asked)
        asked.add(question.id)
        if settings.time_budget_s:
            question = question.model_copy(update={"time_budget_s": settings.time_budget_s})
        title = f"Question {n}/{count} · {question.round.value} · {clock(question.time_budget_s)}"
        console.print(Panel(question.text, title=title, title_align="left", border_style="cyan"))
        note = ask(speaker, question)
        if note:
            err_console.print(f"[yellow]{note}[/]", highlight=False)
        console.print("[bold]Answer now.[/] [dim]Enter / space / s to stop.[/]")
        recorded = record_live(service, question, track=track, console=console, options=options)
        with steps() as (on_step, on_progress):
            outcome = finish_live(service, recorded, on_step=on_step, on_progress=on_progress)
        _show_outcome(outcome, as_json=False)
        if previous is not None:
            console.print(f"[bold]Compare the two attempts:[/] interviewer compare {previous.previous_id} {outcome.saved.meta.id}",
                          highlight=False, soft_wrap=True)
        if n < count and question_id is None:
            console.print(f"[dim]Short break: next question in {pause:.0f} s (Ctrl-C to end here).[/]")
            time.sleep(pause)
        elif question_id is not None:
            break
