"""Delivery: fillers, pace, long pauses and time used.

Whisper drops many fillers, so filler counts from audio are a floor. "like" is a filler only
when a comma follows it and it is not a verb ("I like,"); "kind of"/"sort of" not after a
determiner ("what kind of model"). Long pauses are gaps between consecutive words (>=
long_pause_s); silence before the first or after the last word is not a pause, and speaking time
is first word start to last word end minus long pauses; wpm is words per speaking minute (per
duration minute when there are no word times, None with neither).
"""

from __future__ import annotations

import re

from interviewer.models import DeliveryEvidence, Pause, Transcript
from interviewer.vocabulary import HESITATION

from .document import AnalyzerOptions, Document

__all__ = ["analyze_delivery", "heard_as_um"]


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
_HESITATION_FIRST = frozenset("ueh")  # "mhm" is a backchannel, not counted
_FILLER_FIRST = frozenset("basically actually literally right like you kind sort i so i'm".split())
# Words that can follow a filler "so" but not the adjective "so" of "I'm so glad".
_AFTER_FILLER_SO = frozenset(
    """the a an we i i'm it it's this that these those our my they you there what when how why
    first basically yeah um uh okay ok let let's in at for if on one and then""".split()
)


def heard_as_um(doc: Document, k: int) -> bool:
    """Whether token k is an "I'm" that was a spoken "um": "Um, so" transcribed as "I'm so"."""
    if doc.toks[k] != "i'm" or doc.tok(k + 1) != "so":
        return False
    after_so = doc.text[doc.tok_ends[k + 1] : doc.tok_ends[k + 1] + 2].lstrip(" ")[:1]
    return after_so in (",", ".", "") or doc.tok(k + 2) in _AFTER_FILLER_SO
_WORD_COUNT_RE = re.compile(r"\S*[^\W_]\S*")


def _filler_at(doc: Document, k: int) -> tuple[str, int] | None:
    """The filler starting at token k as (name, end offset), or None."""
    tok, text = doc.toks[k], doc.text
    end = doc.tok_ends[k]
    if tok == "i'm":
        return ("um", end) if heard_as_um(doc, k) else None
    if tok[0] in _HESITATION_FIRST and len(tok) <= 6 and (m := HESITATION.fullmatch(tok)):
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


def analyze_delivery(
    doc: Document, transcript: Transcript, budget: int, opts: AnalyzerOptions
) -> DeliveryEvidence:
    text = doc.text
    word_count = len(_WORD_COUNT_RE.findall(doc.raw))  # every word said, to the grader too
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
