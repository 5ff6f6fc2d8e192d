"""Real saved sessions for the progress and compare tests, without a microphone or a model.

A transcript is made from text with Whisper-shaped word timestamps at a chosen pace, then goes
through the real session service: the real analyzer, the evidence-only grader, the real store.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from interviewer.models import Question, Round, Segment, SessionMeta, SessionStatus, Track, Transcript, Word
from interviewer.session import SessionService
from interviewer.settings import load_settings
from interviewer.store import SavedSession, new_session_id

START = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)

QUESTION = Question(
    id="bh-latency-attempts", round=Round.behavioral, principles=["Deliver Results", "Ownership"],
    dimensions=["latency", "cost"], time_budget_s=300,
    signals=["quantifies the result with a before and after", "says what they did personally"],
    text="Tell me about a time you cut the latency of a production model.",
)  # fmt: skip
OTHER = Question(
    id="bh-frugal-attempts", round=Round.behavioral, principles=["Frugality"], time_budget_s=300,
    text="Tell me about a time you saved money nobody asked you to save.",
)  # fmt: skip

# A weak first attempt: "we", no numbers, fillers.
WEAK = (
    "Um so we had a ranking model that was uh kind of slow. We looked at it as a team and um we made "
    "it faster with some caching. It was a lot better after that and uh people were happy. "
    "We also um cleaned up some code."
)
# A stronger second attempt: "I", before -> after, an assumption stated, fewer fillers.
STRONG = (
    "I owned the ads ranking service, and our P99 latency was 180 milliseconds against a 100 millisecond "
    "budget. I assumed the traffic would double by peak season, so I profiled the service first. "
    "I distilled the ranker into a smaller student model and I moved the feature joins into a Redis cache. "
    "P99 latency went from 180 milliseconds to 85 milliseconds and GPU spend dropped by $40k a year. "
    "Um the lesson was to measure before optimising."
)


def timed_transcript(text: str, wpm: float = 140.0, gap_s: float = 0.0) -> Transcript:
    """``text`` as an audio transcript: one segment a sentence, words evenly spaced at ``wpm``,
    ``gap_s`` of silence between sentences."""
    step = 60.0 / wpm
    t = 0.0
    segments = []
    for sentence in re.split(r"(?<=[.!?])\s+", text.strip()):
        words = []
        for w in sentence.split():
            words.append(Word(text=f" {w}", start=round(t, 2), end=round(t + step * 0.8, 2), probability=0.95))
            t += step
        segments.append(Segment(start=words[0].start, end=words[-1].end, text=" " + sentence, words=words))
        t += gap_s
    return Transcript(text=text.strip(), segments=segments, duration_s=round(t, 2), source="audio", model="test")


def attempt(
    question: Question, text: str, *, days: float, wpm: float = 140.0, gap_s: float = 0.0,
    track: Track | None = Track.scientist, finished: bool = True,
) -> SavedSession:
    """A session answered ``days`` after START, analysed and graded evidence-only, saved."""
    service = SessionService(load_settings(llm={"enabled": "off"}))
    when = START + timedelta(days=days)
    meta = SessionMeta(id=new_session_id(when), created_at=when, question=question,
                       status=SessionStatus.recorded, track=track, source="mic", finished=finished)
    saved = service.store.create(meta)
    service.finish_recorded(saved, timed_transcript(text, wpm, gap_s), finished=finished)
    return service.store.load(saved.meta.id)
