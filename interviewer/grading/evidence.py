"""The evidence-only grade: rubric thresholds applied to the analyzer's measurements.

This is what a user gets with no LLM configured; it is labelled ``grader="evidence"``. It is a
pure mapping "evidence -> score, rationale, quotes and advice": it reads one
:class:`~interviewer.models.Evidence` (measured once by :func:`interviewer.analysis.analyze` and
saved in ``evidence.json``) and measures nothing itself, so grading again, or checking an LLM
grade against it, costs no analysis.
"""

from __future__ import annotations

from ..models import STAR_PARTS, CriterionGrade, Evidence, Grade, Question, Track, Transcript
from ..rubric import Criterion, Metric, Rubric


def complexity_value(evidence: Evidence) -> float:
    """0-3: time complexity stated, space complexity stated, two time classes compared."""
    stated = evidence.structure.complexity
    time_classes = {s.cls for s in stated if s.kind == "time" and s.cls}
    return float(
        any(s.kind == "time" for s in stated) + any(s.kind == "space" for s in stated) + (len(time_classes) >= 2)
    )


def star_value(evidence: Evidence) -> float:
    """0-5: one per STAR part heard, one more for a result told with a number."""
    star = evidence.structure.star
    return float(len(star.present) + (1 if star.quantified_results else 0))


# --- Metrics -----------------------------------------------------------------------------------


def evidence_metrics(evidence: Evidence) -> dict[Metric, float]:
    """Every metric a rubric rule may name, read off one Evidence object."""
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    sig = evidence.structure
    explicit = len(asm.statements) + len(asm.clarifying_questions)
    if asm.expected:
        stated = sum(1 for d in asm.expected if asm.stated.get(d))
        # Naming the expected dimensions matters most; saying "my assumption is" earns the rest.
        coverage = 0.7 * stated / len(asm.expected) + 0.3 * min(1.0, explicit / 2)
    else:
        coverage = min(1.0, explicit / 2)
    acted = len(own.i_actor) + len(own.we_actor) + len(own.hypothetical)
    # Judge who did the work, not the word: "we" as a friendly word costs nothing by itself, and
    # "I" said with no action told ("I I I I I", "I think") proves no ownership: at most half.
    actor_balance = len(own.i_actor) / acted if acted else min(0.5, own.i_share or 0.0)
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
        "structure.star": star_value(evidence),
        "structure.quantified_results": float(len(sig.star.quantified_results)),
        "clarifying.count": float(len(asm.clarifying_questions)),
        "clarifying.upfront": float(len(sig.upfront)),
        "tradeoffs.count": float(len(sig.tradeoffs)),
        "complexity.stated": complexity_value(evidence),
        "rigor.count": float(len(sig.rigor)),
        "edge_cases.count": float(len(sig.edge_cases)),
    }


def _structure_reason(metric: str, evidence: Evidence) -> str | None:
    """The rationale of a structure metric; None for the other families."""
    sig = evidence.structure
    if metric.startswith("structure"):
        star = sig.star
        heard = ", ".join(star.present) or "none"
        missing = f" (missing: {', '.join(star.missing)})" if star.missing else ""
        return f"STAR parts heard: {heard}{missing}; {len(star.quantified_results)} result sentence(s) with a number"
    if metric.startswith("clarifying"):
        asm = evidence.assumptions
        total = len(asm.clarifying_questions) + len(asm.statements)
        return (
            f"{len(asm.clarifying_questions)} clarifying question(s), {len(asm.statements)} assumption statement(s); "
            f"{len(sig.upfront)} of {total} in the first third of the answer"
        )
    if metric.startswith("tradeoffs"):
        return f"{len(sig.tradeoffs)} sentence(s) weighing options or their cost"
    if metric.startswith("complexity"):
        time = sorted({s.cls or "?" for s in sig.complexity if s.kind == "time"})
        space = sorted({s.cls or "?" for s in sig.complexity if s.kind == "space"})
        said = "time: " + (", ".join(f"O({c})" for c in time) if time else "not stated")
        said += "; space: " + (", ".join(f"O({c})" for c in space) if space else "not stated")
        return said.replace("O(?)", "mentioned")
    if metric.startswith("rigor"):
        names = ", ".join(f.detail or "?" for f in sig.rigor) or "none"
        return f"{len(sig.rigor)} validation practice(s) named: {names}"
    if metric.startswith("edge_cases"):
        return f"{len(sig.edge_cases)} sentence(s) on edge cases or testing aloud"
    return None


