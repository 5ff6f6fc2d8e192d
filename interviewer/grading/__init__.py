"""Graders: turn question + rubric + transcript + evidence into a Grade.

``evidence`` scores from the analyzer's counts alone (offline, always available); ``llm`` asks an
OpenAI-compatible model and checks its answer against the transcript and the evidence.
"""

from __future__ import annotations

from typing import Protocol

from ..models import Evidence, Grade, Question, Track, Transcript
from ..rubric import Rubric


class Grader(Protocol):
    def grade(
        self,
        question: Question,
        rubric: Rubric,
        transcript: Transcript,
        evidence: Evidence,
        *,
        track: Track | None = None,
    ) -> Grade: ...
