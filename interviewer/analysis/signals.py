"""The question's signals (what a strong answer shows), judged where rules can judge them.

Each bank question lists ``signals`` in plain words ("a measured outcome for the customer", "the
cost or trade-off they accepted"). A signal is matched to the checks a rule can make from the
evidence already measured: first-person actions, numbers and before -> after results, trade-offs,
complexity, edge cases, validation practices, and the assumption dimensions (latency, cost,
scale). Each check says covered / partly / missing; together they are the signal's status.

Rules hear cue phrases, so they never claim more than they heard: a signal with content beyond
what its checks cover ("the root cause and the fix, with the impact") is at most "partly" from
rules, and a signal no check applies to is "needs_llm": only the LLM grade can say. A validation
practice that was not named is not "missing" either (it may have been described in other words).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from interviewer.models import Evidence, Finding, SignalCoverage

from .document import tokens
from .structure import rigor_label_of

__all__ = ["judge_signals"]

Status = str  # "covered" | "partly" | "missing"


@dataclass(frozen=True)
class _Verdict:
    status: Status
    heard: str  # what the rule heard, for the note
    quotes: list[str]


def _count(found: list[Finding], what: str, covered_at: int = 1) -> _Verdict:
    n = len(found)
    status = "covered" if n >= covered_at else "partly" if n else "missing"
    return _Verdict(status, f"{n} {what}", [f.quote for f in found])


def _ownership(ev: Evidence) -> _Verdict:
    return _count(ev.ownership.i_actor, "action(s) with I as the actor", covered_at=2)


def _quantified(ev: Evidence) -> _Verdict:
    imp = ev.impact
    changes = imp.before_after + imp.deltas
    if changes:
        return _Verdict("covered", f"{len(changes)} before->after or delta", [f.quote for f in changes])
    if imp.numbers:
        return _Verdict("partly", f"{len(imp.numbers)} number(s) but no before->after", [n.quote for n in imp.numbers])
    return _Verdict("missing", "no number", [])


def _tradeoffs(ev: Evidence) -> _Verdict:
    return _count(ev.structure.tradeoffs, "sentence(s) weighing options or a cost")


def _edge_cases(ev: Evidence) -> _Verdict:
    return _count(ev.structure.edge_cases, "edge case sentence(s)", covered_at=2)


def _complexity(ev: Evidence) -> _Verdict:
    kinds = {c.kind for c in ev.structure.complexity}
    status = "covered" if kinds == {"time", "space"} else "partly" if kinds else "missing"
    said = " and ".join(sorted(kinds)) or "no"
    return _Verdict(status, f"{said} complexity stated", [c.quote for c in ev.structure.complexity])


def _dimension(dim: str) -> Callable[[Evidence], _Verdict]:
    def check(ev: Evidence) -> _Verdict:
        found = ev.assumptions.stated.get(dim, [])
        return _Verdict("covered" if found else "missing", f"{dim} {'stated' if found else 'never stated'}",
                        [f.quote for f in found])

    return check


# (cue in the signal's wording, the check it calls for)
_CHECKS: tuple[tuple[re.Pattern[str], Callable[[Evidence], _Verdict]], ...] = tuple(
    (re.compile(pattern, re.I), check)
    for pattern, check in (
        (r"\bfirst[\s-]person\b|\bpersonal(?:ly)?\b|\bwhat\s+(?:they|he|she)\s+(?:did|built|decided)\b", _ownership),
        (r"\bwith\s+numbers\b|\bin\s+numbers\b|\bnumbers?\b|\bmeasured\b|\bquantif\w*|\bbefore\s+and\s+after\b|"
         r"\bin\s+(?:dollars|business\s+terms)\b|\bpercent\w*", _quantified),
        (r"\btrade[\s-]?offs?\b|\bweigh(?:s|ed|ing)?\b|\bat\s+the\s+cost\s+of\b|\bboth\s+sides\b", _tradeoffs),
        (r"\bedge\s+cases?\b|\btests?\b[^.]{0,30}\baloud\b", _edge_cases),
        (r"\bcomplexity\b|\bbig[\s-]o\b|\bO\(", _complexity),
        (r"\blatency\b|\bp9\d\b|\breal[\s-]time\b", _dimension("latency")),
        (r"(?<!latency )(?<!time )(?<!error )\bbudget\b|\bdollars?\b|\bgpu\s+hours\b|\b(?:serving|compute|training|labelling|labeling)\s+cost\b|\bcost\s+per\b", _dimension("cost")),
        (r"\bqps\b|\bthroughput\b|\brequests\s+per\b|\bat\s+scale\b|\btraffic\b", _dimension("scale")),
    )
)  # fmt: skip

# Words that carry no content of their own in a signal's wording: what is left after the cues and
# these is what rules cannot judge.
_FILLER_WORDS = frozenset(
    """a an the and or with such as where possible in of to for their they them it its is are on by
    both own what how that this made explicit stated clear made result results outcome effect
    impact actually real concrete specific each any some all not just only""".split()
)


def _residual(signal: str, cue_spans: list[tuple[int, int]]) -> list[str]:
    kept = list(signal)
    for a, b in cue_spans:
        kept[a:b] = " " * (b - a)
    return [t for t in tokens("".join(kept)) if t not in _FILLER_WORDS and not t.isdigit()]


def _judge(signal: str, ev: Evidence) -> SignalCoverage:
    verdicts: list[_Verdict] = []
    spans: list[tuple[int, int]] = []
    for pattern, check in _CHECKS:
        if ms := list(pattern.finditer(signal)):
            spans += [m.span() for m in ms]
            if (v := check(ev)) not in verdicts:
                verdicts.append(v)
    practice = rigor_label_of(signal)
    if practice is not None:
        span, label = practice
        named = [f for f in ev.structure.rigor if f.detail == label]
        if named:  # not named is not proof of absence: it may be described in other words
            spans.append(span)
            verdicts.append(_Verdict("covered", f"{label} named", [f.quote for f in named]))
    if not verdicts:
        return SignalCoverage(signal=signal, status="needs_llm", note="no rule can judge this; see the LLM grade")
    statuses = {v.status for v in verdicts}
    rest = _residual(signal, spans)
    if statuses == {"covered"}:
        status = "partly" if len(rest) >= 2 else "covered"
    elif statuses == {"missing"}:
        status = "missing"
    else:
        status = "partly"
    heard = "; ".join(v.heard for v in verdicts)
    note = f"rules heard: {heard}"
    if len(rest) >= 2 and status != "missing":
        note += "; the rest needs the LLM grade"
    quotes = list(dict.fromkeys(q for v in verdicts for q in v.quotes))[:3]
    return SignalCoverage(signal=signal, status=status, quotes=quotes, note=note)  # type: ignore[arg-type]


def judge_signals(signals: list[str], evidence: Evidence) -> list[SignalCoverage]:
    """Each signal as covered / partly / missing where rules can judge it, else needs_llm."""
    return [_judge(s, evidence) for s in signals]
