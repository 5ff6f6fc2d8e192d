"""Deterministic evidence analyzer: measures a transcript with rules, no model.

Approach
--------
1. One analysed string. For audio the word texts are joined (faster-whisper words carry a
   leading space, " Hello"); each word's character span is kept, so any regex match maps back
   to the words it covers and so to their start/end times. A segment without word timestamps
   stands in for its words (coarser times). Pasted text is analysed as is and has no times.
2. Normalisation uses 1:1 character replacements only (curly quotes, exotic dashes and spaces,
   "x" for the multiplication sign), so every offset stays valid. Quotes are cut from the
   un-normalised string (whitespace runs collapsed): they look like what the user said.
3. Sentences come from punctuation. A sentence-level finding quotes its sentence, clipped around
   the match when it is very long (unpunctuated text can be one 2,000-word "sentence").
4. Four small passes (_ownership, _impact, _assumptions, _delivery), each a few compiled regexes
   plus small lexicons. Heuristics, tuned for precision over recall: every finding is quoted
   back to the user and the grader, so a wrong one costs more than a missed one.

Decisions and deliberate limits
-------------------------------
- Ownership counts pronoun forms ("let's" is not counted; "US" in capitals is the country).
  Actor findings need a past-tense verb (regular "-ed" or a known irregular form) after
  "I"/"we"/"our team": stories are told in the past, and present-tense design talk ("we use a
  feature store") says nothing about who acted. Stative verbs ("we wanted", "we needed") and
  "used to" are not actions.
- Hypotheticals: "I would / I'd / we would / we'd / I could / I might" + a verb. Opinion and
  politeness verbs ("I'd like", "I'd say", "I'd ask", "I would assume") do not count, nor does
  "I'd" + past participle ("I'd built" = I had built), nor "would have" (hindsight, a strength
  in a failure story), nor "I couldn't" (a past fact). They are recorded in every round: whether
  "I would" replaces a real story (behavioral) or is normal design talk is the grader's call.
- Impact numbers: a number is recorded when it has a unit, a currency or a scale ("k",
  "million"), or when it is one side of a before -> after pair or the amount of a delta ("AUC
  from 0.81 to 0.86", "improved AUC by 0.02"). Not recorded: bare counts ("3 models"), years
  (1900-2099 with no unit, also "2010s"), ordinals, labels and denominators ("step two",
  "top 10", "1st", "P99", "GPT-4", "v1.2.3", "per thousand impressions"), and a spelled
  "one"/"a" with a count noun or time ("one day", "one time", "one user"). A bare number joined to one with a unit takes its unit ("from 120
  to 70 ms", "10-20%"); a metric named just before a bare number becomes its unit ("AUC of
  0.86" -> unit "auc"). Scales are not propagated ("1.2 to 2 million" keeps 1.2). A glued
  lowercase "m" is million ("$2m"), "ms" and "min" are time. Per-period rates ("$2M a year")
  keep the amount only.
- Before -> after needs "from A to B", an arrow ("A -> B"), or "A to B" in a sentence with a
  change word ("reduced", "went", "faster"...). "anywhere from / ranging from" are ranges.
- Vague claims are judged per sentence: a claim is vague when its own sentence has no impact
  number, even if the next sentence quantifies it.
- Assumption dimensions: any lexicon term marks the dimension as stated; a few common, weak
  terms ("users", "traffic", "team", "features"...) count only in a sentence that also holds a
  number or is a question, because "users click ads" does not state the scale.
- Spoken amounts without a digit or number word ("a few hundred", "dozens") are not parsed.
- Delivery: Whisper drops many fillers, so filler counts from audio are a floor. "like" is a
  filler only when a comma follows it and it is not a verb ("I like,"); "kind of"/"sort of" not
  after a determiner ("what kind of model"). Long pauses are gaps between consecutive words
  (>= long_pause_s); silence before the first or after the last word is not a pause, and speaking
  time is first word start to last word end minus long pauses; wpm is words per speaking
  minute (per duration minute when there are no word times, None with neither).
"""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from interviewer.models import (
    DEFAULT_TIME_BUDGET_S,
    AssumptionEvidence,
    DeliveryEvidence,
    Evidence,
    Finding,
    ImpactEvidence,
    NumberMention,
    OwnershipEvidence,
    Pause,
    Question,
    Transcript,
)

__all__ = ["DIMENSION_LEXICON", "AnalyzerOptions", "analyze"]

logger = logging.getLogger(__name__)


class AnalyzerOptions(BaseModel):
    """Tunable thresholds of the analyzer; the defaults suit a 12-minute spoken answer."""

    model_config = ConfigDict(extra="forbid")

    long_pause_s: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="a gap between words at least this long is a long pause; shorter ones are "
        "thinking pauses and are not flagged",
    )
    max_quote_chars: int = Field(
        default=280,
        ge=40,
        le=5000,
        description="longer sentences are quoted as a window of this size around the match",
    )
    max_findings_per_dimension: int = Field(
        default=5, ge=1, le=100, description="first N sentences kept per stated dimension"
    )


# --- text normalisation -------------------------------------------------------------------

