"""The evidence-only grade: rubric thresholds applied to the analyzer's measurements.

This is what a user gets with no LLM configured; it is labelled ``grader="evidence"``.
"""

from __future__ import annotations

from ..models import CriterionGrade, Evidence, Grade, Question, Track, Transcript
from ..rubric import Criterion, Metric, Rubric


def evidence_metrics(evidence: Evidence) -> dict[Metric, float]:
    """Every metric a rubric rule may name, read off one Evidence object."""
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    explicit = len(asm.statements) + len(asm.clarifying_questions)
    if asm.expected:
        stated = sum(1 for d in asm.expected if asm.stated.get(d))
        # Naming the expected dimensions matters most; saying "my assumption is" earns the rest.
        coverage = 0.7 * stated / len(asm.expected) + 0.3 * min(1.0, explicit / 2)
    else:
        coverage = min(1.0, explicit / 2)
    acted = len(own.i_actor) + len(own.we_actor) + len(own.hypothetical)
    # Judge who did the work, not the word: "we" as a friendly word costs nothing by itself.
    actor_balance = len(own.i_actor) / acted if acted else (own.i_share or 0.0)
    strength = len(imp.numbers) + 2 * len(imp.before_after) + len(imp.deltas) - len(imp.vague_claims)
    return {
        "assumptions.coverage": round(coverage, 3),
        "assumptions.explicit_count": float(explicit),
        "ownership.i_share": own.i_share or 0.0,
        "ownership.actor_balance": round(actor_balance, 3),
        "impact.quantified_count": float(len(imp.numbers)),
        "impact.strength": float(max(0, strength)),
        "delivery.filler_rate": dlv.filler_rate or 0.0,
        "delivery.time_used": dlv.time_used or 0.0,
    }


def _reason(criterion: Criterion, evidence: Evidence, value: float) -> str:
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    metric = criterion.evidence.metric if criterion.evidence else ""
    if metric.startswith("assumptions"):
        stated = [d for d in asm.expected if asm.stated.get(d)]
        parts = [f"{len(asm.statements)} assumption statement(s), {len(asm.clarifying_questions)} clarifying question(s)"]
        if asm.expected:
            parts.append(f"made explicit {len(stated)}/{len(asm.expected)} expected dimensions")
        if asm.hidden:
            parts.append("hidden: " + ", ".join(asm.hidden))
        return "; ".join(parts)
    if metric.startswith("ownership"):
        return (
            f"'I' {own.i_count} vs 'we' {own.we_count}; "
            f"{len(own.i_actor)} action(s) with I as the actor, {len(own.we_actor)} with we, "
            f"{len(own.hypothetical)} hypothetical"
        )
    if metric.startswith("impact"):
        return (
            f"{len(imp.numbers)} number(s), {len(imp.before_after)} before->after, "
            f"{len(imp.deltas)} delta(s), {len(imp.vague_claims)} vague claim(s)"
        )
    if metric == "delivery.filler_rate":
        return f"{sum(dlv.fillers.values())} filler(s), {value:.1f} per 100 words"
    if metric == "delivery.time_used":
        return f"used {value:.0%} of the time budget"
    return f"{metric} = {value:g}"


def _quotes(criterion: Criterion, evidence: Evidence) -> list[str]:
    metric = criterion.evidence.metric if criterion.evidence else ""
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    if metric.startswith("assumptions"):
        found = asm.statements + asm.clarifying_questions
    elif metric.startswith("ownership"):
        found = own.we_actor + own.hypothetical + own.i_actor
    elif metric.startswith("impact"):
        found = imp.before_after + imp.deltas + imp.vague_claims
    else:
        found = dlv.filler_findings
    return [f.quote for f in found[:3]]


_ADVICE = {
    "assumptions": "Open with your assumptions out loud: scale (QPS, data size), latency budget, cost ceiling and the target metric{hidden}.",
    "ownership": "Say what you personally did: 'I designed', 'I decided' - keep 'we' for the team's context, not your actions.",
    "impact": "Quantify the result as before -> after with the business effect (e.g. 'P99 from 120 ms to 70 ms, CTR up 2 %').",
    "delivery": "Pause silently instead of filling; aim for a steady 130-160 words per minute.",
}


def _improvement(criterion: Criterion, evidence: Evidence, score: int) -> str | None:
    if score >= 5 or criterion.evidence is None:
        return None
    family = criterion.evidence.metric.split(".")[0]
    hidden = evidence.assumptions.hidden
    text = _ADVICE.get(family)
    if text is None:
        return None
    return text.format(hidden=f" - you never stated {', '.join(hidden)}" if hidden else "")


class EvidenceGrader:
    """Deterministic grade from rubric thresholds; criteria without an evidence rule are skipped."""

    def grade(
        self,
        question: Question,
        rubric: Rubric,
        transcript: Transcript,
        evidence: Evidence,
        *,
        track: Track | None = None,
    ) -> Grade:
        metrics = evidence_metrics(evidence)
        criteria: list[CriterionGrade] = []
        for c in rubric.criteria:
            if c.evidence is None:
                continue
            value = metrics[c.evidence.metric]
            # An empty answer earns nothing, whatever a "lower is better" rule would say.
            score = c.evidence.score(value) if evidence.delivery.word_count else 1
            criteria.append(
                CriterionGrade(
                    criterion=c.id,
                    score=score,
                    rationale=_reason(c, evidence, value),
                    quotes=_quotes(c, evidence),
                    improvement=_improvement(c, evidence, score),
                )
            )
        scores = {g.criterion: g.score for g in criteria}
        weakest = min(criteria, key=lambda g: (g.score, -rubric.criterion(g.criterion).weight_for(track)), default=None)  # type: ignore[union-attr]
        return Grade(
            grader="evidence",
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            criteria=criteria,
            overall=rubric.weighted_mean(scores, track),
            strengths=[
                f"{rubric.criterion(g.criterion).name}: {g.rationale}"  # type: ignore[union-attr]
                for g in criteria
                if g.score >= 4
            ][:3],
            top_fix=weakest.improvement if weakest else None,
        )
