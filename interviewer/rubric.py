"""Rubrics: criteria with 1-5 anchors, weights (per track) and evidence thresholds.

A rubric is data (``rubrics/*.yaml``); it is validated on load and a bad file is reported in
one line naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import RubricError
from .models import Question, Track
from .resources import rubrics_dir, user_rubrics_dir

# Numbers the evidence-only grader can read off an Evidence object (see grading.evidence_metrics).
Metric = Literal[
    "assumptions.coverage",
    "assumptions.explicit_count",
    "ownership.i_share",
    "ownership.actor_balance",
    "impact.quantified_count",
    "impact.strength",
    "delivery.filler_rate",
    "delivery.time_used",
    # Measured from the transcript text by grading.evidence's heuristics:
    "structure.star",  # 0-5: STAR parts heard (situation, task, action, result) + 1 for a quantified result
    "structure.quantified_results",  # result sentences carrying a number
    "clarifying.count",  # clarifying questions anywhere in the answer
    "clarifying.upfront",  # clarifying questions and assumption statements in the first third
    "tradeoffs.count",  # sentences weighing options or their cost
    "complexity.stated",  # 0-3: time stated, space stated, two time complexities compared
    "rigor.count",  # distinct validation practices named (baseline, ablation, A/B test, leakage ...)
    "edge_cases.count",  # sentences naming edge cases or testing aloud
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceRule(_Strict):
    """Turns one evidence metric into a 1-5 score: 1 + the number of thresholds passed."""

    metric: Metric
    thresholds: list[float] = Field(min_length=4, max_length=4, description="cut-offs for scores 2, 3, 4, 5")
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _monotonic(self) -> EvidenceRule:
        t = self.thresholds
        ordered = t == sorted(t) if self.higher_is_better else t == sorted(t, reverse=True)
        if not ordered:
            direction = "ascending" if self.higher_is_better else "descending"
            raise ValueError(f"thresholds must be {direction} when higher_is_better={self.higher_is_better}")
        return self

    def score(self, value: float) -> int:
        if self.higher_is_better:
            return 1 + sum(value >= t for t in self.thresholds)
        return 1 + sum(value <= t for t in self.thresholds)


class Criterion(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    description: str
    weight: float = Field(default=1.0, gt=0, le=10)
    track_weights: dict[Track, float] = Field(
        default_factory=dict, description="per-track weight overriding `weight`"
    )
    anchors: dict[int, str] = Field(description="what a 1, 2, 3, 4 and 5 answer looks like")
    evidence: EvidenceRule | None = Field(
        default=None, description="how the evidence-only grader scores it; None: LLM-only criterion"
    )

    @field_validator("anchors")
    @classmethod
    def _five_levels(cls, v: dict[int, str]) -> dict[int, str]:
        if sorted(v) != [1, 2, 3, 4, 5]:
            raise ValueError("anchors must define exactly levels 1, 2, 3, 4 and 5")
        return v

    def weight_for(self, track: Track | None) -> float:
        if track is not None and track in self.track_weights:
            return self.track_weights[track]
        return self.weight


class Band(_Strict):
    """An inclusive range of a measurement, e.g. words per minute."""

    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        return self

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.low:g}-{self.high:g}"


class Checks(_Strict):
    """Rules every grade must obey, evidence-only and LLM alike (applied by grading.verify).

    They keep a printed score from contradicting the printed evidence; a rule that lowers a
    score says so in the criterion's flags. Defaults here; a rubric file may override any of them.
    """

    pace_wpm: Band = Field(
        default_factory=lambda: Band(low=130, high=160),
        description="speaking rate a delivery score above 4 needs (this tool's own delivery advice)",
    )
    pace_far_wpm: Band = Field(
        default_factory=lambda: Band(low=115, high=175),
        description="outside this band delivery scores at most 3",
    )
    overtime_far_share: float = Field(
        default=0.1, ge=0, le=1,
        description="over the time budget: delivery at most 4; over by more than this share of it: at most 3",
    )
    short_answer_words: int = Field(default=60, ge=0, description="fewer words: no criterion above 2")
    brief_answer_words: int = Field(default=120, ge=0, description="fewer words: no criterion above 3")
    unfinished_cap: int = Field(
        default=2, ge=1, le=5, description="structure and result criteria of an answer that was cut off"
    )
    unreliable_cap: int = Field(default=3, ge=1, le=5, description="every criterion of an unreliable transcript")

    @model_validator(mode="after")
    def _consistent(self) -> Checks:
        if not (self.pace_far_wpm.low <= self.pace_wpm.low and self.pace_wpm.high <= self.pace_far_wpm.high):
            raise ValueError(f"pace_far_wpm ({self.pace_far_wpm}) must contain pace_wpm ({self.pace_wpm})")
        if self.short_answer_words > self.brief_answer_words:
            raise ValueError("short_answer_words must not exceed brief_answer_words")
        return self


class Rubric(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str
    version: str = "1"
    description: str = ""
    criteria: list[Criterion] = Field(min_length=1)
    checks: Checks = Field(default_factory=Checks, description="rules every grade must obey")

    @field_validator("criteria")
    @classmethod
    def _unique(cls, v: list[Criterion]) -> list[Criterion]:
        seen: set[str] = set()
        for c in v:
            if c.id in seen:
                raise ValueError(f"duplicate criterion id '{c.id}'")
            seen.add(c.id)
        return v

    def criterion(self, cid: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == cid), None)

    def weighted_mean(self, scores: dict[str, int], track: Track | None = None) -> float:
        total = weight = 0.0
        for c in self.criteria:
            if c.id in scores:
                w = c.weight_for(track)
                total += w * scores[c.id]
                weight += w
        return round(total / weight, 2) if weight else 1.0


DEFAULT_RUBRIC_ID = "core"


def load_rubric(path: Path) -> Rubric:
    """Load and validate one rubric file; every failure is a one-line RubricError."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError(f"rubric file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"cannot read rubric {path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise RubricError(f"{path}:{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise RubricError(f"{path}: expected a mapping with id, name and criteria")
    try:
        return Rubric.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _loc(err["loc"], raw)
        raise RubricError(f"{path}: {field}: {err['msg']}") from None


def _loc(loc: tuple[int | str, ...], raw: dict) -> str:
    """criteria[2].anchors -> criteria[2](metrics).anchors, so the user finds the entry."""
    parts: list[str] = []
    node: object = raw
    for p in loc:
        if isinstance(p, int):
            label = f"[{p}]"
            if isinstance(node, list) and p < len(node) and isinstance(node[p], dict) and "id" in node[p]:
                label += f"({node[p]['id']})"
            parts.append(label)
            node = node[p] if isinstance(node, list) and p < len(node) else None
        else:
            parts.append(("." if parts else "") + str(p))
            node = node.get(p) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def find_rubric(name_or_path: str | Path) -> Path:
    """A path to a file, or a rubric id looked up in the user dir, then the shipped ones."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        return candidate
    for folder in (user_rubrics_dir(), rubrics_dir()):
        for ext in (".yaml", ".yml"):
            p = folder / f"{name_or_path}{ext}"
            if p.is_file():
                return p
    known = ", ".join(sorted(p.stem for p in rubrics_dir().glob("*.yaml")))
    raise RubricError(f"unknown rubric '{name_or_path}' (known: {known}; or pass a .yaml path)")


def get_rubric(name_or_path: str | Path | None = None) -> Rubric:
    return load_rubric(find_rubric(name_or_path or DEFAULT_RUBRIC_ID))


def choose_rubric(question: Question, track: Track | None, override: str | Path | None = None) -> Rubric:
    """``override`` if given; else the most specific shipped or user rubric for round and track.

    Looked up by id, most specific first: ``<round>-<track>``, ``<round>``, ``<track>``, ``core``.
    """
    if override:
        return get_rubric(override)
    names = []
    if track is not None:
        names.append(f"{question.round.value}-{track.value}")
    names.append(question.round.value)
    if track is not None:
        names.append(track.value)
    for name in names:
        for folder in (user_rubrics_dir(), rubrics_dir()):
            path = folder / f"{name}.yaml"
            if path.is_file():
                return load_rubric(path)
    return get_rubric(DEFAULT_RUBRIC_ID)


def criterion_names(question: Question, track: Track | None) -> dict[str, str]:
    """Criterion id -> display name from the rubric ``question`` is graded with; {} when that
    rubric no longer loads (an edited or removed rubric only loses the pretty names)."""
    try:
        return {c.id: c.name for c in choose_rubric(question, track).criteria}
    except RubricError:
        return {}
