"""The question bank: one YAML file per round, validated on load, then filtered and drawn from.

A bank file is a mapping with a default ``round`` and a ``questions`` list (see
``prompts/questions/*.yaml``); each entry is a :class:`~interviewer.models.Question`, and may set
its own ``round``. Principles must be Amazon Leadership Principle names; they are matched ignoring
case and punctuation and stored under the canonical spelling of :data:`LEADERSHIP_PRINCIPLES`.

The default bank is the shipped files (``prompts/questions``) followed by the user's files
(``$INTERVIEWER_HOME/questions``, if that folder exists). A user question whose id matches a
shipped one *replaces* it, in place: that is how to reword or retime a shipped question. The same
id twice among the shipped files, or twice among the user files, is an error naming both files.
Every problem is a one-line :class:`QuestionBankError` naming the file and the field.
"""

from __future__ import annotations

import difflib
import functools
import logging
import random
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from .errors import QuestionBankError
from .models import Question, Round, Track
from .resources import prompts_dir, user_questions_dir
from .settings import CHECKOUT_ROOT

log = logging.getLogger(__name__)

#: The 16 Amazon Leadership Principles, spelled as the bank stores them.
LEADERSHIP_PRINCIPLES: tuple[str, ...] = (
    "Customer Obsession",
    "Ownership",
    "Invent and Simplify",
    "Are Right A Lot",
    "Learn and Be Curious",
    "Hire and Develop the Best",
    "Insist on the Highest Standards",
    "Think Big",
    "Bias for Action",
    "Frugality",
    "Earn Trust",
    "Dive Deep",
    "Have Backbone; Disagree and Commit",
    "Deliver Results",
    "Strive to be Earth's Best Employer",
    "Success and Scale Bring Broad Responsibility",
)

_FILE_KEYS = ("round", "questions", "description")
# libyaml's safe loader parses the shipped bank about 10x faster than the pure-Python one.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SUFFIXES = (".yaml", ".yml")


def _norm(text: str) -> str:
    """Case- and punctuation-blind form: "Are Right, A Lot" == "are right a lot"."""
    return " ".join(re.findall(r"[a-z0-9]+", re.sub("['\u2019]", "", text.lower())))


_BY_NORM = {_norm(p): p for p in LEADERSHIP_PRINCIPLES}


def canonical_principle(name: str) -> str:
    """The canonical spelling of a Leadership Principle name; ValueError if it is not one."""
    found = _BY_NORM.get(_norm(name))
    if found is not None:
        return found
    raise ValueError(f"unknown Leadership Principle '{name}'{_suggest(_norm(name), _BY_NORM)}")


def _suggest(word: str, choices: Mapping[str, str] | Iterable[str]) -> str:
    keys = list(choices)
    close = difflib.get_close_matches(word, keys, n=1, cutoff=0.6)
    if not close:
        return ""
    hit = choices[close[0]] if isinstance(choices, Mapping) else close[0]
    return f"; did you mean '{hit}'?"


def display_path(path: Path) -> str:
    """A path as users should see it: relative to the checkout when inside it."""
    try:
        return str(path.resolve().relative_to(CHECKOUT_ROOT))
    except ValueError:
        return str(path)


# --- reading files ----------------------------------------------------------------------------


def _loc(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)


