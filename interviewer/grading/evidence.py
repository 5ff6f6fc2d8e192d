"""The evidence-only grade: rubric thresholds applied to the analyzer's measurements.

This is what a user gets with no LLM configured; it is labelled ``grader="evidence"``.

Most metrics are read off the analyzer's :class:`~interviewer.models.Evidence`. A few criteria
(STAR structure, trade-offs, complexity, rigor, edge cases, clarifying up front) are measured
here from the transcript text with small regex heuristics (see "Text heuristics" below). Like the
analyzer's, they favour precision over recall, and every hit is quoted back to the user. They are
proxies: they hear that a trade-off or a baseline was named, not whether it was a good one. The
LLM grader judges that with the rubric's anchors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import CriterionGrade, Evidence, Finding, Grade, Question, Track, Transcript
from ..rubric import Criterion, Metric, Rubric

# --- Text heuristics ---------------------------------------------------------------------------

# A full stop after "e.g", "i.e" or "vs" does not end a sentence; decimals ("0.81") have no space.
_SENTENCE_END = re.compile(r"(?<!e\.g)(?<!i\.e)(?<!\bvs)[.!?]+[\"')\]]*(?=\s|$)|\n+", re.I)
_MAX_QUOTE = 240


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``: split on . ! ? and newlines, trimmed."""
    cuts = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    out: list[tuple[int, int]] = []
    for a, b in zip(cuts, cuts[1:]):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            out.append((a, b))
    return out


