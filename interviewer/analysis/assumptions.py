"""Assumptions: stated assumptions, clarifying questions and the dimensions made explicit.

Any lexicon term marks its dimension as stated; a few common, weak terms ("users", "traffic",
"team", "features"...) count only in a sentence that also holds a number or is a question,
because "users click ads" does not state the scale.
"""

from __future__ import annotations

import re

from interviewer.models import AssumptionEvidence, Finding, Question

from .document import AnalyzerOptions, Document, per_sentence, tokens

__all__ = ["DIMENSION_LEXICON", "UPFRONT_SHARE", "analyze_assumptions", "dimension_hits"]

# "Ask before solving": a question or assumption in the first third of the answer is up front.
UPFRONT_SHARE = 1 / 3


DIMENSION_LEXICON: dict[str, tuple[str, ...]] = {
    "scale": (
        "qps", "rps", "requests per second", "queries per second", "requests per day",
        "requests/s", "req/s", "throughput", "dau", "mau", "daily active users",
        "monthly active users", "users", "traffic", "volume", "peak", "concurrent",
        "million records", "million users", "billion", "scale", "load", "requests",
    ),
    "latency": (
        "latency", "ms", "millisecond", "p50", "p90", "p95", "p99", "p999", "real time",
        "realtime", "near real time", "batch", "sla", "slo", "response time", "tail latency",
        "streaming", "inference time", "timeout",
    ),
    "cost": (
        "cost", "costly", "budget", "$", "dollar", "usd", "cheap", "cheaper", "expensive",
        "gpu hours", "frugal", "frugality", "spend", "pricing", "price", "savings", "roi",
        "cost-effective",
    ),
    "data": (
        "data set", "dataset", "labels", "labeled", "labelled", "labeling", "labelling",
        "annotation", "training data", "ground truth", "distribution", "features", "imbalance",
        "imbalanced", "class imbalance", "samples", "rows", "data quality", "drift", "leakage",
        "skew", "missing values", "cold start", "logs",
    ),
    "hardware": (
        "gpu", "cpu", "tpu", "memory", "ram", "vram", "mobile", "edge device", "on-device",
        "edge", "cluster", "instances", "a100", "h100", "v100", "accelerator", "cores", "nodes",
        "hardware", "disk", "storage", "server", "device",
    ),
    "metric": (
        "precision", "recall", "auc", "roc", "ctr", "click-through rate", "accuracy", "f1",
        "ndcg", "mrr", "conversion", "kpi", "metric", "north star", "engagement", "retention",
        "revenue", "a/b test", "rmse", "log loss", "calibration", "success criteria",
    ),
    "constraints": (
        "constraint", "requirement", "privacy", "compliance", "regulation", "regulatory", "gdpr",
        "bandwidth", "interpretability", "interpretable", "explainability", "explainable",
        "fairness", "security", "legal", "limit", "limited", "can't exceed", "must not",
        "no more than", "at most",
    ),
    "timeline": (
        "timeline", "deadline", "weeks", "months", "quarter", "sprint", "launch date",
        "time frame", "timeframe", "schedule", "mvp", "milestone", "roadmap", "q1", "q2", "q3",
        "q4",
    ),
    "team": (
        "team", "teammates", "engineers", "headcount", "stakeholders", "product manager", "pm",
        "cross-functional", "partner team", "manager", "scientists", "people", "staffing",
        "on-call",
    ),
}  # fmt: skip
"""Terms that make an assumption dimension explicit (lowercase; plurals match too)."""

# Common words that state a dimension only next to a number or in a question.
_WEAK_TERMS = frozenset(
    {"users", "traffic", "volume", "requests", "load", "scale", "features", "rows", "samples",
     "team", "people", "engineers", "weeks", "months", "logs", "device", "server", "limit",
     "limited", "manager"}
)  # fmt: skip
# False friends, as (term, neighbour words): "batch norm" is not latency, "latency budget" is not
# cost, "edge case" is not hardware.
_DIM_BLOCK_NEXT = {
    "batch": frozenset({"norm", "normalization", "normalisation", "size", "sizes", "statistics",
                        "stats", "gradient", "gradients"}),
    "edge": frozenset({"case", "cases"}),
    "cluster": frozenset({"center", "centers", "centroid", "centroids", "assignment",
                          "assignments", "label", "labels"}),
    "metric": frozenset({"learning"}),
}  # fmt: skip
_DIM_BLOCK_PREV = {
    "batch": frozenset({"mini"}),
    "budget": frozenset({"latency", "time", "error", "memory", "token", "context", "privacy"}),
    "nodes": frozenset({"tree", "graph", "leaf", "child", "parent", "hidden"}),
}


