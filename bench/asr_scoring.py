"""Scoring for the ASR benchmarks: WER, filler recall/precision and term recall.

Fillers are scored on words aligned one by one after lower-casing and stripping punctuation,
never after Whisper's English normaliser (it deletes um/uh/hmm). WER on clean speech also spells
out numbers, so "10" and "ten" agree, the way that normaliser would.
"""

from __future__ import annotations

import re

import jiwer

# Every spelling Whisper uses for a hesitation counts as a filler (it writes "Um", "Umm", "Hmm",
# "Mm", "Uh"); which one it picked is not what the score is about.
FILLERS = frozenset("um umm uhm uh uhh hmm hm mm mhm er erm ah".split())

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
        "sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spell(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _spell(n % 100))
    if n < 1_000_000:
        return _spell(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + _spell(n % 1000))
    return str(n)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; hyphens and slashes split words."""
    text = text.lower().replace("%", " percent")
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    return re.sub(r"[^\w\s']", " ", text).split()


def wer_words(text: str) -> list[str]:
    out: list[str] = []
    for w in words(text):
        out.extend(_spell(int(w)).split() if w.isdigit() else [w])
    return out


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference words): sum these over clips for a corpus WER."""
    ref, hyp = " ".join(wer_words(reference)), " ".join(wer_words(hypothesis))
    out = jiwer.process_words(ref, hyp or "<empty>")
    return out.substitutions + out.deletions + out.insertions, len(ref.split())


def filler_counts(reference: str, hypothesis: str) -> tuple[int, int, int]:
    """(reference fillers, hypothesis fillers, aligned hits) on aligned words."""
    ref, hyp = words(reference), words(hypothesis)
    out = jiwer.process_words(" ".join(ref), " ".join(hyp) or "<empty>")
    hits = 0
    for chunk in out.alignments[0]:
        if chunk.type in ("equal", "substitute"):
            for i, j in zip(range(chunk.ref_start_idx, chunk.ref_end_idx), range(chunk.hyp_start_idx, chunk.hyp_end_idx)):
                hits += ref[i] in FILLERS and hyp[j] in FILLERS
    return sum(w in FILLERS for w in ref), sum(w in FILLERS for w in hyp), hits


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def term_occurrences(term: str, text: str) -> int:
    """How often ``term`` occurs in ``text``, whatever the spacing or hyphens ("P 99", "P-99")."""
    target = _compact(term)
    toks = [_compact(w) for w in re.split(r"[\s\-/]+", text)]
    toks = [t for t in toks if t]
    n_max = min(max(len(re.split(r"[\s\-/]+", term)) + 2, len(target)), 8)
    count, i = 0, 0
    while i < len(toks):
        for n in range(1, n_max + 1):
            if "".join(toks[i : i + n]) == target:
                count += 1
                i += n - 1
                break
        i += 1
    return count


def term_counts(terms: list[str], reference: str, hypothesis: str) -> tuple[int, int]:
    """(term occurrences in the reference, of those found in the hypothesis)."""
    said = found = 0
    for term in terms:
        r = term_occurrences(term, reference)
        said += r
        found += min(r, term_occurrences(term, hypothesis))
    return said, found
