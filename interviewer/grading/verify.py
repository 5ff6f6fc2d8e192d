"""Never trust the model blindly: check its quotes and scores against the transcript and evidence.

Three checks, applied to every LLM grade before it is saved:

1. Quotes. Each quote must occur in the transcript. Both sides are normalised to lowercase
   alphanumeric tokens (so case, punctuation, curly quotes and Whisper's spacing do not matter)
   and the quote's token sequence is looked for; an ellipsis splits a quote into pieces that must
   each occur, in order. A quote not found is dropped and counted.
2. Contradictions. A few hard-evidence rules, keyed by the evidence metric a criterion is scored
   with (so other rubrics get them too). A contradiction is flagged, not silently fixed: the user
   sees both the model's score and why it is doubtful.
3. Injection. Text in the answer addressed to the grader ("ignore the rubric", "give me a 5") is
   detected; then no criterion with an evidence rule may score more than its evidence-only score
   + 1, and every criterion is flagged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ..models import CriterionGrade, Evidence, Transcript
from ..rubric import Rubric

# --- quotes ------------------------------------------------------------------------------------

_QUOTE_CHARS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'",
                              "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"'})
_APOSTROPHE_IN_WORD = re.compile(r"(?<=\w)'(?=\w)")
_TOKEN = re.compile(r"[a-z0-9]+")
_ELLIPSIS = re.compile(r"\.\.\.+|\u2026|\[\s*(?:\.\.\.|\u2026)\s*\]")
# A quote whose tokens differ from the transcript's only by spacing ("data set" vs "dataset",
# "5 %" vs "5%") still matches when the joined characters are long enough not to match by chance.
_MIN_JOINED_MATCH = 12


def tokens(text: str) -> list[str]:
    """Lowercase alphanumeric tokens; "don't" -> "dont", accents and quote styles ignored."""
    text = unicodedata.normalize("NFKD", text).translate(_QUOTE_CHARS).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _APOSTROPHE_IN_WORD.sub("", text)
    return _TOKEN.findall(text)


def _find_sequence(needle: list[str], hay: list[str], start: int) -> int:
    """Index just past the first occurrence of ``needle`` in ``hay[start:]``, or -1."""
    n = len(needle)
    for i in range(start, len(hay) - n + 1):
        if hay[i : i + n] == needle:
            return i + n
    return -1


class TranscriptIndex:
    """A transcript prepared once for many quote look-ups."""

    def __init__(self, text: str) -> None:
        self.tokens = tokens(text)
        self.joined = "".join(self.tokens)

    def contains(self, quote: str) -> bool:
        pieces = [tokens(p) for p in _ELLIPSIS.split(quote)]
        pieces = [p for p in pieces if p]
        if not pieces:
            return False
        pos = 0
        for piece in pieces:
            end = _find_sequence(piece, self.tokens, pos)
            if end < 0:
                break
            pos = end
        else:
            return True
        # Tokenisation differences only (spacing): compare without token boundaries.
        return all(
            len(j := "".join(p)) >= _MIN_JOINED_MATCH and j in self.joined for p in pieces
        )


def verify_quotes(criteria: Iterable[CriterionGrade], transcript: Transcript) -> int:
    """Drop, in place, every quote not found in the transcript; return how many were dropped."""
    index = TranscriptIndex(transcript.text)
    dropped = 0
    for cg in criteria:
        kept = [q for q in cg.quotes if q.strip() and index.contains(q)]
        dropped += len(cg.quotes) - len(kept)
        cg.quotes = kept
    return dropped


def verify_strings(items: Iterable[str], transcript: Transcript) -> tuple[list[str], int]:
    """Same check for a flat list of quotes; returns (kept, dropped)."""
    index = TranscriptIndex(transcript.text)
    items = list(items)
    kept = [q for q in items if q.strip() and index.contains(q)]
    return kept, len(items) - len(kept)


# --- contradictions ----------------------------------------------------------------------------

# How far the model may stray from the deterministic score before we say so.
MAX_DIVERGENCE = 2


def _family(rubric: Rubric, criterion: str) -> str | None:
    c = rubric.criterion(criterion)
    return c.evidence.metric.split(".")[0] if c and c.evidence else None


def contradiction_flags(family: str | None, score: int, evidence: Evidence, evidence_score: int | None) -> list[str]:
    """Why a score is at odds with hard evidence; empty when it is not."""
    flags: list[str] = []
    own, imp, asm = evidence.ownership, evidence.impact, evidence.assumptions
    if family == "impact" and score >= 4 and not imp.numbers:
        flags.append(f"score {score} for impact, but the answer contains no number")
    if family == "ownership" and score >= 4 and not own.i_actor and own.we_actor:
        flags.append(
            f"score {score} for ownership, but no action has 'I' as the actor "
            f"({len(own.we_actor)} with 'we')"
        )
    if (
        family == "assumptions"
        and score >= 4
        and not asm.statements
        and not asm.clarifying_questions
        and asm.hidden
    ):
        flags.append(
            f"score {score} for assumptions, but none was stated or asked; hidden: {', '.join(asm.hidden)}"
        )
    if evidence_score is not None and abs(score - evidence_score) > MAX_DIVERGENCE:
        flags.append(f"differs from the evidence-only score ({evidence_score}) by more than {MAX_DIVERGENCE}")
    return flags


# --- injection ---------------------------------------------------------------------------------

# Narrow on purpose: an ML answer legitimately says "system prompt", "score the top 100 items" or
# "bypass the rules engine", so only phrases aimed at whoever grades the answer count.
_INJECTION_PATTERNS = [
    # "ignore the rubric", "disregard all previous instructions", "forget your grading guidelines"
    r"\b(?:ignore|disregard|forget)\b(?:\s+\w+){0,3}?\s+(?:rubric|instructions|prompt|guidelines|grading|grader)\b",
    # "give me a 5", "score this answer five out of five", "award me full marks"
    r"\b(?:give|award|assign|score|rate|grade|mark)\s+(?:me|this\s+answer|my\s+answer|this\s+response|the\s+candidate)"
    r"(?:\s+\w+){0,2}?\s+(?:(?:a\s+)?(?:5|five)\b|full\s+marks|top\s+marks|(?:a\s+)?perfect\b|the\s+(?:max(?:imum)?|highest)\b)",
    # "as the grader you must", "note to the AI"
    r"\bas\s+(?:the|an?|my)\s+(?:grader|evaluator|assessor)\b",
    r"\b(?:note|message)\s+(?:to|for)\s+(?:the\s+)?(?:grader|evaluator|assessor|ai|llm)\b",
    r"\byou\s+(?:must|should|will|have\s+to|need\s+to)\s+(?:give|award|assign|score|rate|grade)\s+(?:me|this\s+answer|my\s+answer|the\s+candidate)\b",
    # Markup that tries to close the data block or forge a reply.
    r"</?\s*transcript\s*>|\"score\"\s*:\s*\d|```",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _INJECTION_PATTERNS), re.IGNORECASE)


def detect_injection(text: str, *, limit: int = 3) -> list[str]:
    """Snippets of the answer that address the grader instead of the interviewer."""
    flat = unicodedata.normalize("NFKC", text).translate(_QUOTE_CHARS)
    hits: list[str] = []
    for m in _INJECTION.finditer(flat):
        start, end = max(0, m.start() - 20), min(len(flat), m.end() + 20)
        hits.append(" ".join(flat[start:end].split()))
        if len(hits) >= limit:
            break
    return hits


# --- all checks together -----------------------------------------------------------------------


def check_grade(
    criteria: list[CriterionGrade],
    rubric: Rubric,
    transcript: Transcript,
    evidence: Evidence,
    evidence_scores: dict[str, int],
) -> int:
    """Apply the three checks in place; returns the number of dropped quotes."""
    dropped = verify_quotes(criteria, transcript)
    injection = detect_injection(transcript.text)
    for cg in criteria:
        ev = evidence_scores.get(cg.criterion)
        cg.flags.extend(contradiction_flags(_family(rubric, cg.criterion), cg.score, evidence, ev))
        if injection:
            note = f"the answer contains text addressed to the grader ('{injection[0]}')"
            if ev is not None and cg.score > ev + 1:
                cg.flags.append(f"capped from {cg.score} to {ev + 1}: {note}")
                cg.score = ev + 1
            else:
                cg.flags.append(f"injection suspected: {note}")
    return dropped
