"""Numbers: every amount in the answer, digits or spelled, with its unit and scale.

A number is recorded (by :mod:`.impact`) when it has a unit, a currency or a scale ("k",
"million"), or when it is one side of a before -> after pair or the amount of a delta ("AUC from
0.81 to 0.86", "improved AUC by 0.02"). Not recorded: bare counts ("3 models"), years (1900-2099
with no unit, also "2010s"), ordinals, labels and denominators ("step two", "top 10", "1st",
"P99", "GPT-4", "v1.2.3", "per thousand impressions"), and a spelled "one"/"a" with a count noun
or time ("one day", "one time", "one user"). A glued lowercase "m" is million ("$2m"), "ms" and
"min" are time. Per-period rates ("$2M a year") keep the amount only. Spoken amounts without a
digit or number word ("a few hundred", "dozens") are not parsed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .document import Document

__all__ = ["Quantity", "format_quantity", "parse_quantity", "quantities"]


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
class Quantity:
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
    r"\b(?:(?P<verb>doubled|tripled|quadrupled|halved)|(?P<inhalf>(?:in|by)\s+half)(?!\s+an?\b))\b"
    r"|(?<!first )(?<!second )(?<!other )(?<!back )(?<!front )"
    r"\bhalf\b(?=\s+(?:of|the|as|a|an|our|its|their)\b)",
    re.I,
)
_HALF_FIRST = frozenset({"doubled", "tripled", "quadrupled", "halved", "in", "by", "half"})
_A_SCALES = frozenset({"hundred", "dozen", *_SCALE_WORDS})
_SCALE_WORD_RE = re.compile(r"\b(?:thousand|million|billion|trillion)\b", re.I)
_MULTIPLIER_WORDS = {"doubled": 2.0, "tripled": 3.0, "quadrupled": 4.0, "halved": 0.5}


def quantities(doc: Document) -> list[Quantity]:
    text = doc.text
    out: list[Quantity] = []
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
            out.append(Quantity(gs, ge, float(gv), None))
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
        q = Quantity(start, m.end() if unit_raw or scale_raw else ge, float(value), unit)
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
            q = Quantity(m.start(), m.end(), _MULTIPLIER_WORDS[m.group("verb").lower()], "x")
        elif m.group("inhalf"):
            q = Quantity(m.start(), m.end(), 0.5, "x")
        else:
            q = Quantity(m.start(), m.end(), 0.5, None)
        q.bare, q.keep = False, True
        out.append(q)
    out.sort(key=lambda q: q.start)
    return out


def format_quantity(value: float, unit: str | None) -> str:
    v = format(value, ".15g")
    if unit == "$":
        return f"${v}"
    if unit in ("%", "x"):
        return f"{v}{unit}"
    return f"{v} {unit}" if unit else v


_FORMATTED = re.compile(r"^(?P<cur>\$)?(?P<v>-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(?P<unit>.*)$")


def parse_quantity(text: str) -> tuple[float, str | None] | None:
    """The (value, unit) that :func:`format_quantity` wrote as ``text``; None if it is not one."""
    m = _FORMATTED.match(text.strip())
    if m is None:
        return None
    unit = "$" if m.group("cur") else (m.group("unit").strip() or None)
    return float(m.group("v")), unit

