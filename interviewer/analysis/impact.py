"""Impact: numbers with units, before -> after pairs, deltas and vague claims.

- A bare number joined to one with a unit takes its unit ("from 120 to 70 ms", "10-20%"); a
  metric named just before a bare number becomes its unit ("AUC of 0.86" -> unit "auc"). Scales
  are not propagated ("1.2 to 2 million" keeps 1.2).
- Before -> after needs "from A to B", an arrow ("A -> B"), or "A to B" in a sentence with a
  change word ("reduced", "went", "faster"...). "anywhere from / ranging from" are ranges.
- Vague claims are judged per sentence: a claim is vague when its own sentence has no impact
  number, even if the next sentence quantifies it.
"""

from __future__ import annotations

import re

from interviewer.models import Finding, ImpactEvidence, NumberMention

from .document import Document
from .numbers import Quantity, format_quantity

__all__ = ["analyze_impact"]


_QUALIFIER = (
    r"(?:about|around|roughly|approximately|approx\.?|just|only|under|below|over|above|nearly|"
    r"almost|like|~)"
)
_RANGE_JOIN = re.compile(
    rf"\s*(?:-+>?|→|=>|to|and|or|down\s+to|up\s+to|into|vs\.?|versus)\s*(?:{_QUALIFIER}\s*)?",
    re.I,
)
_PAIR_JOIN = re.compile(
    r"\s*,?\s*(?P<j>(?:all\s+the\s+way\s+)?(?:down\s+|up\s+)?to|-+>|→|=>|into)"
    rf"\s*(?:{_QUALIFIER}\s*)?",
    re.I,
)
_FROM_BEFORE = re.compile(rf"\bfrom\s+(?:{_QUALIFIER}\s+)?$", re.I)
_RANGE_FROM = re.compile(
    r"\b(?:anywhere|somewhere|range[sd]?|ranging|var(?:y|ies|ied|ying)|between)\s+from\s+\S*\s*$",
    re.I,
)
_CHANGE_RE = re.compile(
    r"\b(?:improv\w*|increas\w*|decreas\w*|reduc\w*|cut|cuts|cutting|drop\w*|lower\w*|rais\w*|"
    r"boost\w*|lift\w*|grew|grow\w*|gain\w*|sav(?:e|ed|es|ing|ings)|shav\w*|trim\w*|slash\w*|"
    r"shr[aiu]nk\w*|went|moved|brought|bring\w*|sped|speed\w*|fell|fall\w*|rose|"
    r"ris(?:e|es|ing)|jump\w*|climb\w*|doubl\w*|tripl\w*|halv\w*|shift\w*|faster|slower|"
    r"better|worse|cheaper|quicker|higher)\b",
    re.I,
)
_METRIC_NAMES = (
    r"auc(?:-roc)?|roc[\s-]auc|pr[\s-]auc|auroc|auprc|f1(?:[\s-]score)?|ndcg(?:@\d+)?|"
    r"precision(?:@\d+)?|recall(?:@\d+)?|accuracy|ctr|click[\s-]through[\s-]rate|mrr|map@\d+|"
    r"rmse|mae|mse|log[\s-]?loss"
)
_METRIC_BEFORE = re.compile(
    rf"\b(?P<metric>{_METRIC_NAMES})\s*(?:(?:score|was|is|of|at|=|:|from|went|moved|improved|"
    r"increased|rose|jumped|dropped|fell|climbed|got|to|around|about|roughly|~|up|down|by)"
    r"\s*){0,4}$",
    re.I,
)
_DELTA_BEFORE = re.compile(
    r"\b(?P<cue>by(?:\s+a\s+factor\s+of)?|up|down)\s+"
    r"(?:(?:about|around|roughly|approximately|almost|nearly|over|more\s+than|less\s+than|"
    r"another|an\s+additional|a\s+further|a\s+full|~)\s*)?$",
    re.I,
)
_DELTA_AFTER = re.compile(
    r"\s*-?\s*(?:(?!(?:of|in|to|for|on|at|the|a|an|and|or)\b)[a-z]+\s+)?"
    r"(?P<cue>reductions?|decreases?|increases?|improvements?|lifts?|uplifts?|gains?|boosts?|"
    r"drops?|declines?|jumps?|cuts?|savings?|speed-?ups?|wins?|growth|faster|slower|better|"
    r"worse|cheaper|quicker|higher|lower|smaller|larger|bigger|fewer|more|less|lighter|shorter)\b",
    re.I,
)
_VERB_BEFORE = re.compile(
    r"\b(?P<cue>saved|saving|saves|save|cut|cutting|shaved|shaving|gained|gaining|lifted|boosted|"
    r"improved|reduced|increased|dropped|decreased|lowered|trimmed|slashed|freed|recovered|"
    r"knocked)\s+"
    r"(?:(?!(?:to|from|of|for|in|on|at|with|across|under|than|per|by)\b)[\w'$-]+\s+){0,3}$",
    re.I,
)
_RESOURCE_UNITS = frozenset(
    """gpus cpus tpus cores servers machines nodes instances replicas shards engineers people
    scientists annotators teams""".split()
)
_IMPACT_ADJ = (
    r"efficient|scalable|reliable|robust|accurate|stable|performant|responsive|productive|"
    r"maintainable|engaging|relevant|precise|effective|profitable"
)
_INTENSIFIER = (
    r"a\s+lot|much|way|far|significantly|substantially|dramatically|drastically|considerably|"
    r"greatly|vastly|massively|hugely|tremendously|noticeably|markedly|meaningfully|so\s+much|"
    r"quite\s+a\s+bit|a\s+ton"
)
_PAST_CHANGE = (
    r"improved|boosted|increased|reduced|decreased|lowered|raised|optimi[sz]ed|sped\s+up|cut|"
    r"lifted|enhanced|drove|grew|saved|streamlined"
)
_VAGUE_RE = re.compile(
    rf"\b(?:{_INTENSIFIER})\s+(?:faster|better|cheaper|quicker|slower|higher|lower|smaller|"
    rf"leaner|easier|more\s+(?:{_IMPACT_ADJ})|less\s+\w+|fewer\s+\w+|improved|reduced|increased|"
    r"decreased|boosted|lowered|raised)\b"
    r"|\b(?:huge|big|massive|major|significant|substantial|dramatic|tremendous|great|large|real|"
    r"measurable|noticeable|meaningful|positive|considerable|solid)\s+(?:business\s+)?(?:impact|"
    r"improvements?|wins?|gains?|boosts?|difference|reductions?|increases?|savings?|lifts?|"
    r"speed-?ups?|uplift|results|success)\b"
    rf"|\b(?:{_PAST_CHANGE})\s+(?:(?:the|our|its|their|overall|a|lot|of)\s+)*(?:it|things|"
    r"everything|them|latency|costs?|spend|time|performance|accuracy|precision|recall|ctr|"
    r"conversion|revenue|engagement|retention|throughput|quality|model|efficiency|errors?|churn|"
    r"memory|speed|metrics?|kpis?|results|user\s+experience|customer\s+experience|money|"
    r"reliability|stability|scalability|coverage)\b"
    rf"|\bmade\s+(?:it|things|everything|the\s+\w+)\s+(?:(?:{_INTENSIFIER})\s+)?"
    rf"(?:more\s+(?:{_IMPACT_ADJ})|faster|better|cheaper|quicker|leaner|easier)\b"
    rf"|\bmore\s+(?:{_IMPACT_ADJ})\b(?=[^.!?]*\b(?:than\s+before|now|after)\b)",
    re.I,
)
# First words of every _VAGUE_RE branch, to try the regex only where it can match.
_VAGUE_FIRST = frozenset(
    """a much way far significantly substantially dramatically drastically considerably greatly
    vastly massively hugely tremendously noticeably markedly meaningfully so quite huge big
    massive major significant substantial dramatic tremendous great large real measurable
    noticeable meaningful positive considerable solid improved boosted increased reduced
    decreased lowered raised optimized optimised sped cut lifted enhanced drove grew saved
    streamlined made more""".split()
)
# "much better than in week five", "than last quarter", "than v2": a comparison with a named point
# in time or a version is a claim the candidate can be asked about, not a vague one.
_ANCHORED_COMPARISON = re.compile(
    r"\s+than\s+(?:(?:in|at|during|on|with|before|after|the|our|that|it\s+was|we\s+had)\s+)*"
    r"(?:(?:last|previous|prior|first|original|old)\s+(?:week|month|quarter|year|release|version|model|launch)"
    r"|(?:week|month|quarter|sprint|day|version|release|phase|v)\s*\d+"
    r"|(?:week|month|quarter|sprint|day|version|release|phase)\s+(?:one|two|three|four|five|six|seven|eight|nine|ten))\b",
    re.I,
)
_RAISED_ISSUE = re.compile(r"raised\s+(?:it|them|this|that)$", re.I)
_METRIC_ALIASES = {
    "auc-roc": "auc", "roc auc": "auc", "roc-auc": "auc", "auroc": "auc", "f1 score": "f1",
    "f1-score": "f1", "click through rate": "ctr", "click-through rate": "ctr",
    "click-through-rate": "ctr", "logloss": "log loss", "log-loss": "log loss",
}  # fmt: skip


