"""Progress across sessions: Leadership Principle coverage, stories, and the impact sheet.

A pure library on top of :class:`~interviewer.store.Store`: it reads saved sessions and returns
typed results (the CLI renders them).

Stories
-------
The guide advises two prepared stories for each of the 16 Leadership Principles, and the same
story is often reused for several questions. Answers are grouped into stories cheaply, without a
model:

1. Each story-telling answer (behavioral, ML depth and recruiter rounds, or any question probing a
   principle outside the design, coding and breadth rounds) becomes a bag of content tokens: words
   of 3+ letters that are not stopwords, spoken fillers or words of the question itself (two
   answers to one question share its words, not a story), and numbers of 2+ digits.
2. Its *signature* is its ``top_k`` tokens by tf-idf over all story answers in the store, so
   project names, techniques and figures ("distillation", "ranker", "180") outrank common words.
3. Two answers are the same story when their signatures share ``min_shared_tokens`` tokens, or
   when they make ``min_shared_claims`` identical quantified claims (same value and unit, from the
   analyzer's evidence). Stories are the connected groups (union-find), numbered S1, S2 ... by
   their first telling.

A principle is *missing* when no story has been practised for it, *practised* with one story and
*ready* with two or more (the guide's two stories per principle).

Consistency of claims
---------------------
A Bar Raiser checks that a story keeps its numbers. Within one story, two tellings' before ->
after pairs with the same units are the same claim when one side agrees and the other does not
("120 ms -> 70 ms" last week, "150 ms -> 70 ms" today): :func:`claim_conflicts` lists them and the
impact sheet shows them under their story. Pairs that differ on both sides are taken for different
claims (the same story can report latency and cost), so a story retold with all new figures is not
flagged.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .bank import LEADERSHIP_PRINCIPLES, canonical_principle
from .errors import StoreError
from .analysis import sentence_spans
from .analysis.numbers import format_quantity, parse_quantity
from .models import Round, SessionMeta, Track
from .store import SavedSession, Store

log = logging.getLogger(__name__)

#: How many distinct stories make a principle "ready" (the guide: two per principle).
STORIES_PER_PRINCIPLE = 2

# Rounds whose answers are stories about the candidate's own past work.
STORY_ROUNDS = frozenset({Round.behavioral, Round.ml_depth, Round.recruiter_screen})
# Rounds whose answers are designs, code or explanations: their numbers are estimates, not claims.
NON_STORY_ROUNDS = frozenset({Round.ml_system_design, Round.coding, Round.ml_breadth})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoryOptions(_Model):
    """How answers are grouped into stories."""

    top_k: int = Field(default=20, ge=3, le=200, description="tokens in an answer's signature")
    min_shared_tokens: int = Field(
        default=6, ge=1, le=200, description="signature tokens two tellings of one story share at least"
    )
    min_shared_claims: int = Field(
        default=2, ge=1, le=50, description="identical quantified claims that also make two answers one story"
    )


class SessionSummary(_Model):
    id: str
    created_at: datetime
    question_id: str
    question: str
    round: Round
    track: Track | None = None
    principles: list[str] = Field(default_factory=list)
    overall: float | None = Field(default=None, description="latest grade (LLM preferred)")
    grader: str | None = None
    story_id: str | None = Field(default=None, description="None: not a story-telling answer, or no transcript")


class Story(_Model):
    id: str = Field(description="S1, S2 ... in order of first telling")
    label: str = Field(description="its most distinctive tokens")
    keywords: list[str]
    session_ids: list[str] = Field(description="every telling, oldest first")
    principles: list[str] = Field(description="principles probed by the questions it answered")
    best: float | None = None
    latest: float | None = None


class PrincipleCoverage(_Model):
    principle: str
    session_ids: list[str] = Field(description="sessions whose question probed it, oldest first")
    story_ids: list[str]
    best: float | None = None
    latest: float | None = Field(default=None, description="score of the newest graded session")
    status: Literal["missing", "practised", "ready"]


class CoverageMap(_Model):
    principles: list[PrincipleCoverage]
    stories: list[Story]
    sessions: list[SessionSummary]
    missing: list[str] = Field(description="principles with no practised story")
    generated_at: datetime


class Claim(_Model):
    """One sentence with quantified claims in it."""

    sentence: str
    figures: list[str] = Field(description='e.g. "180 ms -> 85 ms", "$40k"')
    projected: bool = Field(default=False, description="worded as a projection, estimate or target")


class ClaimTelling(_Model):
    session_id: str
    created_at: datetime
    figure: str = Field(description='the before -> after as measured, e.g. "120 ms -> 70 ms"')
    quote: str = Field(description="the sentence it was said in")


class ClaimConflict(_Model):
    """One claim of a story told with different figures in two tellings."""

    story_id: str
    earlier: ClaimTelling
    later: ClaimTelling
    note: str = Field(description='e.g. "before: 120 ms on 2026-11-20, 150 ms on 2026-11-27; after: 70 ms both times"')


# --- loading -----------------------------------------------------------------------------------


def load_sessions(store: Store) -> list[SavedSession]:
    """Every saved session, oldest first; a damaged one is skipped with a warning."""
    out = []
    for row in reversed(store.list(limit=None)):
        folder = store.root / row.id
        if not (folder / "session.json").is_file():
            log.warning("session %s is indexed but its folder is missing", row.id)
            continue
        try:
            out.append(store.load_folder(folder))
        except StoreError as exc:
            log.warning("skipping session %s: %s", row.id, exc)
    return out


def tells_story(meta: SessionMeta) -> bool:
    """Whether the answer is a story about the candidate's own work (so it has claims)."""
    q = meta.question
    return q.round in STORY_ROUNDS or (q.round not in NON_STORY_ROUNDS and bool(q.principles))