def _clip(text: str, span: tuple[int, int], match: tuple[int, int] | None = None) -> str:
    """The sentence as a quote; a very long one (unpunctuated speech) is cut around the match."""
    a, b = span
    if b - a > _MAX_QUOTE:
        mid = (match[0] + match[1]) // 2 if match else a
        a = max(a, min(mid - _MAX_QUOTE // 2, b - _MAX_QUOTE))
        b = a + _MAX_QUOTE
    return " ".join(text[a:b].split())


def _sentences_matching(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Quotes of the sentences in which ``pattern`` occurs, in order, each once."""
    found = []
    for span in sentence_spans(text):
        if m := pattern.search(text, span[0], span[1]):
            found.append(_clip(text, span, m.span()))
    return found


# STAR cues. Situation: setting the scene in the past; task: the goal, or what was asked of the
# candidate; action: a first-person past-tense act; result: an outcome phrase.
_SITUATION = re.compile(
    r"\b(?:at\s+(?:my\s+)?(?:previous|last|current|old|former)\s+(?:job|company|role|team|employer)"
    r"|at\s+the\s+time|back\s+(?:in|when|then)|(?:a\s+(?:few|couple\s+of)|two|three)\s+years\s+ago"
    r"|(?:last|that)\s+(?:year|quarter|summer|spring|fall|autumn|winter)|in\s+(?:19|20)\d\d"
    r"|when\s+I\s+(?:was|joined|worked|started)|I\s+was\s+(?:working|leading|running|the|a|an|on|in)"
    r"|(?:the\s+)?(?:situation|context|background|setting)\s+(?:was|is)"
    r"|(?:our|the)\s+(?:team|company|product|system|model|service|pipeline)\s+(?:was|had)"
    r"|we\s+(?:had|were)\s+(?:a|an|about|around|over))\b",
    re.I,
)
_TASK = re.compile(
    r"\b(?:my\s+(?:task|job|goal|role|responsibility|mandate|mission|assignment)"
    r"|I\s+was\s+(?:asked|tasked|responsible|supposed|assigned|given|hired|brought\s+in)"
    r"|I\s+(?:needed|had|wanted)\s+to|we\s+(?:needed|had)\s+to"
    r"|(?:the|our|my)\s+(?:goal|task|objective|problem|challenge|ask|target|mandate|deadline|requirement)"
    r"\s+(?:was|were|is))\b",
    re.I,
)
# "I needed", "I wanted" are states, not acts.
_NOT_ACTIONS = frozenset({"needed", "wanted", "used", "seemed", "liked", "felt", "hoped", "expected"})
_ACTION = re.compile(
    r"\bI\s+(?:then\s+|first\s+|also\s+|quickly\s+|personally\s+|finally\s+|eventually\s+)?"
    r"(?P<verb>[a-z]+ed|built|wrote|rewrote|ran|made|took|led|set|found|chose|drove|began|brought|put|"
    r"sent|spent|told|went|did|dug|sat|met|got|gave|kept|split|cut|shipped|sought|taught|thought|"
    r"caught|held|won|lost|rebuilt|bet|broke|spoke)\b",
    re.I,
)
_RESULT = re.compile(
    r"\b(?:as\s+a\s+result|the\s+(?:end\s+)?(?:result|outcome|impact|upshot|payoff)|in\s+the\s+end|"
    r"ultimately|resulted\s+in|(?:which|this|that|it)\s+(?:then\s+)?(?:led|meant|cut|reduced|saved|"
    r"brought|increased|improved|dropped|raised|lowered|lifted|boosted|doubled|halved|freed|unblocked)|"
    r"after\s+(?:the\s+)?(?:launch|rollout|roll-out|release|deployment)|we\s+(?:shipped|launched|saw|"
    r"ended\s+up|hit|reached|beat|met|delivered)|I\s+(?:shipped|launched|hit|reached|delivered|beat|met)|"
    r"went\s+(?:from|down|up)|by\s+the\s+end|what\s+I\s+learned|since\s+then)\b",
    re.I,
)
_HAS_NUMBER = re.compile(r"\d|\b(?:percent|doubled|tripled|quadrupled|halved|in\s+half|twice)\b", re.I)
_STAR = ("situation", "task", "action", "result")


@dataclass(frozen=True)
class StarParts:
    """Which STAR parts an answer has (a quote for each), and its quantified result sentences."""

    situation: str | None = None
    task: str | None = None
    action: str | None = None
    result: str | None = None
    quantified_results: list[str] = field(default_factory=list)

    @property
    def present(self) -> list[str]:
        return [p for p in _STAR if getattr(self, p)]

    @property
    def missing(self) -> list[str]:
        return [p for p in _STAR if not getattr(self, p)]

    @property
    def value(self) -> float:
        """0-5: one per STAR part heard, one more for a result told with a number."""
        return float(len(self.present) + (1 if self.quantified_results else 0))


def star_parts(text: str, evidence: Evidence | None = None) -> StarParts:
    """Situation / task / action / result cues in ``text``; a before->after or delta is a result.

    An action is a first-person past-tense act ("I rewrote"), or any actor finding of the analyzer
    ("we shipped" too: whose action it was is the ownership criterion's business, not STAR's).
    """
    numbers = [n.quote.lower() for n in evidence.impact.numbers if n.quote] if evidence else []
    found: dict[str, str] = {}
    quantified: list[str] = []
    for span in sentence_spans(text):
        sentence = text[span[0] : span[1]]
        for part, pattern in (("situation", _SITUATION), ("task", _TASK), ("result", _RESULT)):
            if part not in found and (m := pattern.search(sentence)):
                found[part] = _clip(text, span, (span[0] + m.start(), span[0] + m.end()))
        if "action" not in found:
            for m in _ACTION.finditer(sentence):
                if m.group("verb").lower() not in _NOT_ACTIONS:
                    found["action"] = _clip(text, span, (span[0] + m.start(), span[0] + m.end()))
                    break
        low = sentence.lower()
        if _RESULT.search(sentence) and (_HAS_NUMBER.search(sentence) or any(n in low for n in numbers)):
            quantified.append(_clip(text, span))
    if evidence is not None:
        changes = evidence.impact.before_after + evidence.impact.deltas
        if changes and "result" not in found:
            found["result"] = changes[0].quote
        for f in changes:
            if not any(f.quote in q or q in f.quote for q in quantified):
                quantified.append(f.quote)
        actors = evidence.ownership.i_actor + evidence.ownership.we_actor
        if actors and "action" not in found:
            found["action"] = actors[0].quote
    return StarParts(quantified_results=quantified, **found)


# Weighing one option against another, or naming what a choice costs.
_TRADEOFF = re.compile(
    r"\b(?:trade[\s-]?offs?|trading\s+off|versus|vs|on\s+the\s+other\s+hand|instead\s+of|rather\s+than|"
    r"at\s+the\s+(?:cost|expense|price)\s+of|in\s+exchange\s+for|cheaper|more\s+expensive|less\s+expensive|"
    r"(?:but|and)\s+(?:it|that|this)\s+costs?|costs?\s+(?:more|less)|the\s+(?:downside|drawback|catch|price)|"
    r"downsides?|drawbacks?|pros\s+and\s+cons|sacrific\w*|whereas|cost[\s-]benefit|not\s+worth)\b",
    re.I,
)


def tradeoff_sentences(text: str) -> list[str]:
    """Sentences that weigh options ("A versus B", "instead of") or a cost ("at the cost of", "cheaper")."""
    return _sentences_matching(text, _TRADEOFF)


# Complexity: "O(n log n)", "big O of n", "O of one", "order n", "linear time", "constant extra space".
_CX_WORD = r"(?:n|m|k|v|e|d|h|w|l|b|q|one|1|log|logn|squared|cubed|times|plus|two|2)"
_BIG_O = re.compile(
    r"(?:(?i:\bbig[\s-]?o)\s*|(?<![\w.])[oO]\s*)\((?P<paren>[^()\n]{1,30}?(?:\([^()\n]{0,12}\))?[^()\n]{0,12}?)\)"
    r"|(?i:(?:\bbig[\s-]?o(?:\s+of)?|\bo\s+of|\border(?:\s+of)?)\s+(?P<spoken>(?:n|k|m|v|e|log|one|1)\b"
    rf"(?:\s+{_CX_WORD}\b){{0,5}}))"
)
_CX_NAMED = re.compile(
    r"\b(?P<cls>constant|linear|logarithmic|log|quadratic|cubic|exponential|linearithmic|polynomial|"
    r"sub-?linear|n\s+log\s+n)\s+(?:extra\s+|additional\s+|auxiliary\s+)?(?P<kind>time|space|memory|runtime)\b"
    r"|\b(?P<kind2>time|space|memory|runtime)\s+complexity\b",
    re.I,
)
_CX_KIND_AFTER = re.compile(r"\s*(?:extra\s+|additional\s+|auxiliary\s+)?(time|space|memory|runtime)\b", re.I)
_CX_KIND_BEFORE = re.compile(
    r"\b(time|space|memory|runtime)(?:\s+complexity)?\s*(?:is|of|would\s+be|will\s+be|becomes|stays|:)?"
    r"\s*(?:just|only|still|also)?\s*$",
    re.I,
)
_CX_CLASS_WORDS = {
    "constant": "1", "linear": "n", "logarithmic": "logn", "log": "logn", "quadratic": "n^2",
    "cubic": "n^3", "exponential": "2^n", "linearithmic": "nlogn", "polynomial": "poly",
    "sublinear": "sublinear", "sub-linear": "sublinear", "nlogn": "nlogn",
}  # fmt: skip


@dataclass(frozen=True)
class ComplexityStatement:
    quote: str  # the sentence it was said in
    kind: str  # "time" or "space"
    cls: str | None  # normalised class ("n", "nlogn", "1", ...) when one was named


def _norm_cx(expr: str) -> str:
    """"n log n" / "N log(N)" -> "nlogn"; "one" -> "1"; "n squared" / "n**2" -> "n^2"."""
    e = expr.lower().replace("**", "^").replace("\u00b2", "^2")
    e = re.sub(r"\bone\b", "1", e)
    e = re.sub(r"\s*\bsquared\b", "^2", e)
    e = re.sub(r"\s*\bcubed\b", "^3", e)
    e = re.sub(r"\btimes\b|[\s()*]", "", e)
    return re.sub(r"^n2$", "n^2", e)


def complexity_statements(text: str) -> list[ComplexityStatement]:
    """Every time or space complexity the answer states, with the class it names.

    Big-O is time unless "space"/"memory" follows it ("O(1) extra space") or precedes it
    ("space is O(n)").
    """
    out: list[ComplexityStatement] = []
    for span in sentence_spans(text):
        sentence = text[span[0] : span[1]]
        quote = _clip(text, span)
        for m in _BIG_O.finditer(sentence):
            after = _CX_KIND_AFTER.match(sentence, m.end())
            before = _CX_KIND_BEFORE.search(sentence, max(0, m.start() - 40), m.start())
            word = (after.group(1) if after else before.group(1) if before else "time").lower()
            kind = "space" if word in ("space", "memory") else "time"
            out.append(ComplexityStatement(quote, kind, _norm_cx(m.group("paren") or m.group("spoken"))))
        for m in _CX_NAMED.finditer(sentence):
            word = (m.group("kind") or m.group("kind2")).lower()
            cls = m.group("cls")
            out.append(
                ComplexityStatement(
                    quote,
                    "space" if word in ("space", "memory") else "time",
                    _CX_CLASS_WORDS.get(re.sub(r"\s+", "", cls.lower())) if cls else None,
                )
            )
    return out


def complexity_value(statements: list[ComplexityStatement]) -> float:
    """0-3: time complexity stated, space complexity stated, two time classes compared."""
    time_classes = {s.cls for s in statements if s.kind == "time" and s.cls}
    return float(
        any(s.kind == "time" for s in statements)
        + any(s.kind == "space" for s in statements)
        + (len(time_classes) >= 2)
    )


# How the answer shows it knows: validation and rigor practices, each counted once.
_RIGOR_CONCEPTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(rf"\b(?:{pattern})\b", re.I))
    for label, pattern in (
        ("baseline", r"baselines?"),
        ("ablation", r"ablat\w*"),
        ("held-out evaluation", r"held[\s-]?out|hold[\s-]?out|test\s+set|validation\s+set|out[\s-]of[\s-](?:time|sample)"),
        ("cross-validation", r"cross[\s-]?validat\w*|k[\s-]?fold|nested\s+cv"),
        ("significance", r"statistical(?:ly)?\s+significan\w*|significance|p[\s-]?values?|confidence\s+intervals?|"
                         r"error\s+bars?|standard\s+errors?|bootstrap\w*|random\s+seeds?|seeds"),
        ("online experiment", r"a\s*/\s*b(?:\s+tests?)?|ab\s+tests?|online\s+experiments?|controlled\s+experiments?|"
                              r"randomi[sz]ed|interleaving|holdback"),
        ("leakage check", r"leak(?:age|ed|s|ing|y)?"),
        ("error analysis", r"error\s+analysis|failure\s+analysis|slices?|per[\s-](?:segment|class|cohort)|"
                           r"confusion\s+matrix"),
        ("calibration", r"calibrat\w*|reliability\s+diagrams?"),
        ("offline vs online", r"offline\s+(?:metrics?|evaluation|eval)|online\s+metrics?|proxy\s+metrics?"),
        ("monitoring", r"monitor\w*|alert\w*|drift|dashboards?"),
        ("root cause", r"hypothes[ie]s|root\s+cause"),
        ("reproducibility", r"reproduc\w*|replicat\w*"),
        ("sample size", r"power\s+analysis|sample\s+sizes?|minimum\s+detectable"),
    )
)  # fmt: skip


def rigor_concepts(text: str) -> dict[str, str]:
    """Validation practices named in the answer (baseline, ablation, A/B test...) -> first sentence."""
    found: dict[str, str] = {}
    spans = sentence_spans(text)
    for label, pattern in _RIGOR_CONCEPTS:
        for span in spans:
            if m := pattern.search(text, span[0], span[1]):
                found[label] = _clip(text, span, m.span())
                break
    return found


# Testing aloud on edge cases (coding): "empty list", "duplicates", "no overlap", "let me trace".
_EDGE_CASE = re.compile(
    r"\b(?:edge\s+cases?|corner\s+cases?|empty\s+(?:list|array|input|string|set|tree|graph|matrix)|"
    r"(?:is|are|was|be)\s+empty|null|none\s+(?:input|value)|single\s+(?:element|item|node)|one\s+element|"
    r"duplicates?|negative\s+(?:numbers?|values?|weights?|inputs?)|zero\s+(?:weights?|length|size)|overflow|"
    r"no\s+overlap|(?:don't|do\s+not|doesn't|does\s+not)\s+overlap|ties?|out\s+of\s+bounds|off[\s-]by[\s-]one|"
    r"test\s+(?:it|this|case|cases|with|on)|let\s+me\s+(?:test|trace|walk\s+through|check|dry[\s-]run)|"
    r"dry[\s-]run|sanity\s+check|unit\s+tests?)\b",
    re.I,
)


def edge_case_sentences(text: str) -> list[str]:
    """Sentences that name an edge case or test the solution aloud."""
    return _sentences_matching(text, _EDGE_CASE)


# "Ask before solving": what counts as up front.
UPFRONT_SHARE = 1 / 3


def _squash(text: str) -> str:
    return " ".join(text.lower().split())


def upfront_clarifications(evidence: Evidence, transcript: Transcript | None) -> list[Finding]:
    """Clarifying questions and assumption statements made in the first third of the answer.

    The position is found by looking the quote up in the transcript text, else from its
    timestamp. Without a transcript every one counts (there is nothing to place them in).
    """
    asm = evidence.assumptions
    findings = asm.clarifying_questions + asm.statements
    if transcript is None or not transcript.text.strip():
        return findings
    text = _squash(transcript.text)
    end_time = transcript.duration_s or max((w.end for w in transcript.words), default=0.0)
    out = []
    for f in findings:
        pos = text.find(_squash(f.quote)[:80])
        if pos >= 0:
            early = pos <= UPFRONT_SHARE * len(text)
        elif f.start is not None and end_time:
            early = f.start <= UPFRONT_SHARE * end_time
        else:
            early = False
        if early:
            out.append(f)
    return out


@dataclass(frozen=True)
class TextSignals:
    """Everything the text heuristics found in one answer."""

    star: StarParts = field(default_factory=StarParts)
    tradeoffs: list[str] = field(default_factory=list)
    complexity: list[ComplexityStatement] = field(default_factory=list)
    rigor: dict[str, str] = field(default_factory=dict)
    edge_cases: list[str] = field(default_factory=list)
    upfront: list[Finding] = field(default_factory=list)


def text_signals(evidence: Evidence, transcript: Transcript | None = None) -> TextSignals:
    """Run every text heuristic once; without a transcript, only what the evidence gives."""
    text = transcript.text if transcript is not None else ""
    return TextSignals(
        star=star_parts(text, evidence),
        tradeoffs=tradeoff_sentences(text),
        complexity=complexity_statements(text),
        rigor=rigor_concepts(text),
        edge_cases=edge_case_sentences(text),
        upfront=upfront_clarifications(evidence, transcript),
    )


# --- Metrics -----------------------------------------------------------------------------------


def evidence_metrics(
    evidence: Evidence, transcript: Transcript | None = None, *, signals: TextSignals | None = None
) -> dict[Metric, float]:
    """Every metric a rubric rule may name, read off one Evidence object and the transcript."""
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    sig = signals or text_signals(evidence, transcript)
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
        "structure.star": sig.star.value,
        "structure.quantified_results": float(len(sig.star.quantified_results)),
        "clarifying.count": float(len(asm.clarifying_questions)),
        "clarifying.upfront": float(len(sig.upfront)),
        "tradeoffs.count": float(len(sig.tradeoffs)),
        "complexity.stated": complexity_value(sig.complexity),
        "rigor.count": float(len(sig.rigor)),
        "edge_cases.count": float(len(sig.edge_cases)),
    }


def _text_reason(metric: str, sig: TextSignals, evidence: Evidence) -> str | None:
    """The rationale of a text-heuristic metric; None for the analyzer's metrics."""
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
        names = ", ".join(sig.rigor) or "none"
        return f"{len(sig.rigor)} validation practice(s) named: {names}"
    if metric.startswith("edge_cases"):
        return f"{len(sig.edge_cases)} sentence(s) on edge cases or testing aloud"
    return None


def _reason(criterion: Criterion, evidence: Evidence, value: float, sig: TextSignals) -> str:
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    metric = criterion.evidence.metric if criterion.evidence else ""
    text = _text_reason(metric, sig, evidence)
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


def _quotes(criterion: Criterion, evidence: Evidence, sig: TextSignals) -> list[str]:
    metric = criterion.evidence.metric if criterion.evidence else ""
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    family = metric.split(".")[0]
    texts: list[str]
    if family == "structure":
        texts = sig.star.quantified_results or [q for p in _STAR if (q := getattr(sig.star, p))]
    elif family == "clarifying":
        texts = [f.quote for f in (sig.upfront or asm.clarifying_questions)]
    elif family == "tradeoffs":
        texts = sig.tradeoffs
    elif family == "complexity":
        texts = list(dict.fromkeys(s.quote for s in sig.complexity))
    elif family == "rigor":
        texts = list(dict.fromkeys(sig.rigor.values()))
    elif family == "edge_cases":
        texts = sig.edge_cases
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


def _improvement(criterion: Criterion, evidence: Evidence, score: int, sig: TextSignals) -> str | None:
    if score >= 5 or criterion.evidence is None:
        return None
    family = criterion.evidence.metric.split(".")[0]
    hidden = evidence.assumptions.hidden
    text = _METRIC_ADVICE.get(criterion.evidence.metric) or _ADVICE.get(family)
    if text is None:
        return None
    missing = sig.star.missing
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
        transcript: Transcript,
        evidence: Evidence,
        *,
        track: Track | None = None,
    ) -> Grade:
        sig = text_signals(evidence, transcript)
        metrics = evidence_metrics(evidence, transcript, signals=sig)
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
                    rationale=_reason(c, evidence, value, sig),
                    quotes=_quotes(c, evidence, sig),
                    improvement=_improvement(c, evidence, score, sig),
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