def _build_dimension_index() -> tuple[dict[tuple[str, ...], list[tuple[str, str]]], int]:
    """Token n-gram (plurals included) -> [(dimension, term)], and the longest n."""
    index: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    longest = 1
    for dim, terms in DIMENSION_LEXICON.items():
        for term in terms:
            toks = tuple(tokens(term))
            forms = [toks]
            if toks[-1][-1].isalpha():
                forms += [(*toks[:-1], toks[-1] + "s"), (*toks[:-1], toks[-1] + "es")]
            for form in forms:
                entries = index.setdefault(form, [])
                if all(d != dim for d, _ in entries):
                    entries.append((dim, term))
            longest = max(longest, len(toks))
    return index, longest


_DIM_INDEX, _DIM_MAX_N = _build_dimension_index()
_DIM_FIRST = frozenset(key[0] for key in _DIM_INDEX)
_LEADING_NUMBER = re.compile(r"\d[\d.,]*")


def dimension_hits(doc: Document) -> dict[str, list[tuple[int, int, str]]]:
    """Lexicon terms per dimension as (start, end, term), longest term first at each word."""
    hits: dict[str, list[tuple[int, int, str]]] = {}
    covered: dict[str, int] = {}  # a shorter term inside a longer one is not a second hit
    toks, n_toks = doc.toks, len(doc.toks)
    for k, tok in enumerate(toks):
        start = doc.tok_starts[k]
        if tok not in _DIM_FIRST:
            # A unit glued to a number: "70ms", "5tb".
            lead = _LEADING_NUMBER.match(tok)
            if not lead or tok[lead.end() :] not in _DIM_FIRST:
                continue
            tok, start = tok[lead.end() :], start + lead.end()
        for n in range(min(_DIM_MAX_N, n_toks - k), 0, -1):
            key = (tok, *toks[k + 1 : k + n])
            if key not in _DIM_INDEX:
                continue
            if n > 1 and not all(doc.adjacent(i, "-") for i in range(k, k + n - 1)):
                continue  # "real. Time" is not "real time"
            end = doc.tok_ends[k + n - 1]
            for dim, term in _DIM_INDEX[key]:
                if covered.get(dim, -1) >= end:
                    continue
                if doc.tok(k - 1) in _DIM_BLOCK_PREV.get(term, ()):
                    continue
                if doc.tok(k + n) in _DIM_BLOCK_NEXT.get(term, ()):
                    continue
                covered[dim] = end
                hits.setdefault(dim, []).append((start, end, term))
    return hits


_ASSUMPTION_RE = re.compile(
    r"\b(?:assum(?:e|ed|es|ing|ption|ptions)|let's\s+(?:say|suppose|assume)|let\s+us\s+say|"
    r"given\s+that|suppos(?:e|ing)(?!\s+to\b)|for\s+(?:the\s+sake\s+of\s+)?simplicity|"
    r"for\s+the\s+sake\s+of\s+argument|presum(?:e|ing|ably))\b",
    re.I,
)
_CLARIFY_RE = re.compile(
    r"\b(?:i'd|i\s+would|i'll|i\s+will|i\s+want\s+to|i'd\s+want\s+to|i\s+would\s+want\s+to|"
    r"i'd\s+like\s+to|i\s+would\s+like\s+to|let\s+me|i'd\s+first|i\s+would\s+first)\s+"
    r"(?:first\s+|start\s+by\s+)?(?:ask|asking|clarify|clarifying|confirm|check\s+with)\b"
    r"|\b(?:can|could|may)\s+i\s+ask\b|\b(?:my\s+)?(?:first|one|another|a\s+quick)\s+question\b"
    r"|\bdo\s+we\s+(?:know|have)\b|\bis\s+it\s+(?:ok|okay|fair|safe)\s+to\b"
    r"|\bclarif(?:y|ying|ication)\b",
    re.I,
)
_ASSUMPTION_PREFIXES = ("assum", "suppos", "presum", "let", "given", "for")
_CLARIFY_FIRST = frozenset(
    """i'd i i'll let can could may my first one another a do is""".split()
)
_QUESTION_START = re.compile(
    r"\W*(?:(?:so|and|okay|ok|um|uh|well|first|firstly|also|then)\b[,\s]+)*"
    r"(?:what(?:'s|\s+is|\s+are)\s+the|how\s+(?:many|much|big|fast|often|large|long)|do\s+we|"
    r"does\s+(?:it|the|this)|is\s+(?:it|there|this)|are\s+(?:there|we)|can\s+we|should\s+we|"
    r"will\s+(?:we|it|the|this))\b",
    re.I,
)
_TAG_QUESTION = re.compile(
    r"(?:\b(?:right|okay|ok|yeah|yes|no|huh|you\s+know|see)|\b(?:does|did)\s+that\s+make\s+sense|"
    r"\bmakes?\s+sense)\s*\?[\"')\]]*$",
    re.I,
)
_RHETORICAL = re.compile(
    r"\b(?:what|why|how)\s+did\s+(?:i|we)\b|\bwhat\s+(?:happened|was\s+the\s+(?:result|impact|"
    r"outcome))\b|\bguess\s+what\b",
    re.I,
)