def _reason(criterion: Criterion, evidence: Evidence, value: float) -> str:
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    metric = criterion.evidence.metric if criterion.evidence else ""
    text = _structure_reason(metric, evidence)
    if text is not None:
        return text
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
    family = metric.split(".")[0]
    sig = evidence.structure
    texts: list[str]
    if family == "structure":
        star = sig.star
        texts = [f.quote for f in star.quantified_results] or [f.quote for p in STAR_PARTS if (f := getattr(star, p))]
    elif family == "clarifying":
        texts = [f.quote for f in (sig.upfront or asm.clarifying_questions)]
    elif family == "tradeoffs":
        texts = [f.quote for f in sig.tradeoffs]
    elif family == "complexity":
        texts = list(dict.fromkeys(s.quote for s in sig.complexity))
    elif family == "rigor":
        texts = [f.quote for f in sig.rigor]
    elif family == "edge_cases":
        texts = [f.quote for f in sig.edge_cases]
    elif family == "assumptions":
        texts = [f.quote for f in asm.statements + asm.clarifying_questions]
    elif family == "ownership":
        texts = [f.quote for f in own.we_actor + own.hypothetical + own.i_actor]
    elif family == "impact":
        texts = [f.quote for f in imp.before_after + imp.deltas + imp.vague_claims]
    else:
        texts = [f.quote for f in dlv.filler_findings]
    return list(dict.fromkeys(texts))[:3]  # one sentence can hold several findings


_ADVICE = {
    "assumptions": "Open with your assumptions out loud: scale (QPS, data size), latency budget, cost ceiling and the target metric{hidden}.",
    "ownership": "Say what you personally did: 'I designed', 'I decided' - keep 'we' for the team's context, not your actions.",
    "impact": "Quantify the result as before -> after with the business effect (e.g. 'P99 from 120 ms to 70 ms, CTR up 2 %').",
    "delivery": "Pause silently instead of filling; aim for a steady 130-160 words per minute.",
    "structure": "Tell it as STAR: two sentences of situation and task, most of the time on what you did, then the result with a number{missing}.",
    "clarifying": "Before solving, ask (or state) the scale, the latency budget, the cost ceiling and the target metric - in the first minute, not halfway.",
    "tradeoffs": "Name the option you rejected and what your choice cost: 'X instead of Y, at the cost of Z' - in money, latency or accuracy.",
    "complexity": "State time and space complexity before being asked ('O(n log n) time, O(n) extra space') and compare it with the brute force.",
    "rigor": "Say how you know it worked: the baseline you beat, an ablation, held-out or A/B results with their uncertainty, and how you ruled out leakage.",
    "edge_cases": "Test aloud before you finish: empty input, one element, duplicates or ties, and the extreme values.",
}


# Where one metric of a family needs other advice than the family's.
_METRIC_ADVICE = {
    "impact.quantified_count": "Put numbers on it: scale (QPS, users, data and model size), the latency and cost budget, and the measured or expected effect.",
}


def _improvement(criterion: Criterion, evidence: Evidence, score: int) -> str | None:
    if score >= 5 or criterion.evidence is None:
        return None
    family = criterion.evidence.metric.split(".")[0]
    hidden = evidence.assumptions.hidden
    text = _METRIC_ADVICE.get(criterion.evidence.metric) or _ADVICE.get(family)
    if text is None:
        return None
    missing = evidence.structure.star.missing
    return text.format(
        hidden=f" - you never stated {', '.join(hidden)}" if hidden else "",
        missing=f" - missing here: {', '.join(missing)}" if missing else "",
    )


class EvidenceGrader:
    """Deterministic grade from rubric thresholds; criteria without an evidence rule are skipped."""

    def grade(
        self,
        question: Question,
        rubric: Rubric,
        transcript: Transcript,  # the Grader port's signature; everything measured is in evidence
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
