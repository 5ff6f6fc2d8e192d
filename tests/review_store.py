"""A real store as a user's looks after a few days, for the review tests (history, show, loop report).

It holds graded answers (one to a question with [brackets] in it), an answer cut off by Ctrl-C
and never graded, a mock loop whose first follow-up was interrupted and then answered on resume,
and a loop paused in its second round. Answers are text files, so no Whisper runs: about two
seconds to build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from interviewer.bank import load_bank
from interviewer.loop import FileAnswers, LoopOptions, LoopPaused, LoopRunner, LoopState, find_loop, start_loop
from interviewer.models import Round, Track
from interviewer.session import SessionService, adhoc_question
from interviewer.settings import load_settings
from test_loop import Recording, write_answers

BRACKETS = "Design [ads] ranking for a [new] market at 100k QPS with a P99 budget of 80 ms"


@dataclass
class Built:
    home: Path
    graded: str  # a graded answer to the [bracketed] question
    unfinished: str  # cut off by Ctrl-C, never transcribed
    loop: LoopState  # finished, its first follow-up interrupted once
    kept: str  # the interrupted follow-up's unfinished session
    paused: LoopState  # paused at its second question


def build_store(home: Path) -> Built:
    """Build the store in ``home`` (used as INTERVIEWER_HOME while building)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INTERVIEWER_HOME", str(home))
        mp.setenv("INTERVIEWER_LLM__ENABLED", "off")
        service = SessionService(load_settings())
        answers_dir = write_answers(home / "answers")
        graded = service.grade_file(answers_dir / "01.txt", adhoc_question(BRACKETS, Round.ml_system_design)).saved
        cut = service.start_recorded(load_bank().get("bh-co-beyond-the-job"), track=Track.mle)
        service.store.update_meta(cut, finished=False, duration_s=95.0)

        answers = FileAnswers(answers_dir, load_bank().ids())
        loop = start_loop(service, LoopOptions(track=Track.scientist, seed=2, break_s=0))
        with pytest.raises(LoopPaused) as paused:
            LoopRunner(service, Recording(answers, at=(1, 1), kind="mic"), break_s=0).run(loop)
        kept = paused.value.kept_session
        assert kept
        LoopRunner(service, answers, break_s=0).run(find_loop(service.store.root, loop.id))

        other = start_loop(service, LoopOptions(track=Track.mle, seed=9, break_s=0, follow_ups=False))
        with pytest.raises(LoopPaused):
            LoopRunner(service, Recording(answers, at=(1, 0), kind="mic"), break_s=0).run(other)
        return Built(home=home, graded=graded.meta.id, unfinished=cut.meta.id,
                     loop=find_loop(service.store.root, loop.id), kept=kept,
                     paused=find_loop(service.store.root, other.id))
