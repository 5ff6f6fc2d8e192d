"""Structure and judgement: STAR parts, trade-offs, complexity, rigor, edge cases, asking up front.

Small cue-phrase rules, like the rest of the analyzer tuned for precision over recall: every hit is
quoted back to the user. They are proxies: they hear that a trade-off or a baseline was named, not
whether it was a good one; the LLM grader judges that with the rubric's anchors.

- STAR: situation (setting the scene in the past), task (the goal, or what was asked of the
  candidate), action (an actor finding of :mod:`.ownership`: "I rewrote", "we shipped"; whose
  action it was is the ownership criterion's business), result (an outcome phrase, or a before ->
  after pair or delta). A result sentence with a number is a quantified result.
- Trade-offs: a sentence weighing one option against another or naming what a choice costs.
  Sentences addressed to the grader ("ignore the rubric ... instead of ...") are not judgement.
- Complexity: big-O (written or spoken: "O of n log n") and named classes ("linear time"); big-O
  is time unless "space"/"memory" follows or precedes it.
- Rigor: validation practices (baseline, ablation, A/B test ...), each counted once.
- Up front: clarifying questions and assumption statements in the first third of the answer.
"""

from __future__ import annotations

import re

from interviewer.models import (
    ComplexityMention,
    Finding,
    ImpactEvidence,
    OwnershipEvidence,
    StarEvidence,
    StructureEvidence,
)

from .document import Document

__all__ = ["analyze_structure", "rigor_label_of"]

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
    r"\b(?:my\s+(?:(?:main|first|real|actual|specific)\s+)?(?:task|job|goal|role|responsibility|mandate|mission|assignment|brief)"
    r"|I\s+was\s+(?:asked|tasked|responsible|supposed|assigned|given|hired|brought\s+in|expected|in\s+charge|on\s+the\s+hook)"
    r"|we\s+were\s+(?:asked|tasked|responsible|supposed|expected|given)"
    r"|(?:asked|tasked|told|charged|wanted|needed)\s+(?:me|us|my\s+team|our\s+team)\s+(?:to|with)"
    r"|(?:I|we)\s+(?:needed|had|wanted|set\s+out|got|were\s+going)\s+to"
    r"|(?:the|our|my)\s+(?:(?:main|first|real|actual|whole|overall|specific|key|big|business)\s+)?"
    r"(?:goal|task|objective|problem|challenge|ask|target|mandate|deadline|requirement|aim|mission|brief)"
    r"(?:\s+(?:here|there|then|for\s+(?:me|us|the\s+\w+)))?\s+(?:was|were|is))\b",
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

_TRADEOFF = re.compile(
    r"\b(?:trade[\s-]?offs?|trading\s+off|versus|vs|on\s+the\s+other\s+hand|instead\s+of|rather\s+than|"
    r"at\s+the\s+(?:cost|expense|price)\s+of|in\s+exchange\s+for|cheaper|more\s+expensive|less\s+expensive|"
    r"(?:but|and)\s+(?:it|that|this)\s+costs?|costs?\s+(?:more|less)|the\s+(?:downside|drawback|catch|price)|"
    r"downsides?|drawbacks?|pros\s+and\s+cons|sacrific\w*|whereas|cost[\s-]benefit|not\s+worth)\b",
    re.I,
)


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

def _norm_cx(expr: str) -> str:
    """"n log n" / "N log(N)" -> "nlogn"; "one" -> "1"; "n squared" / "n**2" -> "n^2"."""
    e = expr.lower().replace("**", "^").replace("\u00b2", "^2")
    e = re.sub(r"\bone\b", "1", e)
    e = re.sub(r"\s*\bsquared\b", "^2", e)
    e = re.sub(r"\s*\bcubed\b", "^3", e)
    e = re.sub(r"\btimes\b|[\s()*]", "", e)
    return re.sub(r"^n2$", "n^2", e)


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


_EDGE_CASE = re.compile(
    r"\b(?:edge\s+cases?|corner\s+cases?|empty\s+(?:list|array|input|string|set|tree|graph|matrix)|"
    r"(?:is|are|was|be)\s+empty|null|none\s+(?:input|value)|single\s+(?:element|item|node)|one\s+element|"
    r"duplicates?|negative\s+(?:numbers?|values?|weights?|inputs?)|zero\s+(?:weights?|length|size)|overflow|"
    r"no\s+overlap|(?:don't|do\s+not|doesn't|does\s+not)\s+overlap|ties?|out\s+of\s+bounds|off[\s-]by[\s-]one|"
    r"test\s+(?:it|this|case|cases|with|on)|let\s+me\s+(?:test|trace|walk\s+through|check|dry[\s-]run)|"
    r"dry[\s-]run|sanity\s+check|unit\s+tests?)\b",
    re.I,
)



