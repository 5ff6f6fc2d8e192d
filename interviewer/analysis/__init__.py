"""Deterministic evidence analyzer: every measurement of one answer, by rules, no model.

:func:`analyze` is the single entry point: it builds one normalised document of the transcript
(:mod:`.document`, with the project's one sentence splitter) and runs each pass over it once:
numbers and impact, ownership, assumptions, structure and judgement (STAR, trade-offs,
complexity, rigor, edge cases, asking up front), delivery, and the question's signals. The
result is one :class:`~interviewer.models.Evidence`, saved whole in ``evidence.json``; graders
only read it, nothing is measured twice.

Heuristics, tuned for precision over recall: every finding is quoted back to the user and the
grader, so a wrong one costs more than a missed one. The passes run anchored regexes only at
candidate tokens of one tokenisation, because scanning the whole text with big alternations is
what makes such code slow.
"""

from __future__ import annotations

import logging

from interviewer.models import DEFAULT_TIME_BUDGET_S, Evidence, Question, Transcript

from .assumptions import DIMENSION_LEXICON, analyze_assumptions
from .delivery import analyze_delivery
from .document import AnalyzerOptions, build_document, sentence_spans
from .impact import analyze_impact
from .numbers import quantities
from .ownership import analyze_ownership
from .signals import judge_signals
from .structure import analyze_structure

__all__ = ["DIMENSION_LEXICON", "AnalyzerOptions", "analyze", "sentence_spans"]

logger = logging.getLogger(__name__)


def analyze(
    transcript: Transcript,
    question: Question | None = None,
    *,
    time_budget_s: int | None = None,
    options: AnalyzerOptions | None = None,
) -> Evidence:
    """Measure one answer: ownership, impact, assumptions, structure, delivery, signals.

    The time budget is ``time_budget_s`` if given, else the question's, else 12 minutes.
    """
    opts = options or AnalyzerOptions()
    if time_budget_s is not None:
        budget = time_budget_s
    elif question is not None:
        budget = question.time_budget_s
    else:
        budget = DEFAULT_TIME_BUDGET_S
    doc = build_document(transcript, opts.max_quote_chars)
    qtys = quantities(doc)
    qty_sentences = {doc.sentence_of(q.start) for q in qtys if not q.year and not q.label}
    ownership = analyze_ownership(doc)
    impact = analyze_impact(doc, qtys)
    assumptions, upfront = analyze_assumptions(doc, question, qty_sentences, opts)
    evidence = Evidence(
        ownership=ownership,
        impact=impact,
        assumptions=assumptions,
        delivery=analyze_delivery(doc, transcript, budget, opts),
        structure=analyze_structure(doc, ownership, impact, qty_sentences, upfront),
        addressed_to_grader=[
            doc.finding("to_grader", doc.sent_starts[si], doc.sent_ends[si]) for si in doc.to_grader
        ],
    )
    if question is not None and question.signals:
        evidence.signals = judge_signals(question.signals, evidence)
    logger.debug(
        "analyzed %d words: %d numbers, %d fillers",
        evidence.delivery.word_count,
        len(evidence.impact.numbers),
        len(evidence.delivery.filler_findings),
    )
    return evidence