def _principles(meta: SessionMeta) -> list[str]:
    out = []
    for name in meta.question.principles:
        try:
            out.append(canonical_principle(name))
        except ValueError:
            log.debug("ignoring unknown principle %r in session %s", name, meta.id)
    return list(dict.fromkeys(out))


def _overall(saved: SavedSession) -> float | None:
    grade = saved.latest_grade
    return grade.overall if grade else None


# --- stories -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z][a-z'\-]*[a-z]|\d[\d,]*(?:\.\d+)?")
# Function words, spoken fillers and words every interview answer uses: none tells stories apart.
_STOPWORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another any
    anything are around as at be became because become been before being below between both but by
    can could did didn't do does doesn't doing don't done down during each either else enough even
    ever every everything few for from further get gets getting got had has have having he her here
    him his how however i i'd i'll i'm i've if in into is isn't it it's its itself just kind know
    let let's like made make makes making many may me might more most much must my myself need
    needed never new no nor not now of off often on once one only or other others our ours out over
    own per quite rather really right said same say says see seen she should since so some something
    still such sure than that that's the their them then there these they thing things think this
    those though through thus to too took under until up upon us use used using very via was wasn't
    way we we'd we're we've well went were weren't what what's when where whether which while who
    whom whose why will with within without would yeah yes yet you your um uh uhm erm hmm okay ok
    basically actually literally mean sort lot lots pretty probably maybe able bit put take going
    want wanted told tell ask asked time times first second third last next
    team teams work worked working project projects problem problems result results decided
    company people person question answer example
    zero two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty
    fifty sixty seventy eighty ninety hundred thousand million billion half double twice ago
    percent point millisecond second minute hour day week month quarter year dollar
    """.split()
)
_WORD_MIN = 3


def _fold(token: str) -> str:
    """A cheap singular: "models" -> "model" (not "process" -> "proces")."""
    if len(token) > 4 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _tokens(text: str) -> list[str]:
    out = []
    for raw in _TOKEN.findall(text.lower()):
        if raw[0].isdigit():
            num = raw.replace(",", "")
            if len(num.split(".")[0]) >= 2 or "." in num:
                out.append(num)
            continue
        word = raw.strip("'-").removesuffix("'s")
        if len(word) < _WORD_MIN or word in _STOPWORDS:
            continue
        word = _fold(word)
        if word not in _STOPWORDS:
            out.append(word)
    return out


def _claims_key(saved: SavedSession) -> set[tuple[float, str | None]]:
    if saved.evidence is None:
        return set()
    return {(round(n.value, 4), n.unit) for n in saved.evidence.impact.numbers if n.value is not None}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def find_stories(
    sessions: Sequence[SavedSession], options: StoryOptions | None = None
) -> tuple[list[Story], dict[str, str]]:
    """Group story-telling answers into stories; returns the stories and session id -> story id.

    ``sessions`` should be oldest first (as :func:`load_sessions` returns them).
    """
    opts = options or StoryOptions()
    tellers = [s for s in sessions if tells_story(s.meta) and s.transcript and s.transcript.text.strip()]
    bags: list[Counter[str]] = []
    for s in tellers:
        question_words = set(_tokens(s.meta.question.text))
        bags.append(Counter(t for t in _tokens(s.transcript.text) if t not in question_words))  # type: ignore[union-attr]
    df: Counter[str] = Counter(t for bag in bags for t in bag)
    n = len(bags)

    def weights(bag: Counter[str]) -> dict[str, float]:
        return {t: c * (math.log((n + 1) / (df[t] + 1)) + 1) for t, c in bag.items()}

    signatures: list[set[str]] = []
    for bag in bags:
        w = weights(bag)
        signatures.append({t for t, _ in sorted(w.items(), key=lambda kv: (-kv[1], kv[0]))[: opts.top_k]})
    claims = [_claims_key(s) for s in tellers]

    groups = _UnionFind(n)
    for i in range(n):
        for j in range(i + 1, n):
            if (
                len(signatures[i] & signatures[j]) >= opts.min_shared_tokens
                or len(claims[i] & claims[j]) >= opts.min_shared_claims
            ):
                groups.union(i, j)

    members: dict[int, list[int]] = {}
    for i in range(n):
        members.setdefault(groups.find(i), []).append(i)
    stories: list[Story] = []
    story_of: dict[str, str] = {}
    ordered = sorted(members.values(), key=lambda idx: (tellers[idx[0]].meta.created_at, tellers[idx[0]].meta.id))
    for number, idx in enumerate(ordered, start=1):
        sid = f"S{number}"
        total: Counter[str] = Counter()
        for i in idx:
            total.update(weights(bags[i]))
        # Keywords shared by several tellings describe the story better than one telling's quirks.
        spread = Counter(t for i in idx for t in signatures[i])
        keywords = [t for t, _ in sorted(total.items(), key=lambda kv: (-spread[kv[0]], -kv[1], kv[0]))[:8]]
        # A label reads better as words first: "ranker, distillation, cache, 180".
        words = [t for t in keywords if not t[0].isdigit()]
        label = ", ".join(words[:3] + [t for t in keywords if t[0].isdigit()][:1])
        told = [tellers[i] for i in idx]
        scored = [(s.meta.created_at, o) for s in told if (o := _overall(s)) is not None]
        principles = list(dict.fromkeys(p for s in told for p in _principles(s.meta)))
        stories.append(
            Story(
                id=sid,
                label=label or "(no distinctive words)",
                keywords=keywords,
                session_ids=[s.meta.id for s in told],
                principles=[p for p in LEADERSHIP_PRINCIPLES if p in principles],
                best=max((o for _, o in scored), default=None),
                latest=max(scored, key=lambda x: x[0])[1] if scored else None,
            )
        )
        for s in told:
            story_of[s.meta.id] = sid
    return stories, story_of


# --- coverage ----------------------------------------------------------------------------------


def _summary(saved: SavedSession, story_id: str | None) -> SessionSummary:
    grade = saved.latest_grade
    return SessionSummary(
        id=saved.meta.id,
        created_at=saved.meta.created_at,
        question_id=saved.meta.question.id,
        question=saved.meta.question.text,
        round=saved.meta.question.round,
        track=saved.meta.track,
        principles=_principles(saved.meta),
        overall=grade.overall if grade else None,
        grader=grade.grader if grade else None,
        story_id=story_id,
    )


def build_coverage(
    sessions: Sequence[SavedSession], options: StoryOptions | None = None, *, now: datetime | None = None
) -> CoverageMap:
    """The coverage map of the 16 Leadership Principles over ``sessions`` (oldest first)."""
    stories, story_of = find_stories(sessions, options)
    summaries = [_summary(s, story_of.get(s.meta.id)) for s in sessions]
    rows: list[PrincipleCoverage] = []
    for principle in LEADERSHIP_PRINCIPLES:
        probing = [s for s in summaries if principle in s.principles]
        story_ids = list(dict.fromkeys(s.story_id for s in probing if s.story_id))
        graded = [s for s in probing if s.overall is not None]
        latest = max(graded, key=lambda s: (s.created_at, s.id)) if graded else None
        rows.append(
            PrincipleCoverage(
                principle=principle,
                session_ids=[s.id for s in probing],
                story_ids=story_ids,
                best=max((s.overall for s in graded if s.overall is not None), default=None),
                latest=latest.overall if latest else None,
                status="missing" if not story_ids else "ready" if len(story_ids) >= STORIES_PER_PRINCIPLE else "practised",
            )
        )
    return CoverageMap(
        principles=rows,
        stories=stories,
        sessions=summaries,
        missing=[r.principle for r in rows if r.status == "missing"],
        generated_at=now or datetime.now(timezone.utc),
    )


def coverage_map(store: Store, options: StoryOptions | None = None) -> CoverageMap:
    """Leadership Principle coverage over every saved session."""
    return build_coverage(load_sessions(store), options)


# --- impact sheet ------------------------------------------------------------------------------

_PROJECTED = re.compile(
    r"\b(?:project(?:ed|ion|ions)|estimat\w*|expect(?:ed|s)?|forecast\w*|would|could|should|aim(?:ed|ing)?|"
    r"target(?:ed|s)?|goal|plan(?:ned)?|hope\w*)\b",
    re.I,
)
_FIGURE_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _find(text: str, quote: str, nth: int = 0) -> int:
    """Start of the nth occurrence of ``quote`` in ``text`` (case and spacing ignored), or -1."""
    words = quote.split()
    if not words:
        return -1
    pattern = re.compile(r"\s+".join(map(re.escape, words)), re.I)
    for k, m in enumerate(pattern.finditer(text)):
        if k == nth:
            return m.start()
    return -1


def session_claims(saved: SavedSession) -> list[Claim]:
    """The sentences of one answer that carry quantified claims, in the order they were said.

    Each figure of the analyzer's evidence (numbers, before -> after pairs) is placed in the
    transcript sentence that contains its quote; a number already shown as one side of a
    before -> after pair in that sentence is not listed twice.
    """
    if saved.evidence is None or saved.transcript is None:
        return []
    text = saved.transcript.text
    spans = sentence_spans(text)
    imp = saved.evidence.impact

    def sentence_index(pos: int) -> int | None:
        for i, (a, b) in enumerate(spans):
            if a <= pos < b:
                return i
        return None

    figures: dict[int, list[str]] = {}
    pair_values: dict[int, set[float]] = {}
    for f in imp.before_after:
        pos = _find(text, f.quote[:120])
        si = sentence_index(pos) if pos >= 0 else None
        if si is None:
            continue
        figure = f.detail or f.quote
        figures.setdefault(si, []).append(figure)
        pair_values.setdefault(si, set()).update(float(v) for v in _FIGURE_NUMBER.findall(figure.replace(",", "")))
    seen: Counter[str] = Counter()
    for n in imp.numbers:
        key = " ".join(n.quote.lower().split())
        pos = _find(text, n.quote, seen[key])
        seen[key] += 1
        si = sentence_index(pos) if pos >= 0 else None
        if si is None:
            continue
        if n.value is not None and n.value in pair_values.get(si, set()):
            continue
        if n.quote not in figures.setdefault(si, []):
            figures[si].append(n.quote)
    out = []
    for si in sorted(figures):
        if not figures[si]:
            continue
        a, b = spans[si]
        sentence = " ".join(text[a:b].split())
        out.append(Claim(sentence=sentence, figures=figures[si], projected=bool(_PROJECTED.search(sentence))))
    return out


def _md(text: str) -> str:
    """Escape what would turn plain text into Markdown markup."""
    return re.sub(r"([\\`*_\[\]<])", r"\\\1", text)


def _score(overall: float | None) -> str:
    return f"score {overall:.1f}" if overall is not None else "not graded"


def build_impact_sheet(
    sessions: Sequence[SavedSession], options: StoryOptions | None = None, *, now: datetime | None = None
) -> str:
    """Every quantified claim of the story-telling answers, grouped by story, as Markdown."""
    stories, story_of = find_stories(sessions, options)
    by_id = {s.meta.id: s for s in sessions}
    claims = {sid: session_claims(by_id[sid]) for sid in story_of}
    total = sum(len(c) for c in claims.values())
    told = sum(1 for c in claims.values() if c)
    day = (now or datetime.now(timezone.utc)).date().isoformat()
    lines = ["# Impact sheet", ""]
    if not total:
        lines += [
            "No quantified claims yet. Practise a behavioral or ML depth question and end the story",
            "with a number: before -> after, with the business effect.",
            "",
            f"_Generated {day}._",
        ]
        return "\n".join(lines) + "\n"
    lines += [
        f"{total} quantified claim(s) from {told} answer(s), grouped by story. "
        "Check that each story keeps the same numbers every time you tell it.",
        "",
    ]
    without: list[Story] = []
    for story in stories:
        tellings = [by_id[i] for i in story.session_ids if claims.get(i)]
        if not tellings:
            without.append(story)
            continue
        lines.append(f"## {story.id}: {_md(story.label)}")
        lines.append("")
        if story.principles:
            lines.append(f"Leadership Principles: {_md(', '.join(story.principles))}")
            lines.append("")
        for saved in sorted(tellings, key=lambda s: (s.meta.created_at, s.meta.id), reverse=True):
            meta = saved.meta
            lines.append(
                f"### {meta.created_at.date().isoformat()} · {meta.question.round.value} · {_score(_overall(saved))}"
            )
            lines.append("")
            lines.append(f"> {_md(' '.join(meta.question.text.split()))}")
            lines.append("")
            for claim in claims[meta.id]:
                figures = ", ".join(f"**{_md(f)}**" for f in claim.figures)
                note = " _(projected or target: say so)_" if claim.projected else ""
                lines.append(f"- {figures}: {_md(claim.sentence)}{note}")
            lines.append("")
    conflicts = claim_conflicts(sessions, options)
    if conflicts:
        lines.append("## Figures that changed between tellings")
        lines.append("")
        lines.append("The same claim told with different numbers: pick the right figure and keep it.")
        lines.append("")
        for c in conflicts:
            lines.append(
                f"- {c.story_id}: **{_md(c.earlier.figure)}** ({c.earlier.created_at.date().isoformat()}) vs "
                f"**{_md(c.later.figure)}** ({c.later.created_at.date().isoformat()}): {_md(c.note)}"
            )
        lines.append("")
    if without:
        lines.append("## Stories without a number")
        lines.append("")
        for story in without:
            lines.append(f"- {story.id}: {_md(story.label)} ({len(story.session_ids)} telling(s)): add a before -> after")
        lines.append("")
    lines.append(f"_Generated {day}. Design, coding and breadth answers are left out: their numbers are estimates._")
    return "\n".join(lines) + "\n"


def _pairs(saved: SavedSession) -> list[tuple[tuple[float, str | None], tuple[float, str | None], str, str]]:
    """(before, after, figure, quote) of each before -> after pair in the session's evidence."""
    out = []
    for f in saved.evidence.impact.before_after if saved.evidence else []:
        sides = (f.detail or "").split(" -> ")
        if len(sides) == 2 and (before := parse_quantity(sides[0])) and (after := parse_quantity(sides[1])):
            out.append((before, after, f.detail or "", f.quote))
    return out