def analyze_assumptions(
    doc: Document, question: Question | None, qty_sentences: set[int], opts: AnalyzerOptions
) -> tuple[AssumptionEvidence, list[Finding]]:
    """The assumptions evidence, and the questions and statements made up front (first third)."""
    text = doc.text
    hits: list[tuple[int, int, str]] = []
    clarify_cue: dict[int, str] = {}  # sentence -> first clarifying phrase in it
    for k, tok in enumerate(doc.toks):
        start = doc.tok_starts[k]
        if tok.startswith(_ASSUMPTION_PREFIXES) and (m := _ASSUMPTION_RE.match(text, start)):
            if not (tok.startswith("suppos") and doc.tok(k - 1) == "i"):  # "I suppose" hedges
                hits.append((start, m.end(), " ".join(m.group().lower().split())))
        if tok in _CLARIFY_FIRST or tok.startswith("clarif"):
            m = _CLARIFY_RE.match(text, start)
            if m:
                cue = " ".join(m.group().lower().split())
                clarify_cue.setdefault(doc.sentence_of(start), cue)
    statements = per_sentence(doc, "assumption", hits)
    statement_sentences = list(dict.fromkeys(doc.sentence_of(h[0]) for h in hits))

    questions: list[Finding] = []
    question_sentences: set[int] = set()
    for si, (s, e) in enumerate(zip(doc.sent_starts, doc.sent_ends)):
        sentence = text[s:e]
        if sentence.rstrip("\"')]").endswith("?"):
            if _TAG_QUESTION.search(sentence) or _RHETORICAL.search(sentence):
                continue
            detail = "question"
        elif si in clarify_cue:
            detail = clarify_cue[si]
        elif _QUESTION_START.match(sentence):
            detail = "question"
        else:
            continue
        question_sentences.add(si)
        questions.append(doc.sentence_finding("clarifying_question", s, s, detail))

    stated: dict[str, list[Finding]] = {}
    for dim, dim_hits in dimension_hits(doc).items():
        kept = [
            h
            for h in dim_hits
            if h[2] not in _WEAK_TERMS
            or doc.sentence_of(h[0]) in qty_sentences
            or doc.sentence_of(h[0]) in question_sentences
        ]
        if kept:
            stated[dim] = per_sentence(doc, "dimension", kept, opts.max_findings_per_dimension)
    stated = {d: stated[d] for d in DIMENSION_LEXICON if d in stated}
    expected = list(question.dimensions) if question else []
    limit = UPFRONT_SHARE * len(text)
    asked = sorted(question_sentences)  # questions were found in sentence order
    upfront = [f for f, si in zip(questions, asked) if doc.sent_starts[si] <= limit]
    upfront += [f for f, si in zip(statements, statement_sentences) if doc.sent_starts[si] <= limit]
    evidence = AssumptionEvidence(
        statements=statements,
        clarifying_questions=questions,
        expected=expected,
        stated=stated,
        hidden=[d for d in expected if d not in stated],
    )
    return evidence, upfront
