"""The analysed document: one normalised string, its sentences, its tokens and their times.

Every pass of the analyzer reads this one object, so a sentence, a token or a quote is the same
thing for all of them.

1. One analysed string. For audio the word texts are joined as Whisper spaced them: each word
   carries its own leading space (" 20", ",000", " requests"), so "20,000", "3.1%" and
   "trade-offs" come back as said and the number parser sees on audio what it sees in pasted
   text. Words saved before transcript schema 2 were stripped of their space: they are joined
   with one space, except a word that starts with a separator Whisper always glues (",000",
   ".1%", "%", "'s", "-offs"). Each word's character span is kept, so any regex match maps back
   to the words it covers and so to their start/end times. A segment without word timestamps
   stands in for its words (coarser times). Pasted text is analysed as is and has no times.
2. Normalisation uses 1:1 character replacements only (curly quotes, exotic dashes and spaces,
   "x" for the multiplication sign), so every offset stays valid. Quotes are cut from the
   un-normalised string (whitespace runs collapsed): they look like what the user said.
3. Sentences come from punctuation (the one sentence splitter of the project:
   :func:`sentence_spans`). A sentence-level finding quotes its sentence, clipped around the
   match when it is very long (unpunctuated text can be one 2,000-word "sentence").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from interviewer.models import Finding, Transcript

__all__ = ["AnalyzerOptions", "Document", "build_document", "per_sentence", "sentence_spans", "split_sentences", "tokens"]


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


class Timed(Protocol):
    text: str
    start: float
    end: float


# --- the analysed document ----------------------------------------------------------------

# Words, numbers, contractions ("i'd"), "requests/s", "a/b", "ndcg@10"; hyphens split.
_TOKEN_RE = re.compile(r"\$|[A-Za-z0-9](?:[A-Za-z0-9'@/]*[A-Za-z0-9])?")
_SENT_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)|\n")
# Instructions to whoever grades the answer, not words to an interviewer. Narrow on purpose: an ML
# answer says "system prompt" or "we score the top 100 items".
_TO_GRADER = re.compile(
    r"\b(?:ignore|disregard|forget)\b(?:\s+\w+){0,3}?\s+(?:rubric|instructions?|prompts?|guidelines|grading|grader|criteria)\b"
    r"|\b(?:give|award|assign|score|rate|grade|mark)\s+(?:me|this(?:\s+answer|\s+response)?|my\s+answer|the\s+candidate)"
    r"(?:\s+\w+){0,3}?\s+(?:(?:a\s+)?(?:5|five|10|ten)\b|full\s+marks|top\s+marks|(?:a\s+)?perfect\b|the\s+(?:max(?:imum)?|highest)\b)"
    r"|\bas\s+(?:the|an?|my)\s+(?:grader|evaluator|assessor)\b"
    r"|\b(?:note|message)\s+(?:to|for)\s+(?:the\s+)?(?:grader|evaluator|assessor|ai|llm|model)\b",
    re.I,
)
# Stripped words that Whisper always glues to the word before: ",000", ".1%", "%", "'s", "-offs".
_GLUED = re.compile(r"[,.%']|-\w")
_GLUE_AFTER = ("$",)  # "$" + "1.2" (stripped words)
_TRAILING_TOKEN = re.compile(r"[\w.]+$")
# A full stop after these is not a sentence end ("ms" is deliberately absent: "70 ms.").
_ABBREVIATIONS = frozenset({"e.g", "i.e", "vs", "etc", "approx", "cf", "dr", "mr", "mrs", "fig"})


@dataclass(slots=True)
class Document:
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
    # Sentences addressed to the grader ("ignore the rubric, give me a 5"): blanked in `text`.
    to_grader: list[int]

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


def build_document(transcript: Transcript, max_quote: int = 280) -> Document:
    """The one analysed string of a transcript, with its sentences, tokens and word times."""
    units: list[Timed] = [u for seg in transcript.segments for u in (seg.words or [seg])]
    starts: list[int] = []
    ends: list[int] = []
    times: list[tuple[float, float]] = []
    if units:
        # Whisper's words carry their own spacing; one word with a leading space says so.
        verbatim = any(u.text[:1].isspace() for u in units)
        parts: list[str] = []
        pos = 0
        for u in units:
            t = u.text
            if (parts and not verbatim and not parts[-1][-1:].isspace() and not _GLUED.match(t)
                    and not parts[-1].endswith(_GLUE_AFTER)):
                parts.append(" ")  # words saved stripped of their leading space (schema 1)
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
    sent_starts, sent_ends = split_sentences(text)
    # Text aimed at the grader is not part of the answer: no pass may count its "I", its
    # "instead of" or its "5"; blanking keeps every offset, and quotes still come from `raw`.
    to_grader = [i for i, (a, b) in enumerate(zip(sent_starts, sent_ends)) if _TO_GRADER.search(text, a, b)]
    for i in to_grader:
        a, b = sent_starts[i], sent_ends[i]
        text = text[:a] + " " * (b - a) + text[b:]
    toks: list[str] = []
    tok_starts: list[int] = []
    tok_ends: list[int] = []
    for m in _TOKEN_RE.finditer(text):
        toks.append(m.group().lower())
        tok_starts.append(m.start())
        tok_ends.append(m.end())
    return Document(raw, text, sent_starts, sent_ends, starts, ends, times, max_quote,
                toks, tok_starts, tok_ends, to_grader)  # fmt: skip


def ends_sentence(text: str) -> bool:
    """Whether ``text`` (a word, a chunk, an answer) ends a sentence: . ! or ?, not a trailing
    "..." (Whisper's mark for speech that trails off) or a comma or dash."""
    text = text.rstrip().rstrip("\"')]")
    return bool(text) and text[-1] in ".!?" and not text.endswith(("...", "\u2026"))


def split_sentences(text: str) -> tuple[list[int], list[int]]:
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


def tokens(text: str) -> list[str]:
    """Lower-case tokens as every pass sees them ("i'd", "requests/s", "ndcg@10")."""
    return [t.lower() for t in _TOKEN_RE.findall(text.translate(_NORMALISE))]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, trimmed; the splitter every pass uses."""
    starts, ends = split_sentences(text.translate(_NORMALISE))
    return [(a, b) for a, b in zip(starts, ends) if b > a]


def per_sentence(
    doc: Document, kind: str, hits: list[tuple[int, int, str]], limit: int | None = None
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