# 1:1 replacements only, so offsets in the normalised text are offsets in the original.
_NORMALISE = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
        **dict.fromkeys(
            "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u200b\u202f\u205f\u3000\ufeff",
            " ",
        ),
        "\u00d7": "x",
        "\u2026": ".",
        "\uff05": "%",
        "\uff04": "$",
    }
)


class _Timed(Protocol):
    text: str
    start: float
    end: float


# --- the analysed document ----------------------------------------------------------------

# Words, numbers, contractions ("i'd"), "requests/s", "a/b", "ndcg@10"; hyphens split.
_TOKEN_RE = re.compile(r"\$|[A-Za-z0-9](?:[A-Za-z0-9'@/]*[A-Za-z0-9])?")
_SENT_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)|\n")
_TRAILING_TOKEN = re.compile(r"[\w.]+$")
# A full stop after these is not a sentence end ("ms" is deliberately absent: "70 ms.").
_ABBREVIATIONS = frozenset({"e.g", "i.e", "vs", "etc", "approx", "cf", "dr", "mr", "mrs", "fig"})


@dataclass(slots=True)
class _Doc:
    raw: str  # what is quoted
    text: str  # what is matched (same length as raw)
    sent_starts: list[int]
    sent_ends: list[int]
    unit_starts: list[int]  # char span of each timed word/segment
    unit_ends: list[int]
    unit_times: list[tuple[float, float]]
    max_quote: int
    # One tokenisation pass; the passes below run anchored regexes only at candidate tokens,
    # because scanning the whole text with big alternations is what makes such code slow.
    toks: list[str]  # lowercase
    tok_starts: list[int]
    tok_ends: list[int]

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.sent_starts, pos) - 1)

    def sentence_text(self, si: int) -> str:
        return self.text[self.sent_starts[si] : self.sent_ends[si]]

    def times(self, a: int, b: int) -> tuple[float | None, float | None]:
        i = bisect.bisect_right(self.unit_ends, a)  # first unit ending after a
        j = bisect.bisect_left(self.unit_starts, b) - 1  # last unit starting before b
        if i <= j:
            return self.unit_times[i][0], self.unit_times[j][1]
        return None, None

    def tok(self, k: int) -> str:
        return self.toks[k] if 0 <= k < len(self.toks) else ""

    def adjacent(self, k: int, allowed: str = "") -> bool:
        """Whether token k+1 follows token k with only whitespace (and `allowed`) between."""
        if k + 1 >= len(self.toks):
            return False
        gap = self.text[self.tok_ends[k] : self.tok_starts[k + 1]]
        return gap.strip(" \t\n" + allowed) == "" and gap.count("\n") < 2

    def quote(self, a: int, b: int) -> str:
        return " ".join(self.raw[a:b].split())

    def finding(self, kind: str, a: int, b: int, detail: str | None = None) -> Finding:
        start, end = self.times(a, b)
        return Finding(kind=kind, quote=self.quote(a, b), start=start, end=end, detail=detail)

    def sentence_finding(self, kind: str, ma: int, mb: int, detail: str | None = None) -> Finding:
        """A finding quoting the sentence that holds the match [ma, mb)."""
        si = self.sentence_of(ma)
        a, b = self._clip(self.sent_starts[si], max(self.sent_ends[si], mb), ma, mb)
        return self.finding(kind, a, b, detail)

    def _clip(self, s: int, e: int, ma: int, mb: int) -> tuple[int, int]:
        width = self.max_quote
        if e - s <= width or mb - ma >= width:
            return (s, e) if e - s <= width else (ma, mb)
        a = max(s, (ma + mb) // 2 - width // 2)
        b = min(e, a + width)
        a = max(s, b - width)
        # Snap to whole words without losing the match.
        if a > s and not self.text[a - 1].isspace():
            k = self.text.find(" ", a, ma)
            a = k + 1 if k != -1 else a
        if b < e and not self.text[b].isspace():
            k = self.text.rfind(" ", mb, b)
            b = k if k != -1 else b
        return a, b


def _build_doc(transcript: Transcript, max_quote: int) -> _Doc:
    units: list[_Timed] = [u for seg in transcript.segments for u in (seg.words or [seg])]
    starts: list[int] = []
    ends: list[int] = []
    times: list[tuple[float, float]] = []
    if units:
        parts: list[str] = []
        pos = 0
        for u in units:
            t = u.text
            if parts and not t[:1].isspace() and not parts[-1][-1:].isspace():
                parts.append(" ")  # words given without their leading space
                pos += 1
            core = t.strip()
            if core:
                lead = len(t) - len(t.lstrip())
                starts.append(pos + lead)
                ends.append(pos + lead + len(core))
                times.append((u.start, u.end))
            parts.append(t)
            pos += len(t)
        raw = "".join(parts)
    else:
        raw = transcript.text
    text = raw.translate(_NORMALISE)
    sent_starts, sent_ends = _split_sentences(text)
    toks: list[str] = []
    tok_starts: list[int] = []
    tok_ends: list[int] = []
    for m in _TOKEN_RE.finditer(text):
        toks.append(m.group().lower())
        tok_starts.append(m.start())
        tok_ends.append(m.end())
    return _Doc(raw, text, sent_starts, sent_ends, starts, ends, times, max_quote,
                toks, tok_starts, tok_ends)  # fmt: skip


def _split_sentences(text: str) -> tuple[list[int], list[int]]:
    starts: list[int] = []
    ends: list[int] = []

    def add(s: int, e: int) -> None:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            starts.append(s)
            ends.append(e)

    start = 0
    for m in _SENT_END.finditer(text):
        if m.group()[0] == ".":
            tok = _TRAILING_TOKEN.search(text, max(0, m.start() - 12), m.start())
            if tok and tok.group().lower().strip(".") in _ABBREVIATIONS:
                continue
        add(start, m.end())
        start = m.end()
    add(start, len(text))
    if not starts:
        starts, ends = [0], [0]
    return starts, ends


# --- ownership ----------------------------------------------------------------------------

_I_FORMS = frozenset({"i", "i'd", "i'm", "i've", "i'll", "me", "my", "mine", "myself"})
_WE_FORMS = frozenset({"we", "we'd", "we're", "we've", "we'll", "us", "our", "ours", "ourselves"})
_ACTOR_FIRST = frozenset({"i", "i've", "i'd", "we", "we've", "we'd", "our", "my", "the"})
_HYPO_FIRST = frozenset({"i", "i'd", "we", "we'd"})

# Adverbs allowed between the subject and its verb ("we then decided", "I personally led");
# the "-ly" rule skips verbs that merely end in "ly".
_ADV = (
    r"(?:(?!(?:ap|sup|re|multi|im|com)ply\b|rely\b|fly\b)[a-z]{2,}ly|also|then|just|first|"
    r"finally|already|again|even|later|all|both|together|still|never|only|soon|myself|ourselves)"
)
_ACTOR_RE = re.compile(
    rf"\b(?P<subj>i|we|(?:our|my|the)\s+(?:whole\s+|entire\s+|small\s+)?(?:team|group|squad))"
    rf"(?:'ve|'d)?(?:\s+{_ADV}){{0,2}}(?:\s+(?:had|have))?(?:\s+{_ADV}){{0,2}}"
    rf"\s+(?P<verb>[a-z]+)\b(?P<to>\s+to\b)?",
    re.I,
)
_IRREGULAR_PAST = frozenset(
    """built rebuilt made wrote rewrote ran led drove took undertook got gave chose found set put
    cut went began brought bought caught taught told spoke sent spent won held kept met paid sold
    redid overcame oversaw split shut dug fought sought shot stood stuck struck swept threw
    withdrew did broke drew grew rode used hit quit laid flew froze came upheld dealt
    done taken given written rewritten chosen driven shown grown thrown drawn broken spoken begun
    gotten""".split()
)
# Regular "-ed" words that are states, feelings or present tense, not actions.
_NON_ACTION_ED = frozenset(
    """wanted needed liked loved hated hoped wished seemed appeared believed expected assumed
    supposed wondered guessed preferred happened remained stayed existed belonged mattered lacked
    contained consisted depended deserved involved required struggled learned called named
    speed exceed proceed succeed embed bleed breed indeed hundred tired excited worried
    interested concerned scared bored surprised disappointed pleased thrilled impressed
    frustrated confused stressed overwhelmed""".split()
)
_PARTICIPLES_AFTER_HAD = frozenset({"been", "seen", "known", "gone"})

_HYPO_ADV = (
    r"(?:probably|definitely|also|then|just|first|really|likely|maybe|perhaps|still|actually|"
    r"already|never|not|always|instead|rather|personally|immediately|certainly|basically|initially|"
    r"typically|usually|now|try\s+to|want\s+to|need\s+to|go\s+ahead\s+and)"
)
_HYPO_RE = re.compile(
    rf"\b(?P<subj>i|we)(?:\s+(?P<modal>would|could|might)(?P<neg>n't|\s+not)?|(?P<contr>'d))"
    rf"(?P<have>'ve|\s+have)?(?:\s+{_HYPO_ADV}){{0,3}}\s+(?P<verb>[a-z]+)\b",
    re.I,
)
# After "I'd/I would": opinions, politeness, questions, assumptions; not actions instead of a story.
_NOT_HYPOTHETICAL = frozenset(
    """like love hate say guess imagine argue think assume expect hope want prefer ask rather be
    need bet agree disagree call describe summarize summarise mention note point clarify suspect
    estimate venture see tell feel hear sense recommend suggest have""".split()
)


def _is_past(verb: str) -> bool:
    return verb in _IRREGULAR_PAST or (
        len(verb) > 4 and verb.endswith("ed") and verb not in _NON_ACTION_ED
    )


def _is_hypothetical(m: re.Match[str]) -> bool:
    subj, modal = m.group("subj").lower(), (m.group("modal") or "").lower()
    verb = m.group("verb").lower()
    if subj == "we" and modal in ("could", "might"):
        return False  # "we could shard by user" lists options, it claims nothing
    if m.group("have") or verb in _NOT_HYPOTHETICAL:
        return False  # hindsight ("I would have"), opinions and politeness ("I'd say")
    if m.group("contr") and (_is_past(verb) or verb in _PARTICIPLES_AFTER_HAD):
        return False  # "I'd built" = I had built
    return not (modal == "could" and m.group("neg"))  # "I couldn't reproduce it" is a fact


def _per_sentence(
    doc: _Doc, kind: str, hits: list[tuple[int, int, str]], limit: int | None = None
) -> list[Finding]:
    """One finding per sentence: the first match sets the clip window, details are joined."""
    by_sentence: dict[int, list[tuple[int, int, str]]] = {}
    for hit in hits:
        by_sentence.setdefault(doc.sentence_of(hit[0]), []).append(hit)
    out: list[Finding] = []
    for group in by_sentence.values():
        details = list(dict.fromkeys(h[2] for h in group))
        out.append(doc.sentence_finding(kind, group[0][0], group[0][1], "; ".join(details)))
        if limit is not None and len(out) >= limit:
            break
    return out


def _ownership(doc: _Doc) -> OwnershipEvidence:
    text = doc.text
    i_count = we_count = 0
    i_hits: list[tuple[int, int, str]] = []
    we_hits: list[tuple[int, int, str]] = []
    hypo_hits: list[tuple[int, int, str]] = []
    for k, tok in enumerate(doc.toks):
        start, end = doc.tok_starts[k], doc.tok_ends[k]
        if tok in _I_FORMS:
            if not (tok == "i" and text[end : end + 2] == ".e"):
                i_count += 1  # not the "i" of "i.e."
        elif tok in _WE_FORMS:
            if not (tok == "us" and (text[start:end] == "US" or text[end : end + 1] == "-")):
                we_count += 1  # not the country, not "us-east-1"
        if tok in _ACTOR_FIRST and (m := _ACTOR_RE.match(text, start)):
            verb = m.group("verb").lower()
            if _is_past(verb) and not (verb == "used" and m.group("to")):
                hit = (start, m.end("verb"), " ".join(text[start : m.end("verb")].split()))
                (i_hits if m.group("subj").lower() == "i" else we_hits).append(hit)
        if tok in _HYPO_FIRST and (m := _HYPO_RE.match(text, start)) and _is_hypothetical(m):
            hypo_hits.append((start, m.end(), " ".join(m.group().split())))
    total = i_count + we_count
    return OwnershipEvidence(
        i_count=i_count,
        we_count=we_count,
        i_share=round(i_count / total, 3) if total else None,
        i_actor=_per_sentence(doc, "i_actor", i_hits),
        we_actor=_per_sentence(doc, "we_actor", we_hits),
        hypothetical=_per_sentence(doc, "hypothetical", hypo_hits),
    )


# --- impact: quantities -------------------------------------------------------------------

_ONES = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_TEENS = {
    w: 10 + i
    for i, w in enumerate(
        "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 20 + 10 * i
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_SCALE_WORDS = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_SP_ALT = "|".join([*_ONES, *_TEENS, *_TENS, "hundred", *_SCALE_WORDS, "dozen"])
_SPELLED = (
    r"(?:\ban?\s+(?=(?:hundred|thousand|million|billion|trillion|dozen)\b))?"
    rf"\b(?:{_SP_ALT})\b(?:[\s-]+(?:and\s+|point\s+)?(?:{_SP_ALT})\b)*(?:\s+and\s+a\s+half\b)?"
)
_COUNT_NOUNS = (
    r"users?|customers?|sellers?|buyers?|advertisers?|members?|subscribers?|accounts?|"
    r"requests?|quer(?:y|ies)|events?|transactions?|records?|rows?|samples?|examples?|images?|"
    r"videos?|documents?|docs|items?|products?|listings?|ads|parameters?|params|tokens?|"
    r"features?|labels?|clicks?|impressions?|sessions?|orders?|gpus?|cpus?|tpus?|cores?|"
    r"servers?|machines?|nodes?|instances?|replicas?|shards?|engineers?|people|scientists?|"
    r"annotators?|teams?|countries|languages|markets?|tickets?|incidents?|pages?|alerts?"
)
_METRIC_UNITS = r"auc|f1|ndcg|ctr|precision|recall|accuracy|mrr|rmse|mae"
_UNIT = (
    r"(?P<unit>%|percentage\s+points?|percent|per\s?cent|basis\s+points?|bps|pp|points|pts|point|"
    r"(?:requests?|queries|reqs?|calls|transactions|events|messages|predictions|inferences)"
    r"\s*(?:/\s*s(?:ec)?|per\s+s(?:ec(?:ond)?)?|a\s+second)|qps|rps|tps|"
    r"milliseconds?|millis|msecs?|ms|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|"
    r"days?|weeks?|months?|years?|yrs?|x(?!\s*\d)|times(?!\s*\d)|fold|"
    r"[kmgtp]b|(?:kilo|mega|giga|tera|peta)bytes?|dollars?|bucks|usd|cents?|"
    r"daily\s+active\s+users|monthly\s+active\s+users|dau|mau|"
    rf"{_COUNT_NOUNS}|{_METRIC_UNITS})(?:(?<=%)|(?![A-Za-z]))"
)
_QTY_RE = re.compile(
    # Not inside identifiers and labels: "p99", "F1", "v1.2.3", "NDCG@10", "#3".
    r"(?<![\w.,@#])"
    r"(?P<cur>\$\s?)?"
    rf"(?:(?P<num>(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?|\.\d+)(?![.,]?\d)|(?P<sp>{_SPELLED}))"
    r"(?:(?P<scale_att>(?-i:[kKmMbB]|bn|BN|MM))(?![A-Za-z])"
    r"|\s(?P<scale_sp>(?-i:K|M|B|MM|bn))(?![A-Za-z])"
    r"|[\s-]*(?P<scale_w>hundred|thousand|million|billion|trillion)\b)?"
    rf"(?:\s*-?\s*{_UNIT})?",
    re.I,
)
_SCALE_LETTERS = {"k": 10**3, "m": 10**6, "mm": 10**6, "b": 10**9, "bn": 10**9}
# Labels and denominators, not amounts: "step 2", "top 10", "per thousand impressions".
_LABEL_BEFORE = re.compile(
    r"\b(?:step|phase|stage|version|option|number|level|layer|round|chapter|part|question|"
    r"tier|day|week|sprint|top|rank|grade|figure|table|item|slide|line|per)\s*$",
    re.I,
)
_ORDINAL_AFTER = re.compile(r"(?:st|nd|rd|th)\b", re.I)
_UNIT_ALIASES = {
    "%": "%", "percent": "%", "per cent": "%",
    "pp": "pp", "bps": "bps", "points": "points", "pts": "points", "point": "points",
    "qps": "qps", "rps": "qps", "tps": "qps",
    "ms": "ms", "msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms",
    "milliseconds": "ms",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month",
    "year": "year", "years": "year", "yr": "year", "yrs": "year",
    "x": "x", "times": "x", "fold": "x",
    "dollar": "$", "dollars": "$", "bucks": "$", "usd": "$", "cent": "$", "cents": "$",
    "dau": "dau", "mau": "mau", "daily active users": "dau", "monthly active users": "mau",
    "params": "parameters", "docs": "documents", "people": "people", "ads": "ads",
    "query": "queries",
}  # fmt: skip
_BYTES = {"kilo": "kb", "mega": "mb", "giga": "gb", "tera": "tb", "peta": "pb"}
# Units a spelled "one"/"a" keeps; "one day", "one time", "one user" are idioms, not quantities.
_UNITS_FOR_ONE = frozenset({"%", "$", "ms", "pp", "bps", "qps", "kb", "mb", "gb", "tb", "pb"})


def _norm_unit(raw: str) -> str:
    r = " ".join(raw.lower().replace("-", " ").split())
    if r in _UNIT_ALIASES:
        return _UNIT_ALIASES[r]
    if r.startswith("percentage point"):
        return "pp"
    if r.startswith("basis point"):
        return "bps"
    if "/" in r or " per " in r or r.endswith("a second"):
        return "qps"
    if r.endswith("byte") or r.endswith("bytes"):
        return _BYTES.get(r[:4], r)
    if re.fullmatch(r"[kmgtp]b", r):
        return r
    if r in ("auc", "f1", "ndcg", "ctr", "precision", "recall", "accuracy", "mrr", "rmse", "mae"):
        return r
    return r if r.endswith("s") else r + "s"  # count nouns, plural


@dataclass(slots=True)
class _Qty:
    start: int
    end: int
    value: float
    unit: str | None
    scaled: bool = False  # a scale or currency was spoken, so it is a quantity even unit-less
    bare: bool = True
    year: bool = False
    label: bool = False  # ordinal, label or denominator: "step 2", "1st", "per thousand"
    keep: bool = False  # part of a before/after pair or delta


_SP_KIND: dict[str, tuple[str, int]] = {
    **{w: ("digit", v) for w, v in _ONES.items()},
    **{w: ("teen", v) for w, v in _TEENS.items()},
    **{w: ("tens", v) for w, v in _TENS.items()},
    "hundred": ("hundred", 100),
    **{w: ("scale", v) for w, v in _SCALE_WORDS.items()},
    "dozen": ("dozen", 12),
}
_ALPHA = re.compile(r"[a-z]+", re.I)
_UNDER_HUNDRED = frozenset({*_ONES, *_TEENS, *_TENS})
_ALLOWED_AFTER = {
    "digit": {None, "tens", "hundred", "scale"},
    "teen": {None, "hundred", "scale"},
    "tens": {None, "hundred", "scale"},
    "hundred": {None, "a", "digit", "teen", "frac"},
    "scale": {None, "a", "digit", "teen", "tens", "hundred", "frac", "half", "dozen"},
    "dozen": {None, "a", "digit", "teen", "tens"},
}


def _parse_spelled(text: str, a: int, b: int) -> list[tuple[int, int, Decimal]]:
    """Spelled numbers in text[a:b] as (start, end, value) groups; "one two" is two numbers."""
    toks = [(m.group().lower(), m.start(), m.end()) for m in _ALPHA.finditer(text, a, b)]
    groups: list[tuple[int, int, Decimal]] = []
    i, n = 0, len(toks)
    while i < n:
        total = cur = Decimal(0)
        last: str | None = None
        last_scale: int | None = None
        end: int | None = None
        j = i
        while j < n:
            w, _, e = toks[j]
            nxt = toks[j + 1][0] if j + 1 < n else ""
            nxt2 = toks[j + 2][0] if j + 2 < n else ""
            if w in ("a", "an"):
                if last is None and nxt in _A_SCALES:
                    cur, last = Decimal(1), "a"
                    j += 1
                    continue
                break
            if w == "and":
                if last not in (None, "a") and nxt == "a" and nxt2 == "half":
                    cur += Decimal("0.5")
                    last, end, j = "half", toks[j + 2][2], j + 3
                    continue
                if last in ("hundred", "scale") and nxt in _UNDER_HUNDRED:
                    j += 1
                    continue
                break
            if w == "point":
                if last in ("digit", "teen", "tens", "hundred") and nxt in _ONES:
                    k, frac = j + 1, ""
                    while k < n and toks[k][0] in _ONES:
                        frac += str(_ONES[toks[k][0]])
                        k += 1
                    cur += Decimal("0." + frac)
                    last, end, j = "frac", toks[k - 1][2], k
                    continue
                break
            kind, v = _SP_KIND[w]
            if last not in _ALLOWED_AFTER[kind]:
                break
            if kind in ("digit", "teen", "tens"):
                cur += v
            elif kind in ("hundred", "dozen"):
                cur = (cur or 1) * v
            else:
                if last_scale is not None and v >= last_scale:
                    break
                total += (cur or 1) * v
                cur, last_scale = Decimal(0), v
            last, end = kind, e
            j += 1
        if end is not None:
            groups.append((toks[i][1], end, total + cur))
        i = j if j > i else i + 1
    return groups


_HALF_RE = re.compile(
    r"\b(?:(?P<verb>doubled|tripled|quadrupled|halved)|(?P<inhalf>(?:in|by)\s+half))\b"
    r"|(?<!first )(?<!second )(?<!other )(?<!back )(?<!front )"
    r"\bhalf\b(?=\s+(?:of|the|as|a|an|our|its|their)\b)",
    re.I,
)
_HALF_FIRST = frozenset({"doubled", "tripled", "quadrupled", "halved", "in", "by", "half"})
_A_SCALES = frozenset({"hundred", "dozen", *_SCALE_WORDS})
_SCALE_WORD_RE = re.compile(r"\b(?:thousand|million|billion|trillion)\b", re.I)
_MULTIPLIER_WORDS = {"doubled": 2.0, "tripled": 3.0, "quadrupled": 4.0, "halved": 0.5}


def _quantities(doc: _Doc) -> list[_Qty]:
    text = doc.text
    out: list[_Qty] = []
    last_end = -1
    for k, tok in enumerate(doc.toks):
        start = doc.tok_starts[k]
        if start < last_end or not (
            tok[0].isdigit()
            or tok in _SP_KIND
            or (tok in ("a", "an") and doc.tok(k + 1) in _A_SCALES)
        ):
            continue
        # A currency sign right before the number belongs to the match ("$1.2 M", "$ 200").
        if text[start - 2 : start] == "$ " or text[start - 1 : start] == "$":
            start = text.rindex("$", 0, start)
        if start >= 2 and doc.raw[start - 1] in "-\u2010\u2011" and text[start - 2].isalpha():
            continue  # "GPT-4", "ResNet-50"; an em dash ("win\u201440%") is not a hyphen
        m = _QTY_RE.match(text, start)
        if m is None:
            continue
        last_end = m.end()
        if m.group("num"):
            digits = m.group("num").replace(",", "")
            groups = [(m.start("num"), m.end("num"), Decimal(digits))]
        else:
            groups = _parse_spelled(text, m.start("sp"), m.end("sp"))
            if not groups:
                continue
        for gs, ge, gv in groups[:-1]:
            out.append(_Qty(gs, ge, float(gv), None))
        gs, ge, value = groups[-1]
        adjacent = ge == (m.end("num") if m.group("num") else m.end("sp"))
        cur = bool(m.group("cur")) and len(groups) == 1
        scale_raw = m.group("scale_att") or m.group("scale_sp") or m.group("scale_w")
        if not adjacent:
            scale_raw = None
        unit_raw = m.group("unit") if adjacent else None
        unit = _norm_unit(unit_raw) if unit_raw else None
        if scale_raw:
            s = scale_raw.lower()
            value *= _SCALE_LETTERS.get(s) or _SCALE_WORDS.get(s) or 100
        if unit_raw and unit_raw.lower().startswith("cent"):
            value /= 100
        if m.group("sp") and value == 1 and unit not in _UNITS_FOR_ONE and not scale_raw:
            unit, unit_raw = None, None  # "one day", "one time", "at one point"
        if unit == "points" and m.group("sp") and unit_raw and unit_raw.lower() == "point":
            unit, unit_raw = None, None
        if cur:
            unit = "$"
        start = m.start() if cur else gs
        q = _Qty(start, m.end() if unit_raw or scale_raw else ge, float(value), unit)
        # "one point five million" is a quantity even without a unit; "two hundred" is not.
        spoken_scale = bool(m.group("sp")) and bool(_SCALE_WORD_RE.search(text, gs, ge))
        q.scaled = bool(cur or scale_raw or spoken_scale)
        q.bare = not q.scaled and unit is None
        num = m.group("num") or ""
        if num.isdigit() and len(num) == 4 and 1900 <= int(num) <= 2099:
            # "in 2021", "the 2010s": years are not impact numbers
            q.year = q.bare or (unit == "s" and m.start("unit") == m.end("num"))
        before = text[max(0, q.start - 20) : q.start]
        q.label = bool(_LABEL_BEFORE.search(before)) or (
            q.bare and bool(_ORDINAL_AFTER.match(text, q.end))
        )
        out.append(q)
    taken = [(q.start, q.end) for q in out]
    for k, tok in enumerate(doc.toks):
        if tok not in _HALF_FIRST or not (m := _HALF_RE.match(text, doc.tok_starts[k])):
            continue
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue  # "one and a half" already parsed
        if m.group("verb"):
            q = _Qty(m.start(), m.end(), _MULTIPLIER_WORDS[m.group("verb").lower()], "x")
        elif m.group("inhalf"):
            q = _Qty(m.start(), m.end(), 0.5, "x")
        else:
            q = _Qty(m.start(), m.end(), 0.5, None)
        q.bare, q.keep = False, True
        out.append(q)
    out.sort(key=lambda q: q.start)
    return out


# --- impact: pairs, deltas, vague claims --------------------------------------------------

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
_METRIC_ALIASES = {
    "auc-roc": "auc", "roc auc": "auc", "roc-auc": "auc", "auroc": "auc", "f1 score": "f1",
    "f1-score": "f1", "click through rate": "ctr", "click-through rate": "ctr",
    "click-through-rate": "ctr", "logloss": "log loss", "log-loss": "log loss",
}  # fmt: skip


def _fmt(value: float, unit: str | None) -> str:
    v = format(value, ".15g")
    if unit == "$":
        return f"${v}"
    if unit in ("%", "x"):
        return f"{v}{unit}"
    return f"{v} {unit}" if unit else v


def _impact(doc: _Doc, qtys: list[_Qty]) -> ImpactEvidence:
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
        detail = f"{_fmt(p.value, p.unit)} -> {_fmt(q.value, q.unit)}"
        before_after.append(doc.sentence_finding("before_after", start, q.end, detail))

    deltas: list[Finding] = []
    for k, (q, si) in enumerate(zip(live, sent)):
        if k in paired:
            continue
        s0, s1 = doc.sent_starts[si], doc.sent_ends[si]
        cue: str | None = None
        if q.unit == "x" and q.keep:  # doubled, cut in half
            cue = doc.quote(q.start, q.end).lower()
            detail = f"{cue} ({_fmt(q.value, 'x')})"
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
                cue, detail = "by a factor of", f"by a factor of {_fmt(q.value, q.unit)}"
            elif mb and (mb.group("cue").lower() != "by" or has_change(si)):
                cue = mb.group("cue").lower()
                detail = f"{cue} {_fmt(q.value, q.unit)}"
            elif ma:
                cue = ma.group("cue").lower()
                detail = f"{_fmt(q.value, q.unit)} {cue}"
            elif mv:
                cue = mv.group("cue").lower()
                detail = f"{cue} {_fmt(q.value, q.unit)}"
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
        vague_sentences.add(si)
        detail = " ".join(m.group().lower().split())
        vague.append(doc.sentence_finding("vague_claim", m.start(), m.end(), detail))

    return ImpactEvidence(
        numbers=numbers, before_after=before_after, deltas=deltas, vague_claims=vague
    )


# --- assumptions --------------------------------------------------------------------------

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
            toks = tuple(_TOKEN_RE.findall(term.lower()))
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


def _dimension_hits(doc: _Doc) -> dict[str, list[tuple[int, int, str]]]:
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


def _assumptions(
    doc: _Doc, question: Question | None, qty_sentences: set[int], opts: AnalyzerOptions
) -> AssumptionEvidence:
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
    statements = _per_sentence(doc, "assumption", hits)

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
    for dim, dim_hits in _dimension_hits(doc).items():
        kept = [
            h
            for h in dim_hits
            if h[2] not in _WEAK_TERMS
            or doc.sentence_of(h[0]) in qty_sentences
            or doc.sentence_of(h[0]) in question_sentences
        ]
        if kept:
            stated[dim] = _per_sentence(doc, "dimension", kept, opts.max_findings_per_dimension)
    stated = {d: stated[d] for d in DIMENSION_LEXICON if d in stated}
    expected = list(question.dimensions) if question else []
    return AssumptionEvidence(
        statements=statements,
        clarifying_questions=questions,
        expected=expected,
        stated=stated,
        hidden=[d for d in expected if d not in stated],
    )


# --- delivery -----------------------------------------------------------------------------

_DETERMINERS = frozenset(
    """what which this that the a an any some every each same one these those different right
    wrong new other another particular certain specific similar no what's""".split()
)
_LIKE_VERB_SUBJECTS = frozenset(
    """i you we they he she i'd you'd we'd they'd would do does did don't didn't to really
    feel feels felt look looks looked seem seems seemed just also not""".split()
)
_FILLER_NAMES = (
    "um", "uh", "uhm", "er", "erm", "hmm", "like", "you know", "kind of", "sort of", "i mean",
    "basically", "actually", "literally", "right?", "so yeah",
)  # fmt: skip
_HESITATION = re.compile(
    r"(?P<uhm>u+h+m+)|(?P<um>u+m+)|(?P<uh>u+h+)|(?P<erm>e+r+m+)|(?P<er>e+r+)|(?P<hmm>h+m+)"
)
_HESITATION_FIRST = frozenset("ueh")
_FILLER_FIRST = frozenset("basically actually literally right like you kind sort i so".split())
_WORD_COUNT_RE = re.compile(r"\S*[^\W_]\S*")


def _filler_at(doc: _Doc, k: int) -> tuple[str, int] | None:
    """The filler starting at token k as (name, end offset), or None."""
    tok, text = doc.toks[k], doc.text
    end = doc.tok_ends[k]
    if tok[0] in _HESITATION_FIRST and len(tok) <= 6 and (m := _HESITATION.fullmatch(tok)):
        return m.lastgroup or tok, end
    if tok in ("basically", "actually", "literally"):
        return tok, end
    if tok == "right":
        return ("right?", end + 1) if text[end : end + 1] == "?" else None
    if tok == "like":
        # Only "like," and not as a verb ("I like, ..."): a conservative filler.
        comma_follows = text[end : end + 3].lstrip(" ").startswith(",")
        as_verb = doc.tok(k - 1) in _LIKE_VERB_SUBJECTS
        return ("like", end) if comma_follows and not as_verb else None
    nxt = doc.tok(k + 1)
    pair = f"{tok} {nxt}"
    if pair in ("you know", "kind of", "sort of", "i mean", "so yeah") and doc.adjacent(
        k, "," if pair == "so yeah" else ""
    ):
        end2 = doc.tok_ends[k + 1]
        gap_before = text[doc.tok_ends[k - 1] : doc.tok_starts[k]] if k else "."
        after_break = any(c in ".!?,;:" for c in gap_before)
        followed_by_punct = text[end2 : end2 + 2].lstrip(" ")[:1] in ("", ",", ".", "?", "!")
        if pair == "you know":
            if doc.tok(k - 1) in ("do", "did", "don't", "didn't", "if", "what"):
                return None  # "do you know", "what you know"
            return (pair, end2) if after_break or followed_by_punct else None
        if pair in ("kind of", "sort of"):
            return None if doc.tok(k - 1) in _DETERMINERS else (pair, end2)  # "what kind of model"
        if pair == "i mean":
            return (pair, end2) if after_break or text[end2 : end2 + 1] == "," else None
        return pair, end2
    return None


def _delivery(
    doc: _Doc, transcript: Transcript, budget: int, opts: AnalyzerOptions
) -> DeliveryEvidence:
    text = doc.text
    word_count = len(_WORD_COUNT_RE.findall(text))
    fillers: dict[str, int] = {}
    found: list[tuple[int, int, str]] = []
    for k, tok in enumerate(doc.toks):
        if tok not in _FILLER_FIRST and tok[0] not in _HESITATION_FIRST:
            continue
        if hit := _filler_at(doc, k):
            name, end = hit
            fillers[name] = fillers.get(name, 0) + 1
            found.append((doc.tok_starts[k], end, name))
    fillers = {name: fillers[name] for name in _FILLER_NAMES if name in fillers}
    filler_findings = [doc.finding("filler", a, b, name) for a, b, name in found]

    times = doc.unit_times
    pauses = [
        Pause(start=prev_end, end=start)
        for (_, prev_end), (start, _) in zip(times, times[1:])
        if start - prev_end >= opts.long_pause_s
    ]
    duration = transcript.duration_s
    if duration is None and times:
        duration = max(end for _, end in times)
    speaking: float | None = None
    if times:
        span = max(end for _, end in times) - min(start for start, _ in times)
        speaking = round(max(0.0, span - sum(p.length for p in pauses)), 2)
    elif duration is not None:
        speaking = duration
    minutes = (speaking or duration or 0) / 60
    return DeliveryEvidence(
        word_count=word_count,
        fillers=fillers,
        filler_findings=filler_findings,
        filler_rate=round(len(found) * 100 / word_count, 2) if word_count else None,
        duration_s=round(duration, 2) if duration is not None else None,
        speaking_s=speaking,
        wpm=round(word_count / minutes, 1) if minutes > 0 else None,
        long_pauses=pauses,
        time_budget_s=budget,
        time_used=round(duration / budget, 3) if duration is not None else None,
        overtime_s=round(max(0.0, duration - budget), 2) if duration is not None else None,
    )


# --- entry point --------------------------------------------------------------------------


def analyze(
    transcript: Transcript,
    question: Question | None = None,
    *,
    time_budget_s: int | None = None,
    options: AnalyzerOptions | None = None,
) -> Evidence:
    """Measure ownership, quantified impact, stated assumptions and delivery of one answer.

    The time budget is ``time_budget_s`` if given, else the question's, else 12 minutes.
    """
    opts = options or AnalyzerOptions()
    if time_budget_s is not None:
        budget = time_budget_s
    elif question is not None:
        budget = question.time_budget_s
    else:
        budget = DEFAULT_TIME_BUDGET_S
    doc = _build_doc(transcript, opts.max_quote_chars)
    qtys = _quantities(doc)
    qty_sentences = {doc.sentence_of(q.start) for q in qtys if not q.year and not q.label}
    evidence = Evidence(
        ownership=_ownership(doc),
        impact=_impact(doc, qtys),
        assumptions=_assumptions(doc, question, qty_sentences, opts),
        delivery=_delivery(doc, transcript, budget, opts),
    )
    logger.debug(
        "analyzed %d words: %d numbers, %d fillers",
        evidence.delivery.word_count,
        len(evidence.impact.numbers),
        len(evidence.delivery.filler_findings),
    )
    return evidence