def _read_file(path: Path) -> list[Question]:
    """Parse and validate one bank file."""
    where = display_path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except FileNotFoundError:
        raise QuestionBankError(f"question file not found: {where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionBankError(f"cannot read question file {where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise QuestionBankError(f"{where}: {line}{problem}") from None

    def fail(field: str, msg: str) -> QuestionBankError:
        return QuestionBankError(f"{where}: {field}: {msg}")

    if not isinstance(raw, dict):
        raise QuestionBankError(f"{where}: expected a mapping with 'round' and 'questions'")
    for key in raw:
        if key not in _FILE_KEYS:
            raise fail(str(key), f"unknown top-level key (expected {', '.join(_FILE_KEYS)})")
    default_round = raw.get("round")
    if default_round is not None:
        try:
            default_round = TypeAdapter(Round).validate_python(default_round)
        except ValidationError as exc:
            raise fail("round", exc.errors()[0]["msg"]) from None
    items = raw.get("questions")
    if items is None:
        raise fail("questions", "Field required (a list of questions)")
    if not isinstance(items, list):
        raise fail("questions", "Input should be a valid list")

    out: list[Question] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        field = f"questions[{i}]"
        if not isinstance(item, dict):
            raise fail(field, "Input should be a mapping with id, text, ...")
        data: dict[str, Any] = dict(item)
        qid = data.get("id")
        about = f" (question '{qid}')" if isinstance(qid, str) else ""
        if "round" not in data and default_round is not None:
            data["round"] = default_round
        principles = data.get("principles")
        if isinstance(principles, list):
            canon: list[str] = []
            for j, name in enumerate(principles):
                if not isinstance(name, str):
                    raise fail(f"{field}.principles[{j}]", f"Input should be a valid string{about}")
                try:
                    name = canonical_principle(name)
                except ValueError as exc:
                    raise fail(f"{field}.principles[{j}]", f"{exc}{about}") from None
                if name not in canon:
                    canon.append(name)
            data["principles"] = canon
        try:
            question = Question.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise fail(f"{field}{_loc(err['loc'])}", f"{err['msg']}{about}") from None
        if question.id in seen:
            raise fail(f"{field}.id", f"duplicate id '{question.id}' (also questions[{seen[question.id]}])")
        seen[question.id] = i
        out.append(question)
    return out


def _bank_files(path: Path) -> list[Path]:
    """A folder's *.yaml / *.yml files in name order (hidden files skipped), or the file itself."""
    if path.is_dir():
        return sorted(
            p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file() and not p.name.startswith(".")
        )
    return [path]


def _load_layer(paths: Iterable[Path]) -> tuple[dict[str, Question], dict[str, Path]]:
    """Questions from files that must not repeat an id between them."""
    questions: dict[str, Question] = {}
    sources: dict[str, Path] = {}
    read: set[Path] = set()
    for given in paths:
        for file in _bank_files(Path(given).expanduser()):
            if file.resolve() in read:  # the same file named twice (e.g. folder and file)
                continue
            read.add(file.resolve())
            for q in _read_file(file):
                if q.id in questions:
                    raise QuestionBankError(
                        f"{display_path(file)}: duplicate question id '{q.id}' "
                        f"(already in {display_path(sources[q.id])})"
                    )
                questions[q.id] = q
                sources[q.id] = file
    return questions, sources


# --- the bank ---------------------------------------------------------------------------------


def _as_round(value: Round | str) -> Round:
    if isinstance(value, Round):
        return value
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Round(key)
    except ValueError:
        names = [r.value for r in Round]
        raise QuestionBankError(
            f"unknown round '{value}' (expected one of: {', '.join(names)})"
        ) from None


def _as_track(value: Track | str) -> Track:
    if isinstance(value, Track):
        return value
    try:
        return Track(value.strip().lower())
    except ValueError:
        raise QuestionBankError(
            f"unknown track '{value}' (expected one of: {', '.join(t.value for t in Track)})"
        ) from None


class QuestionBank:
    """A read-only set of questions with unique ids; loaders order it by round, then file order."""

    def __init__(self, questions: Iterable[Question], sources: Mapping[str, Path] | None = None) -> None:
        self._questions: tuple[Question, ...] = tuple(questions)
        self._by_id: dict[str, Question] = {}
        for q in self._questions:
            if q.id in self._by_id:
                raise QuestionBankError(f"duplicate question id '{q.id}'")
            self._by_id[q.id] = q
        self._sources: dict[str, Path] = dict(sources or {})

    def __len__(self) -> int:
        return len(self._questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self._questions)

    def __contains__(self, qid: object) -> bool:
        return qid in self._by_id

    def __repr__(self) -> str:
        return f"QuestionBank({len(self)} questions)"

    def ids(self) -> list[str]:
        return [q.id for q in self._questions]

    def get(self, qid: str) -> Question:
        """The question with this id, or a QuestionBankError suggesting the closest id."""
        try:
            return self._by_id[qid]
        except KeyError:
            raise QuestionBankError(
                f"unknown question id '{qid}' (see `interviewer questions`){self._suggest_id(qid)}"
            ) from None

    def _suggest_id(self, qid: str) -> str:
        """Ids containing what was typed, else the closest spellings; at most three."""
        typed = qid.strip().lower()
        hits = [i for i in self._by_id if typed and typed in i][:3]
        hits = hits or difflib.get_close_matches(typed, list(self._by_id), n=3, cutoff=0.6)
        if not hits:
            return ""
        quoted = [f"'{h}'" for h in hits]
        listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
        return f"; did you mean {listed}?"

    def source(self, qid: str) -> Path | None:
        """The file a question was loaded from (None for a bank built in memory)."""
        self.get(qid)
        return self._sources.get(qid)

    def rounds(self) -> list[Round]:
        """Rounds that have at least one question, in interview order."""
        present = {q.round for q in self._questions}
        return [r for r in Round if r in present]

    def count_by_round(self) -> dict[Round, int]:
        return {r: sum(q.round == r for q in self._questions) for r in self.rounds()}

    def count_by_principle(self, round: Round | str | None = None) -> dict[str, int]:
        """How many questions probe each Leadership Principle (all 16 listed, zeros included)."""
        counts = dict.fromkeys(LEADERSHIP_PRINCIPLES, 0)
        for q in self.filter(round=round):
            for p in q.principles:
                counts[p] = counts.get(p, 0) + 1
        return counts

    def filter(
        self,
        round: Round | str | None = None,
        track: Track | str | None = None,
        principle: str | None = None,
        text: str | None = None,
    ) -> list[Question]:
        """Questions matching every given criterion, in bank order.

        ``principle`` matches ignoring case and punctuation, and a part is enough ("backbone");
        ``text`` is words that must all appear in the question text or its signals.
        """
        wanted_round = _as_round(round) if round is not None else None
        wanted_track = _as_track(track) if track is not None else None
        needle = _norm(principle) if principle else ""
        if needle and not any(needle in key for key in _BY_NORM):
            raise QuestionBankError(
                f"no Leadership Principle matches '{principle}'{_suggest(needle, _BY_NORM)}"
            )
        terms = text.lower().split() if text else []

        out: list[Question] = []
        for q in self._questions:
            if wanted_round is not None and q.round != wanted_round:
                continue
            if wanted_track is not None and wanted_track not in q.tracks:
                continue
            if needle and not any(needle in _norm(p) for p in q.principles):
                continue
            if terms:
                haystack = " ".join([q.text, *q.signals]).lower()
                if not all(t in haystack for t in terms):
                    continue
            out.append(q)
        return out

    def pick(
        self,
        round: Round | str | None = None,
        track: Track | str | None = None,
        exclude: Iterable[str] = frozenset(),
        rng: random.Random | None = None,
        *,
        principle: str | None = None,
    ) -> Question:
        """A random matching question whose id is not in ``exclude`` (pass the ids already asked).

        Raises QuestionBankError when nothing matches or every match was already asked.
        """
        asked = set(exclude)
        matching = self.filter(round=round, track=track, principle=principle)
        fresh = [q for q in matching if q.id not in asked]
        if not fresh:
            what = ", ".join(
                f"{name} '{value.value if isinstance(value, (Round, Track)) else value}'"
                for name, value in (("round", round), ("track", track), ("principle", principle))
                if value is not None
            ) or "the whole bank"
            if matching:
                raise QuestionBankError(
                    f"no questions left for {what}: all {len(matching)} already asked"
                )
            raise QuestionBankError(f"no questions for {what}")
        return (rng or random.Random()).choice(fresh)


# --- loading ----------------------------------------------------------------------------------


def _in_round_order(questions: Iterable[Question]) -> list[Question]:
    """Interview order (recruiter screen first), file order within a round."""
    rank = {r: i for i, r in enumerate(Round)}
    return sorted(questions, key=lambda q: rank[q.round])


def shipped_questions_dir() -> Path:
    return prompts_dir() / "questions"


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """File names, mtimes and sizes: the cache key that notices an edited bank file."""
    if not folder.is_dir():
        return ()
    out = []
    for p in _bank_files(folder):
        st = p.stat()
        out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


@functools.lru_cache(maxsize=4)
def _load_default(shipped: Path, user: Path, _stamp_key: tuple[Any, ...]) -> QuestionBank:
    if not shipped.is_dir():
        raise QuestionBankError(f"shipped question bank not found: {shipped}")
    questions, sources = _load_layer([shipped])
    if user.is_dir():
        mine, my_sources = _load_layer([user])
        for qid, q in mine.items():
            if qid in questions:
                log.info("%s overrides shipped question '%s'", display_path(my_sources[qid]), qid)
            questions[qid] = q  # an existing key keeps its place: the override stays in order
            sources[qid] = my_sources[qid]
    log.debug("question bank: %d questions", len(questions))
    return QuestionBank(_in_round_order(questions.values()), sources)


def load_bank(paths: Iterable[Path] | None = None) -> QuestionBank:
    """Load and validate a question bank.

    With no ``paths``: the shipped files, then the user's folder, where a question with a shipped
    id overrides it (cached until a file changes). With ``paths`` (files or folders of *.yaml):
    exactly those, and a repeated id anywhere among them is an error.
    """
    if paths is None:
        shipped, user = shipped_questions_dir(), user_questions_dir()
        return _load_default(shipped, user, (_stamp(shipped), _stamp(user)))
    questions, sources = _load_layer(paths)
    return QuestionBank(_in_round_order(questions.values()), sources)
