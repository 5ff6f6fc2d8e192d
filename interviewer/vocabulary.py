"""The words the speech model should expect: fillers said verbatim, and the answer's ML vocabulary.

faster-whisper puts its ``hotwords`` text in front of every 30 s window (and, in the live path,
every chunk), where ``initial_prompt`` primes only the first window. Whisper reads that text as
what was said just before, so it copies its style: a prompt of capitalised, punctuated terms
followed by "Um, uh, hmm." keeps the candidate's fillers and spells "NDCG", "P99", "XGBoost" as
written, while a bare lower-case "um uh hmm" made the whole transcript lower-case and unpunctuated
(WER +1.5 points on clean read speech, bench/bench_asr.py). The transcriber uses two prompts:
the terms alone for the words, the terms and "Um, uh, hmm." for the decode whose hesitations it
merges in (interviewer.transcribe explains why).

The prompt holds ~220 tokens; faster-whisper cuts what is beyond, from the end. So the terms are
chosen per question, most relevant first: the user's own glossary, terms the question itself
names, then the shipped glossary's topics whose cue words occur in the question or its round.
An answer is decoded in chunks (interviewer.incremental), and each chunk's terms are chosen
again from the question and what the earlier chunks heard.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .models import Question
from .resources import prompts_dir
from .settings import home_dir

log = logging.getLogger(__name__)

# Written the way Whisper writes hesitations; last in the prompt, where it shapes the style most.
FILLER_STYLE = "Um, uh, hmm."
# faster-whisper keeps max_length // 2 - 1 = 223 prompt tokens; a little margin for the
# leading space it adds.
HOTWORDS_TOKEN_BUDGET = 220
# Terms only: a long prompt slows every window's decoding and its style starts to leak into the
# transcript, so the terms take part of the budget, not all of it (bench/bench_asr.py).
DEFAULT_TERM_TOKENS = 120

TokenCounter = Callable[[str], int]

# A hesitation as Whisper spells it ("Um,", "uhh", "Hmm."); its named group is the filler's name.
HESITATION = re.compile(
    r"(?P<uhm>u+h+m+)|(?P<um>u+m+)|(?P<uh>u+h+)|(?P<erm>e+r+m+)|(?P<er>e+r+)|(?P<hmm>h+m+)|(?P<mhm>m+h+m+)"
)


def is_hesitation(word: str) -> bool:
    """Whether one transcribed word is a hesitation sound, not a word with content."""
    bare = word.strip().strip(".,!?;:-\"'").lower()
    return bool(bare) and HESITATION.fullmatch(bare) is not None

_TOPIC = re.compile(r"^##\s*([^:]+?)\s*(?::\s*(.*))?$")
_WORD = re.compile(r"[a-z0-9][a-z0-9/\-]*")


def approx_tokens(text: str) -> int:
    """A safe over-estimate of Whisper's BPE token count when no tokenizer is at hand."""
    return sum(max(1, -(-len(w) // 3)) for w in re.findall(r"\w+|[^\w\s]", text))


@dataclass
class Topic:
    name: str
    cues: frozenset[str]
    terms: list[str] = field(default_factory=list)
    source: str = ""


def parse_glossary(text: str, source: str = "") -> list[Topic]:
    """Topics of one glossary file; terms before any ``## topic`` line form a topic with no cues."""
    topics: list[Topic] = [Topic("general", frozenset(), source=source)]
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("##"):
            m = _TOPIC.match(line)
            if not m:
                raise ConfigError(f"{source}: bad topic line {line!r} (expected '## name: cue words')")
            topics.append(Topic(m.group(1), frozenset(_WORD.findall((m.group(2) or "").lower())), source=source))
        elif line and not line.startswith("#"):
            topics[-1].terms.append(" ".join(line.split()))
    return [t for t in topics if t.terms]


def user_vocabulary_path() -> Path:
    return home_dir() / "vocabulary.txt"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the vocabulary file {path}: {exc}") from exc


@dataclass
class Glossary:
    shipped: list[Topic]
    user: list[Topic]

    @classmethod
    def load(cls, folder: Path | None = None, user_file: Path | None = None) -> Glossary:
        """The shipped glossary (prompts/vocabulary/*.txt) and the user's vocabulary.txt, if any."""
        folder = folder or prompts_dir() / "vocabulary"
        shipped = [t for p in sorted(folder.glob("*.txt")) for t in parse_glossary(_read(p), p.name)]
        user_file = user_file or user_vocabulary_path()
        user = parse_glossary(_read(user_file), str(user_file)) if user_file.is_file() else []
        return cls(shipped, user)

    @property
    def all_terms(self) -> list[str]:
        return _unique(t for topic in self.user + self.shipped for t in topic.terms)

    def terms_for(self, question: Question | None, heard: str = "") -> list[str]:
        """Every glossary term, most relevant to ``question`` and to what the candidate has said
        so far (``heard``) first (no budget applied).

        What was heard counts as much as the question: a latency question answered with "on the
        search ranking team" brings in the ranking terms ("NDCG", "MRR") for the rest of
        the answer, though the question never names ranking.
        """
        user = [t for topic in self.user for t in topic.terms]
        if question is None and not heard.strip():
            return _unique(user)
        context = " ".join(p for p in (question_context(question) if question else "", heard) if p)
        bag = set(_WORD.findall(context.lower())) | ({question.round.value} if question else set())
        # The substring test first: this runs before every live chunk, over all that was said.
        lowered = context.lower()
        named = [t for t in self.all_terms if (t.lower() in lowered or not t.isascii()) and _mentions(context, t)]
        scored = sorted(
            ((len(topic.cues & bag), i, topic) for i, topic in enumerate(self.shipped) if topic.cues & bag),
            key=lambda x: (-x[0], x[1]),
        )
        # Round-robin over the matching topics, best first, so one big topic cannot crowd out
        # the others when the budget is small.
        columns = [topic.terms for _, _, topic in scored]
        interleaved = [col[i] for i in range(max((len(c) for c in columns), default=0)) for col in columns if i < len(col)]
        return _unique([*user, *named, *interleaved])


def question_context(question: Question) -> str:
    """The text of everything the interviewer knows about the question before the answer."""
    # Principles are left out: every question has some, and their names would crowd the prompt
    # of a technical round; the behavioural round's topic brings them in.
    parts = [question.text, *question.signals, *question.dimensions, *question.follow_ups]
    return " ".join(parts)


def _mentions(text: str, term: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(term)}(?![\w])", text, re.IGNORECASE) is not None


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def build_hotwords(
    terms: list[str],
    *,
    fillers: bool = True,
    count_tokens: TokenCounter = approx_tokens,
    term_tokens: int = DEFAULT_TERM_TOKENS,
    budget: int = HOTWORDS_TOKEN_BUDGET,
) -> str | None:
    """The ``hotwords`` prompt: as many terms as fit ``term_tokens``, then the filler phrase.

    The filler phrase is always kept whole: faster-whisper cuts an over-long prompt at its end.
    """
    tail = FILLER_STYLE if fillers else ""
    room = min(term_tokens, budget - (count_tokens(" " + tail) if tail else 0))
    chosen: list[str] = []
    for term in terms:
        candidate = ", ".join([*chosen, term]) + "."
        if count_tokens(" " + candidate) > room:
            continue  # a shorter term further down may still fit
        chosen.append(term)
    head = ", ".join(chosen) + "." if chosen else ""
    prompt = " ".join(p for p in (head, tail) if p)
    return prompt or None