def _first_per_sentence(doc: Document, pattern: re.Pattern[str], kind: str) -> list[Finding]:
    """One finding per sentence in which ``pattern`` occurs, in order; detail = the cue heard."""
    out: list[Finding] = []
    seen: set[int] = set()
    for m in pattern.finditer(doc.text):
        si = doc.sentence_of(m.start())
        if si not in seen:
            seen.add(si)
            out.append(doc.sentence_finding(kind, m.start(), m.end(), " ".join(m.group().lower().split())))
    return out


def _first(doc: Document, pattern: re.Pattern[str], kind: str) -> Finding | None:
    m = pattern.search(doc.text)
    return doc.sentence_finding(kind, m.start(), m.end(), " ".join(m.group().lower().split())) if m else None


def _star(
    doc: Document, own: OwnershipEvidence, imp: ImpactEvidence, number_sentences: set[int]
) -> StarEvidence:
    actors = own.i_actor or own.we_actor
    action = actors[0].model_copy(update={"kind": "action"}) if actors else None
    results: list[Finding] = []
    quantified: list[Finding] = []
    seen: set[int] = set()
    for m in _RESULT.finditer(doc.text):
        si = doc.sentence_of(m.start())
        if si in seen:
            continue
        seen.add(si)
        results.append(doc.sentence_finding("result", m.start(), m.end(), " ".join(m.group().lower().split())))
        if si in number_sentences:
            quantified.append(results[-1])
    changes = imp.before_after + imp.deltas
    for f in changes:
        if not any(f.quote in q.quote or q.quote in f.quote for q in quantified):
            quantified.append(f)
    result = results[0] if results else (changes[0] if changes else None)
    return StarEvidence(
        situation=_first(doc, _SITUATION, "situation"),
        task=_first(doc, _TASK, "task"),
        action=action,
        result=result,
        quantified_results=quantified,
    )


def _complexity(doc: Document) -> list[ComplexityMention]:
    text = doc.text
    found: list[tuple[int, ComplexityMention]] = []

    def add(m: re.Match[str], word: str, cls: str | None) -> None:
        f = doc.sentence_finding("complexity", m.start(), m.end())
        kind = "space" if word in ("space", "memory") else "time"
        found.append((m.start(), ComplexityMention(quote=f.quote, start=f.start, end=f.end, kind=kind, cls=cls)))

    for m in _BIG_O.finditer(text):
        s0 = doc.sent_starts[doc.sentence_of(m.start())]
        after = _CX_KIND_AFTER.match(text, m.end())
        before = _CX_KIND_BEFORE.search(text, max(s0, m.start() - 40), m.start())
        word = (after.group(1) if after else before.group(1) if before else "time").lower()
        add(m, word, _norm_cx(m.group("paren") or m.group("spoken")))
    for m in _CX_NAMED.finditer(text):
        word = (m.group("kind") or m.group("kind2")).lower()
        cls = m.group("cls")
        add(m, word, _CX_CLASS_WORDS.get(re.sub(r"\s+", "", cls.lower())) if cls else None)
    found.sort(key=lambda pair: pair[0])
    return [c for _, c in found]


def _rigor(doc: Document) -> list[Finding]:
    out: list[Finding] = []
    for label, pattern in _RIGOR_CONCEPTS:
        if m := pattern.search(doc.text):
            out.append(doc.sentence_finding("rigor", m.start(), m.end(), label))
    return out


def rigor_label_of(text: str) -> tuple[tuple[int, int], str] | None:
    """The first validation practice ``text`` names, as (span, label); None if it names none."""
    found = [(m.span(), label) for label, pattern in _RIGOR_CONCEPTS if (m := pattern.search(text))]
    return min(found) if found else None


def analyze_structure(
    doc: Document,
    own: OwnershipEvidence,
    imp: ImpactEvidence,
    number_sentences: set[int],
    upfront: list[Finding],
) -> StructureEvidence:
    """STAR, trade-offs, complexity, rigor and edge cases of one answer (``upfront`` as given)."""
    return StructureEvidence(
        star=_star(doc, own, imp, number_sentences),
        tradeoffs=_first_per_sentence(doc, _TRADEOFF, "tradeoff"),
        complexity=_complexity(doc),
        rigor=_rigor(doc),
        edge_cases=_first_per_sentence(doc, _EDGE_CASE, "edge_case"),
        upfront=upfront,
    )
