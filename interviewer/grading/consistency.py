"""Grade the same answer N times and measure how much the grader disagrees with itself."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from ..errors import GraderError
from ..models import Evidence, Grade, Question, Track, Transcript
from ..rubric import Rubric
from . import Grader

log = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunStats(_Model):
    run: int
    overall: float
    scores: dict[str, int]
    latency_s: float | None = None
    usage: dict[str, int] = Field(default_factory=dict)
    dropped_quotes: int = 0
    flags: int = 0


class CriterionSpread(_Model):
    criterion: str
    scores: list[int]
    mean: float
    stdev: float = Field(description="population standard deviation; 0 for a single run")
    spread: int = Field(description="max - min")


class RepeatReport(_Model):
    n: int
    grader: str
    model: str | None = None
    endpoint: str | None = None
    prompt_version: str | None = None
    runs: list[RunStats]
    criteria: list[CriterionSpread]
    overall_mean: float
    overall_stdev: float
    overall_spread: float
    failures: list[str] = Field(default_factory=list, description="one line per failed run")
    grades: list[Grade] = Field(default_factory=list, exclude=True)

    @property
    def latency_mean_s(self) -> float | None:
        values = [r.latency_s for r in self.runs if r.latency_s is not None]
        return round(statistics.fmean(values), 3) if values else None

    @property
    def tokens_mean(self) -> dict[str, float]:
        keys = sorted({k for r in self.runs for k in r.usage})
        return {k: round(statistics.fmean(r.usage.get(k, 0) for r in self.runs), 1) for k in keys}

    @property
    def max_spread(self) -> int:
        return max((c.spread for c in self.criteria), default=0)

    def table(self) -> str:
        """A plain-text table: one row per criterion, then overall, latency and tokens."""
        head = f"{'criterion':<14} {'scores':<24} {'mean':>5} {'stdev':>6} {'spread':>6}"
        rows = [head, "-" * len(head)]
        for c in self.criteria:
            rows.append(
                f"{c.criterion:<14} {' '.join(map(str, c.scores)):<24} {c.mean:>5.2f} {c.stdev:>6.2f} {c.spread:>6}"
            )
        overall = " ".join(f"{r.overall:g}" for r in self.runs)
        rows.append(
            f"{'overall':<14} {overall[:24]:<24} {self.overall_mean:>5.2f} {self.overall_stdev:>6.2f} {self.overall_spread:>6.2f}"
        )
        rows.append("")
        for r in self.runs:
            u = r.usage
            rows.append(
                f"run {r.run}: {r.latency_s if r.latency_s is not None else float('nan'):.2f} s, "
                f"tokens {u.get('prompt_tokens', 0)} in / {u.get('completion_tokens', 0)} out, "
                f"{r.dropped_quotes} quote(s) dropped, {r.flags} flag(s)"
            )
        for f in self.failures:
            rows.append(f"failed: {f}")
        return "\n".join(rows)


def grade_repeat(
    grader: Grader,
    question: Question,
    rubric: Rubric,
    transcript: Transcript,
    evidence: Evidence,
    *,
    n: int,
    track: Track | None = None,
    on_run: Callable[[int, Grade | None, str | None], None] | None = None,
) -> RepeatReport:
    """Grade ``n`` times; a failed run is recorded and skipped, all runs failing is a GraderError.

    ``on_run(i, grade, error)`` is called after each run (for a progress line in the CLI).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    grades: list[Grade] = []
    failures: list[str] = []
    for i in range(1, n + 1):
        try:
            g = grader.grade(question, rubric, transcript, evidence, track=track)
        except GraderError as exc:
            failures.append(f"run {i}: {exc}")
            log.warning("repeat run %d failed: %s", i, exc)
            if on_run:
                on_run(i, None, str(exc))
            continue
        grades.append(g)
        if on_run:
            on_run(i, g, None)
    if not grades:
        raise GraderError(f"all {n} grading runs failed; first: {failures[0].split(': ', 1)[1]}")
    return summarise(grades, failures)


def summarise(grades: list[Grade], failures: list[str] | None = None) -> RepeatReport:
    first = grades[0]
    ids = [c.criterion for c in first.criteria]
    spreads: list[CriterionSpread] = []
    for cid in ids:
        scores = [c.score for g in grades for c in g.criteria if c.criterion == cid]
        spreads.append(
            CriterionSpread(
                criterion=cid,
                scores=scores,
                mean=round(statistics.fmean(scores), 3),
                stdev=round(statistics.pstdev(scores), 3),
                spread=max(scores) - min(scores),
            )
        )
    overalls = [g.overall for g in grades]
    runs = [
        RunStats(
            run=i,
            overall=g.overall,
            scores={c.criterion: c.score for c in g.criteria},
            latency_s=g.latency_s,
            usage=dict(g.usage),
            dropped_quotes=g.dropped_quotes,
            flags=sum(len(c.flags) for c in g.criteria),
        )
        for i, g in enumerate(grades, 1)
    ]
    return RepeatReport(
        n=len(grades) + len(failures or []),
        grader=first.grader,
        model=first.model,
        endpoint=first.endpoint,
        prompt_version=first.prompt_version,
        runs=runs,
        criteria=spreads,
        overall_mean=round(statistics.fmean(overalls), 3),
        overall_stdev=round(statistics.pstdev(overalls), 3),
        overall_spread=round(max(overalls) - min(overalls), 3),
        failures=list(failures or []),
        grades=grades,
    )
