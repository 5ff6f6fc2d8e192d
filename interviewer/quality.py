"""How far a transcript can be trusted, from faster-whisper's own confidences.

``with_quality`` is the one place a transcript gets its ``quality`` and its words their
``uncertain`` mark; the session service calls it for batch and live transcripts alike, and the
``transcribe`` command for its output.

Thresholds (tiny.en, measured with /tmp-free clips in tests/data/asr/, see README "Transcript
quality"): English answers, piper, espeak-ng and a human LibriVox reading, decode at a
duration-weighted avg_logprob of -0.15 to -0.45 with mean word probability 0.80-0.93; German and
French answers (espeak-ng) at about -0.9 to -1.2 and 0.45-0.5, English played backwards at -1.0
and 0.42. The gates sit between the two groups.
"""

from __future__ import annotations

from .models import Segment, Transcript, TranscriptQuality, Word
from .vocabulary import is_hesitation

# Below this duration-weighted avg_logprob the model was guessing at most tokens.
MIN_AVG_LOGPROB = -0.75
# Below this mean word probability most words are guesses.
MIN_MEAN_WORD_PROBABILITY = 0.62
# More than this share of uncertain words: mostly unintelligible even if the mean looks fine.
MAX_UNCERTAIN_SHARE = 0.35
# Gaps between words longer than this are pauses, not speech.
PAUSE_S = 1.0
# Fewer words than this per minute of audio: mostly not speech (noise, music, silence).
MIN_WORDS_PER_MINUTE = 20

UNRELIABLE = (
    "The transcript is probably wrong: the speech was not recognised as clear English "
    "(another language, heavy noise or mumbling), so grades based on it are capped at 3."
)


def with_quality(transcript: Transcript, uncertain_below: float = 0.4) -> Transcript:
    """The transcript with low-probability words marked uncertain and ``quality`` filled in.

    A pasted text transcript (no audio) is returned unchanged: there is nothing to measure.
    """
    if transcript.source != "audio":
        return transcript
    segments = [_mark(s, uncertain_below) for s in transcript.segments]
    marked = transcript.model_copy(update={"segments": segments})
    return marked.model_copy(update={"quality": assess_quality(marked)})


def _uncertain(word: Word, below: float) -> bool:
    # Whisper is rarely sure of an "um" (p ~0.2-0.4) and an "um" carries nothing a grade could
    # quote: hesitations are never marked, and a filler-rich answer does not look unintelligible.
    return word.probability is not None and word.probability < below and not is_hesitation(word.text)


def _mark(segment: Segment, below: float) -> Segment:
    words = [w.model_copy(update={"uncertain": _uncertain(w, below)}) for w in segment.words]
    return segment.model_copy(update={"words": words})


def assess_quality(transcript: Transcript) -> TranscriptQuality:
    """Confidence figures of an audio transcript whose words are already marked."""
    words: list[Word] = transcript.words
    content = [w for w in words if not is_hesitation(w.text)]
    probs = [w.probability for w in content if w.probability is not None]
    scored = [(s.avg_logprob, s.end - s.start) for s in transcript.segments if s.avg_logprob is not None]
    weight = sum(max(d, 0.01) for _, d in scored)
    avg_logprob = round(sum(lp * max(d, 0.01) for lp, d in scored) / weight, 3) if scored else None
    mean_prob = round(sum(probs) / len(probs), 3) if probs else None
    uncertain = sum(w.uncertain for w in words)
    speech_s = _speech_seconds(words)

    warnings: list[str] = []
    reliable = True
    unclear = (
        (avg_logprob is not None and avg_logprob < MIN_AVG_LOGPROB)
        or (mean_prob is not None and mean_prob < MIN_MEAN_WORD_PROBABILITY)
        or (content and uncertain / len(content) > MAX_UNCERTAIN_SHARE)
    )
    if unclear:
        reliable = False
        warnings.append(UNRELIABLE)
    elif transcript.duration_s and transcript.duration_s >= 30 and len(words) < MIN_WORDS_PER_MINUTE * transcript.duration_s / 60:
        reliable = False
        warnings.append(
            f"Only {len(words)} words were recognised in {transcript.duration_s / 60:.1f} minutes of audio: "
            "the recording is mostly not speech, so grades based on it are capped at 3."
        )
    if reliable and uncertain:
        warnings.append(
            f"{uncertain} of {len(words)} words were recognised with low confidence; "
            "they are marked and never quoted as proof."
        )
    return TranscriptQuality(
        avg_logprob=avg_logprob,
        mean_word_probability=mean_prob,
        uncertain_words=uncertain,
        word_count=len(words),
        speech_s=speech_s,
        reliable=reliable,
        warnings=warnings,
    )


def _speech_seconds(words: list[Word]) -> float | None:
    if not words:
        return None
    span = words[-1].end - words[0].start
    pauses = sum(max(0.0, b.start - a.end) for a, b in zip(words, words[1:]) if b.start - a.end > PAUSE_S)
    return round(max(0.0, span - pauses), 2)
