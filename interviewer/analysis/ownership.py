"""Ownership: who did the work, "I" or "we", and "I would" in place of what was done.

- Pronoun counts ("let's" is not counted; "US" in capitals is the country). A restart counts
  once ("I, I, I built" and "I I I I I" are one "I"), and "I'm so" heard for a spoken "um, so"
  is a filler, not an "I".
- Actor findings need a past-tense verb (regular "-ed" or a known irregular form) after
  "I"/"we"/"our team": stories are told in the past, and present-tense design talk ("we use a
  feature store") says nothing about who acted. Stative verbs ("we wanted", "we needed") and
  "used to" are not actions.
- Hypotheticals: "I would / I'd / we would / we'd / I could / I might" + a verb. Opinion and
  politeness verbs ("I'd like", "I'd say", "I'd ask", "I would assume") do not count, nor does
  "I'd" + past participle ("I'd built" = I had built), nor "would have" (hindsight, a strength
  in a failure story), nor "I couldn't" (a past fact). They are recorded in every round: whether
  "I would" replaces a real story (behavioral) or is normal design talk is the grader's call.
  "I would" counts only where it replaces an action ("I would add a cache"), not where it
  introduces a topic: "the project I would talk about is", "the one I'd pick is" (a relative
  clause: a noun before the subject, a copula after the verb) and "I'd talk about".
"""

from __future__ import annotations

import re

from interviewer.models import OwnershipEvidence

from .delivery import heard_as_um
from .document import Document, per_sentence

__all__ = ["analyze_ownership", "is_past"]


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


def is_past(verb: str) -> bool:
    return verb in _IRREGULAR_PAST or (
        len(verb) > 4 and verb.endswith("ed") and verb not in _NON_ACTION_ED
    )


# After "the project I would talk about", "the one I'd pick": the copula of a relative clause.
_RELATIVE_TAIL = re.compile(r"(?:\s+(?:about|with|for|as|to|on|up|out|here|first))*\s*,?\s+(?:is|was|would\s+be|will\s+be)\b", re.I)
_CLAUSE_OPENERS = frozenset(
    """and so but then or because if first now here instead also well um uh yeah okay ok probably
    maybe actually basically honestly think guess say mean that which where when what how why
    where there next finally again still just really definitely""".split()
)


def _is_hypothetical(doc: Document, k: int, m: re.Match[str]) -> bool:
    subj, modal = m.group("subj").lower(), (m.group("modal") or "").lower()
    verb = m.group("verb").lower()
    before = doc.text[doc.tok_ends[k - 1] : doc.tok_starts[k]] if k else "."
    if k and doc.tok(k - 1) not in _CLAUSE_OPENERS and not any(c in before for c in ".!?,;:"):
        if _RELATIVE_TAIL.match(doc.text, m.end()):
            return False  # "the project I would talk about is ...": it names a topic
    if verb in ("talk", "speak") and doc.text[m.end() : m.end() + 7].lstrip().lower().startswith("about"):
        return False  # "I'd talk about the migration" introduces the story
    if subj == "we" and modal in ("could", "might"):
        return False  # "we could shard by user" lists options, it claims nothing
    if m.group("have") or verb in _NOT_HYPOTHETICAL:
        return False  # hindsight ("I would have"), opinions and politeness ("I'd say")
    if m.group("contr") and (is_past(verb) or verb in _PARTICIPLES_AFTER_HAD):
        return False  # "I'd built" = I had built
    return not (modal == "could" and m.group("neg"))  # "I couldn't reproduce it" is a fact


def analyze_ownership(doc: Document) -> OwnershipEvidence:
    text = doc.text
    i_count = we_count = 0
    i_hits: list[tuple[int, int, str]] = []
    we_hits: list[tuple[int, int, str]] = []
    hypo_hits: list[tuple[int, int, str]] = []
    for k, tok in enumerate(doc.toks):
        start, end = doc.tok_starts[k], doc.tok_ends[k]
        if tok in _I_FORMS:
            restart = k > 0 and doc.toks[k - 1] == tok and doc.adjacent(k - 1, ",-")
            if not (tok == "i" and text[end : end + 2] == ".e") and not restart and not heard_as_um(doc, k):
                i_count += 1  # not the "i" of "i.e.", a stutter or a misheard "um"
        elif tok in _WE_FORMS:
            if not (tok == "us" and (text[start:end] == "US" or text[end : end + 1] == "-")):
                we_count += 1  # not the country, not "us-east-1"
        if tok in _ACTOR_FIRST and doc.tok(k - 1) != "if" and (m := _ACTOR_RE.match(text, start)):
            # ("if I handed it over" is a condition, not an action)
            verb = m.group("verb").lower()
            if is_past(verb) and not (verb == "used" and m.group("to")):
                hit = (start, m.end("verb"), " ".join(text[start : m.end("verb")].split()))
                (i_hits if m.group("subj").lower() == "i" else we_hits).append(hit)
        if tok in _HYPO_FIRST and (m := _HYPO_RE.match(text, start)) and _is_hypothetical(doc, k, m):
            hypo_hits.append((start, m.end(), " ".join(m.group().split())))
    total = i_count + we_count
    return OwnershipEvidence(
        i_count=i_count,
        we_count=we_count,
        i_share=round(i_count / total, 3) if total else None,
        i_actor=per_sentence(doc, "i_actor", i_hits),
        we_actor=per_sentence(doc, "we_actor", we_hits),
        hypothetical=per_sentence(doc, "hypothetical", hypo_hits),
    )
