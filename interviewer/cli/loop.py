"""`interviewer loop`: a full mock loop, phone screen to Bar Raiser, resumable, with a report."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich import box
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..models import Track
from .app import app, console, err_console, handles_errors
from .commands import DeviceOpt, VoiceOpt, LlmModelOpt, LlmUrlOpt, ModelOpt, NoLlmOpt, RubricOpt, settings_from_flags, steps

if TYPE_CHECKING:
    from ..loop import AnswerScore, Asking, LoopReport, LoopState, PlannedRound

TRACK_NAMES = {Track.scientist: "Applied Scientist", Track.mle: "ML Engineer"}
VERDICT_STYLES = {
    "Strong Hire": "bold green", "Hire": "green", "Lean Hire": "yellow", "Lean No Hire": "red", "No Hire": "bold red",
}


def _clock(seconds: float | None) -> str:
    from ..render import clock

    return clock(seconds)


def _score(value: float | None) -> Text:
    if value is None:
        return Text("-", style="dim")
    style = "green" if value >= 3.5 else "yellow" if value >= 2.5 else "red"
    return Text(f"{value:.2f}", style=style)


class RichEvents:
    """Renders what the loop runner reports (see interviewer.loop.LoopEvents)."""

    def started(self, state: LoopState, source: str, resumed: bool) -> None:
        rounds = len(state.rounds)
        head = f"[bold]Mock loop {state.id}[/] · {TRACK_NAMES[state.track]} · {len(state.items)} questions in {rounds} rounds"
        if state.finished:
            head += " · already finished: showing the report"
        elif resumed:
            head += f" · resuming at question {state.position + 1} ({state.items[state.position].question.id})"
        console.print(head, highlight=False)

    def round_started(self, state: LoopState, planned: PlannedRound, number: int, resumed: bool) -> None:
        console.rule(f"[bold cyan]Round {number}/{len(state.rounds)} · {planned.stage} · {planned.title}[/]")
        again = " · resumed" if resumed else ""
        console.print(f"[dim]{planned.focus} · the real round lasts {planned.minutes} min{again}[/]", highlight=False)

    def asking(self, asking: Asking) -> None:
        q = asking.question
        budget = _clock(q.time_budget_s)
        if asking.follow_up is not None:
            title = f"Follow-up · {asking.follow_up.reason} · {budget}"
            console.print(Panel(q.text, title=title, title_align="left", border_style="magenta"))
        else:
            title = f"Question {asking.number}/{asking.count} · {asking.round.title} · {budget}"
            console.print(Panel(q.text, title=title, title_align="left", border_style="cyan"))
        if asking.source == "mic":
            console.print("[bold]Answer now.[/] [dim]Enter / space / s to stop · Ctrl-C pauses the loop.[/]")

    def answered(self, state: LoopState, score: AnswerScore) -> None:
        line = Text("  ▸ ")
        line.append_text(_score(score.overall))
        line.append(" · " + " · ".join(f"{cid} {s}" for cid, s in score.criteria.items()), style="dim")
        used = ("~" if score.time_estimated else "") + _clock(score.time_used_s)
        line.append(f" · {used} of {_clock(score.time_budget_s)}", style="dim")
        if score.grader == "evidence":
            line.append(" · evidence-only", style="dim")
        line.append(f" · session {score.session_id}", style="dim")
        console.print(line)

    def note(self, text: str) -> None:
        err_console.print(f"[dim]{text}[/]", highlight=False)

    def break_(self, seconds: float, next_round: PlannedRound) -> None:
        if seconds > 0:
            console.print(
                f"[dim]Short break: {next_round.title} starts in {seconds:.0f} s "
                "(Ctrl-C pauses the loop; `interviewer loop --resume` continues it).[/]", highlight=False,
            )

    def finished(self, report: LoopReport, path: Path, html: Path | None = None) -> None:
        console.print(loop_report(report))
        console.print(f"[dim]report saved to {path}[/]", highlight=False, soft_wrap=True)
        if html is not None:
            console.print(f"loop report written to {html}", highlight=False, soft_wrap=True)

    def steps(self) -> AbstractContextManager[Any]:
        return steps()


def loop_report(report: LoopReport) -> Group:
    """The final report: rounds, verdict, three fixes, principles and reused stories."""
    rounds = Table(title=f"Mock loop {report.loop_id} · {TRACK_NAMES[report.track]}", title_justify="left",
                   box=box.SIMPLE_HEAD)
    rounds.add_column("Round", style="bold")
    rounds.add_column("Score", justify="right")
    rounds.add_column("Criteria (main answers)")
    rounds.add_column("Time", justify="right", no_wrap=True)
    for r in report.rounds:
        crit = Text(", ".join(f"{cid} {v:.1f}" for cid, v in r.criteria.items()), style="dim")
        score = _score(r.score)
        if r.concern:
            score.append(" ⚠", style="red")
        used = ("~" if r.time_estimated else "") + _clock(r.time_used_s)
        follow = sum(len(q.follow_ups) for q in r.questions)
        title = f"{r.title}\n[dim]{len(r.questions)} question(s), {follow} follow-up(s)[/]"
        rounds.add_row(title, score, crit, f"{used} / {_clock(r.time_budget_s)}")

    v = report.verdict
    verdict = Text(v.label, style=VERDICT_STYLES.get(v.label, "bold"))
    verdict.append(f"  {v.summary}", style="dim")
    fixes = Table(box=None, show_header=False, pad_edge=False)
    fixes.add_column(no_wrap=True)
    fixes.add_column()
    for n, c in enumerate(report.top_fixes, start=1):
        fixes.add_row(f"{n}. {c.name} ({c.mean:.1f})", Text(c.improvement or "see the rubric anchors", style="green"))
    covered = ", ".join(report.principles_covered) or "none"
    missing = ", ".join(report.principles_missing) or "none"
    lp = Text.assemble(
        ("Covered ", "bold"), (f"({len(report.principles_covered)}): ", "bold"), (covered + "\n", "green"),
        ("Missing ", "bold"), (f"({len(report.principles_missing)}): ", "bold"), (missing, "yellow"),
    )
    if report.stories_reused:
        stories = Text("\n".join(
            f"{s.label}: told in {', '.join(r.value for r in s.rounds)}" for s in report.stories_reused
        ))
    else:
        stories = Text("no story was told in more than one round", style="dim")
    stories.append(f"\n(grouped by {report.story_method})", style="dim")
    parts: list[Any] = [
        rounds,
        Panel(verdict, title="Hiring summary", title_align="left", border_style=VERDICT_STYLES.get(v.label, "white")),
        Panel(fixes, title="Three things to fix", title_align="left", border_style="green"),
        Panel(lp, title="Leadership Principles", title_align="left"),
        Panel(stories, title="Stories reused across rounds", title_align="left"),
    ]
    if not report.complete:
        parts.insert(0, Text("incomplete loop: only the answered questions are reported", style="yellow"))
    return Group(*parts)


@app.command()
@handles_errors
def loop(
    loop_id: Annotated[Optional[str], typer.Argument(metavar="LOOP_ID", help="With --resume: the loop id (or a prefix), or 'last'.", show_default=False)] = None,
    track: Annotated[Optional[Track], typer.Option("--track", "-t", help="Interview track (default: scientist): picks the questions and weights the rubrics.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted loop (the newest, or LOOP_ID).")] = False,
    answers: Annotated[Optional[Path], typer.Option("--answers", help="Folder of answer files (<question_id>.txt/.wav, or in order) instead of the microphone.")] = None,
    questions_per_round: Annotated[int, typer.Option("--questions-per-round", "-n", min=1, max=3, help="Questions in each round.")] = 1,
    break_s: Annotated[Optional[float], typer.Option("--break-s", min=0, help="Break between rounds in seconds (default 10).")] = None,
    no_follow_ups: Annotated[bool, typer.Option("--no-follow-ups", help="Do not probe answers with follow-up questions.")] = False,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed of the question draw (repeatable loops).")] = None,
    voice: VoiceOpt = None,
    device: DeviceOpt = None,
    model: ModelOpt = None,
    rubric: RubricOpt = None,
    llm_model: LlmModelOpt = None,
    llm_url: LlmUrlOpt = None,
    no_llm: NoLlmOpt = False,
) -> None:
    """Run a full mock loop: phone screen, deep dive, onsite rounds and Bar Raiser, then a report.

    Each answer is graded and may be probed with follow-ups. Ctrl-C pauses the loop (an
    unfinished answer is kept); `interviewer loop --resume` continues at that question.
    """
    from ..loop import LoopOptions, LoopPaused, LoopRunner, choose_answer_source, find_loop, start_loop
    from ..session import SessionService

    if loop_id is not None and not resume:
        raise typer.BadParameter("a loop id is only taken with --resume")
    settings = settings_from_flags(
        model=model, rubric=rubric, llm_model=llm_model, llm_url=llm_url, no_llm=no_llm,
        audio={"voice": voice, "input_device": device},
    )
    service = SessionService(settings)
    source, note = choose_answer_source(settings, answers=answers, console=console)
    err_console.print(f"[yellow]{note}[/]" if source.label == "demo" else f"[dim]{note}[/]", highlight=False)

    if resume:
        state = find_loop(service.store.root, loop_id or "last")
        if track is not None or seed is not None or no_follow_ups or questions_per_round != 1:
            err_console.print("[dim]resuming: the track, questions and follow-ups come from the saved loop[/]")
    else:
        state = start_loop(service, LoopOptions(
            track=track or Track.scientist, questions_per_round=questions_per_round,
            break_s=10.0 if break_s is None else break_s, follow_ups=not no_follow_ups, seed=seed,
        ))

    speaker = None
    if source.label == "mic" or voice:
        from ..speech.tts import make_speaker

        speaker = make_speaker(settings=settings)
        err_console.print(f"[dim]voice: {speaker.label}[/]", highlight=False)

    runner = LoopRunner(service, source, events=RichEvents(), speaker=speaker, break_s=break_s)  # type: ignore[arg-type]
    try:
        runner.run(state)
    except LoopPaused as exc:
        err_console.print(f"[yellow]{exc}[/]", highlight=False)
        err_console.print(f"[dim]{exc.hint}[/]", highlight=False)
        raise typer.Exit(exc.exit_code) from None