def claim_conflicts(
    sessions: Sequence[SavedSession], options: StoryOptions | None = None
) -> list[ClaimConflict]:
    """Claims told with different figures in two tellings of one story, oldest pair first.

    ``sessions`` oldest first (as :func:`load_sessions` returns them). For the report of one
    session, keep those whose ``earlier`` or ``later`` is that session
    (:func:`session_claim_conflicts`).
    """
    _, story_of = find_stories(sessions, options)
    tellings: dict[str, list[SavedSession]] = {}
    for saved in sessions:
        if saved.meta.id in story_of:
            tellings.setdefault(story_of[saved.meta.id], []).append(saved)
    out: list[ClaimConflict] = []
    for story_id, told in tellings.items():
        told = sorted(told, key=lambda s: (s.meta.created_at, s.meta.id))
        pairs = [(s, _pairs(s)) for s in told]
        for i, (first, first_pairs) in enumerate(pairs):
            for second, second_pairs in pairs[i + 1 :]:
                for b1, a1, fig1, q1 in first_pairs:
                    for b2, a2, fig2, q2 in second_pairs:
                        if (b1[1], a1[1]) != (b2[1], a2[1]) or ((b1 == b2) == (a1 == a2)):
                            continue  # other units, the same figures, or (both sides new) another claim
                        d1, d2 = first.meta.created_at.date(), second.meta.created_at.date()
                        side, (x, y) = ("before", (b1, b2)) if b1 != b2 else ("after", (a1, a2))
                        same_side, same = ("after", a1) if side == "before" else ("before", b1)
                        note = (
                            f"{side}: {format_quantity(*x)} on {d1.isoformat()}, {format_quantity(*y)} on "
                            f"{d2.isoformat()}; {same_side}: {format_quantity(*same)} both times"
                        )
                        out.append(
                            ClaimConflict(
                                story_id=story_id,
                                earlier=ClaimTelling(session_id=first.meta.id, created_at=first.meta.created_at, figure=fig1, quote=q1),
                                later=ClaimTelling(session_id=second.meta.id, created_at=second.meta.created_at, figure=fig2, quote=q2),
                                note=note,
                            )
                        )
    return sorted(out, key=lambda c: (c.later.created_at, c.earlier.created_at))


def session_claim_conflicts(store: Store, session_id: str, options: StoryOptions | None = None) -> list[ClaimConflict]:
    """The claims of one session whose figures differ from another telling of the same story."""
    return [
        c for c in claim_conflicts(load_sessions(store), options)
        if session_id in (c.earlier.session_id, c.later.session_id)
    ]


def impact_sheet(store: Store, options: StoryOptions | None = None) -> str:
    """The one-page Markdown impact sheet of every saved session."""
    return build_impact_sheet(load_sessions(store), options)


def write_impact_sheet(store: Store, path: Path, options: StoryOptions | None = None) -> Path:
    """Write the impact sheet to ``path``; an unwritable place is a one-line StoreError."""
    text = impact_sheet(store, options)
    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot write the impact sheet to {path}: {exc.strerror or exc}") from None
    return path