def analyze_impact(doc: Document, qtys: list[Quantity]) -> ImpactEvidence:
    text = doc.text
    live = [q for q in qtys if not q.year and not q.label]
    sent = [doc.sentence_of(q.start) for q in live]

    # A metric named just before a bare number is its unit: "AUC of 0.86".
    for q, si in zip(live, sent):
        if q.bare:
            m = _METRIC_BEFORE.search(text, max(doc.sent_starts[si], q.start - 40), q.start)
            if m:
                name = " ".join(m.group("metric").lower().split())
                q.unit = _METRIC_ALIASES.get(name, name)
    # Neighbours joined by "to", "-", "and" share a unit: "from 120 to 70 ms", "10-20%".
    for k in range(len(live) - 1):
        p, q = live[k], live[k + 1]
        if sent[k] == sent[k + 1] and (p.unit is None) != (q.unit is None):
            if _RANGE_JOIN.fullmatch(text, p.end, q.start):
                p.unit = p.unit or q.unit
                q.unit = q.unit or p.unit

    change_cache: dict[int, bool] = {}

    def has_change(si: int) -> bool:
        """Whether sentence si has a change word ("reduced", "went", "faster")."""
        if si not in change_cache:
            change_cache[si] = _CHANGE_RE.search(doc.sentence_text(si)) is not None
        return change_cache[si]

    before_after: list[Finding] = []
    paired: set[int] = set()
    for k in range(len(live) - 1):
        p, q = live[k], live[k + 1]
        if sent[k] != sent[k + 1] or k in paired:
            continue
        j = _PAIR_JOIN.fullmatch(text, p.end, q.start)
        if not j:
            continue
        s0 = doc.sent_starts[sent[k]]
        window = text[max(s0, p.start - 40) : p.start]
        is_from = bool(_FROM_BEFORE.search(window)) and not _RANGE_FROM.search(window)
        is_arrow = j.group("j") in ("->", "→", "=>") or j.group("j").startswith("-")
        changed = j.group("j").lower().endswith("to") and has_change(sent[k])
        if not (is_from or is_arrow or changed):
            continue  # "10 to 20 ms" is a range, not a result
        p.keep = q.keep = True
        paired.update((k, k + 1))
        start = p.start
        fm = _FROM_BEFORE.search(window)
        if fm:
            start = max(s0, p.start - 40) + fm.start()
        detail = f"{format_quantity(p.value, p.unit)} -> {format_quantity(q.value, q.unit)}"
        before_after.append(doc.sentence_finding("before_after", start, q.end, detail))

    deltas: list[Finding] = []
    for k, (q, si) in enumerate(zip(live, sent)):
        if k in paired:
            continue
        s0, s1 = doc.sent_starts[si], doc.sent_ends[si]
        cue: str | None = None
        if q.unit == "x" and q.keep:  # doubled, cut in half
            cue = doc.quote(q.start, q.end).lower()
            detail = f"{cue} ({format_quantity(q.value, 'x')})"
        else:
            # Only a number with a unit: "30% reduction", "cut 30 ms", not "3 more models";
            # and not resources: "set up 2 GPUs" is not a change of 2 GPUs.
            has_unit = (q.unit is not None or q.scaled) and q.unit not in _RESOURCE_UNITS
            mb = _DELTA_BEFORE.search(text, max(s0, q.start - 40), q.start)
            if mb and mb.group("cue").lower() in ("up", "down") and not has_unit:
                mb = None
            ma = _DELTA_AFTER.match(text, q.end, min(s1, q.end + 40)) if has_unit else None
            mv = _VERB_BEFORE.search(text, max(s0, q.start - 60), q.start) if has_unit else None
            if mb and mb.group("cue").lower().startswith("by a factor"):
                q.unit = q.unit or "x"
                cue, detail = "by a factor of", f"by a factor of {format_quantity(q.value, q.unit)}"
            elif mb and (mb.group("cue").lower() != "by" or has_change(si)):
                cue = mb.group("cue").lower()
                detail = f"{cue} {format_quantity(q.value, q.unit)}"
            elif ma:
                cue = ma.group("cue").lower()
                detail = f"{format_quantity(q.value, q.unit)} {cue}"
            elif mv:
                cue = mv.group("cue").lower()
                detail = f"{cue} {format_quantity(q.value, q.unit)}"
        if cue is None:
            continue
        q.keep = True
        deltas.append(doc.sentence_finding("delta", q.start, q.end, detail))

    numbers: list[NumberMention] = []
    number_sentences: set[int] = set()
    for q, si in zip(live, sent):
        if q.unit is None and not q.scaled and not q.keep:
            continue
        start, end = doc.times(q.start, q.end)
        quote = doc.quote(q.start, q.end)
        numbers.append(NumberMention(quote=quote, value=q.value, unit=q.unit, start=start, end=end))
        number_sentences.add(si)

    vague: list[Finding] = []
    vague_sentences: set[int] = set()
    for k, tok in enumerate(doc.toks):
        if tok not in _VAGUE_FIRST or not (m := _VAGUE_RE.match(text, doc.tok_starts[k])):
            continue
        si = doc.sentence_of(m.start())
        if si in number_sentences or si in vague_sentences:
            continue
        if doc.tok(k - 1) == "to" or _ANCHORED_COMPARISON.match(text, m.end()):
            continue  # a goal ("the task was to cut latency"), or compared with a named point
        if text[m.start() - 1 : m.start()] == "-" or _RAISED_ISSUE.match(m.group()):
            continue  # "gradient-boosted model"; "I raised it with the author" raised a concern
        vague_sentences.add(si)
        detail = " ".join(m.group().lower().split())
        vague.append(doc.sentence_finding("vague_claim", m.start(), m.end(), detail))

    return ImpactEvidence(
        numbers=numbers, before_after=before_after, deltas=deltas, vague_claims=vague
    )
