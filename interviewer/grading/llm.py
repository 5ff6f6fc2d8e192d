"""The LLM grader: an OpenAI-compatible chat model judges the answer against the rubric.

The model sees the question, the round's expectations, the rubric anchors, the analyzer's counts
and the transcript (delimited as data). It must return a small bounded JSON object
(:class:`LLMGradeReply`: a score per criterion, strengths tied to a criterion, a covered / partly /
missing verdict per question signal, a fix and a rewrite); the reply is validated, what the model
wrote is checked against the transcript (quotes, signal quotes, figures in the rewrite:
:func:`.verify.check_reply`), and the result is a :class:`~interviewer.models.Grade` labelled
``grader="llm"``. Its scores are checked against the evidence where every grade is made
(:func:`.verify.apply_rules`, called by the session service).

Every failure (unreachable, 401, unknown model, rate limit, 5xx, timeout, refusal, truncated or
invalid output) becomes a :class:`~interviewer.errors.GraderError` with one line naming the
endpoint and model. The API key never appears in a grade, a log line or an error message.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from ..errors import GraderError, MissingDependency
from ..models import CriterionGrade, Evidence, Grade, Question, SignalCoverage, Track, Transcript
from ..resources import prompts_dir
from ..rubric import Rubric
from ..settings import LLMSettings
from .verify import check_reply, uncertain_words

if TYPE_CHECKING:
    from openai import OpenAI

log = logging.getLogger(__name__)

# Bump when the meaning of the prompt changes; the template hash catches every edit anyway.
PROMPT_HUMAN_VERSION = "grader-1"
PLACEHOLDER_KEY = "not-needed"  # local servers accept any key; the SDK insists on one
OPENAI_BASE_URL = "https://api.openai.com/v1"
_OPENAI_HOSTS = frozenset({"api.openai.com"})
_warned_plain_http: set[str] = set()


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_key_for(base_url: str, *explicit: SecretStr | None) -> str | None:
    """The key to send to ``base_url``: one set for the endpoint (``INTERVIEWER_LLM__API_KEY``,
    the config file) goes wherever the user pointed it; ``OPENAI_API_KEY``, exported for other
    tools, goes only to OpenAI's own host. A key about to travel over plain http to a host
    that is not this machine is warned about once."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    key = next((k.get_secret_value() for k in explicit if k is not None and k.get_secret_value()), None)
    if key is None and host in _OPENAI_HOSTS:
        key = os.environ.get("OPENAI_API_KEY") or None
    if key and parts.scheme == "http" and not _is_loopback(host) and host not in _warned_plain_http:
        _warned_plain_http.add(host)
        log.warning("the LLM API key is sent to %s over plain http (unencrypted); use https", host)
    return key


# Soft limits: a longer string is clipped rather than rejected, so a verbose small model does not
# cost a retry; the hard bounds (scores, list sizes) are enforced by the schema.
MAX_RATIONALE = 400
MAX_IMPROVEMENT = 300
MAX_REWRITE = 800
MAX_SHORT = 200
MAX_QUOTE = 300
# A question's signals judged one by one; more than this many are left to the evidence grade.
MAX_SIGNALS = 8


# --- endpoint --------------------------------------------------------------------------------


class Endpoint(BaseModel):
    """Where to send the grading request: resolved by :func:`interviewer.grading.select.resolve_endpoint`."""

    model_config = ConfigDict(extra="forbid")

    base_url: str
    model: str
    api_key: SecretStr | None = Field(default=None, description="None: settings.api_key, then OPENAI_API_KEY")
    name: str | None = Field(default=None, description="what serves it, e.g. Ollama, llama-server, OpenAI")

    @property
    def display(self) -> str:
        return public_url(self.base_url)

    def describe(self) -> str:
        where = f"{self.name} at {self.display}" if self.name else self.display
        return f"{where}, model {self.model}"


def public_url(url: str) -> str:
    """The URL without credentials or query string, safe to store and show."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


# --- prompt ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptTemplates:
    system: str
    user: str
    version: str


def prompt_version(*texts: str) -> str:
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:10]
    return f"{PROMPT_HUMAN_VERSION}+{digest}"


@lru_cache(maxsize=4)
def _load_templates(folder: str) -> PromptTemplates:
    base = Path(folder)
    try:
        system = (base / "system.md").read_text(encoding="utf-8")
        user = (base / "user.md").read_text(encoding="utf-8")
    except OSError as exc:
        raise GraderError(f"cannot read the grader prompt templates in {base}: {exc.strerror or exc}") from None
    return PromptTemplates(system, user, prompt_version(system, user, json.dumps(REPLY_SCHEMA_VERSION)))


def load_templates(folder: Path | None = None) -> PromptTemplates:
    return _load_templates(str(folder or prompts_dir() / "grader"))


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render_template(template: str, values: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders in one pass: braces in the values (or JSON in the template) stay."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _neutralise(text: str) -> str:
    """The transcript must not be able to close its own delimiter."""
    return re.sub(r"<\s*(/?)\s*transcript\s*>", r"[\1transcript]", text, flags=re.IGNORECASE)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def _quoted(findings: list[Any], n: int = 3) -> str:
    quotes = [f'"{_clip(f.quote, 120)}"' for f in findings[:n]]
    return "; ".join(quotes)


def format_evidence(evidence: Evidence) -> str:
    """The analyzer's measurements as compact counts with a few quotes each."""
    own, imp, asm, dlv = evidence.ownership, evidence.impact, evidence.assumptions, evidence.delivery
    lines: list[str] = []
    share = f" (I-share {own.i_share:.0%})" if own.i_share is not None else ""
    lines.append(
        f"- Ownership: 'I' said {own.i_count} times, 'we' {own.we_count} times{share}; "
        f"actions with I as the actor: {len(own.i_actor)}, with we as the actor: {len(own.we_actor)}, "
        f"hypothetical ('I would'): {len(own.hypothetical)}"
    )
    for label, found in (("I-actor", own.i_actor), ("we-actor", own.we_actor), ("hypothetical", own.hypothetical)):
        if found:
            lines.append(f"  - {label}: {_quoted(found)}")
    numbers = ", ".join(_clip(n.quote, 40) for n in imp.numbers[:6])
    lines.append(
        f"- Impact: numbers stated: {len(imp.numbers)}{f' ({numbers})' if numbers else ''}; "
        f"before->after comparisons: {len(imp.before_after)}; deltas: {len(imp.deltas)}; "
        f"vague claims: {len(imp.vague_claims)}"
    )
    for label, found in (("before->after", imp.before_after), ("delta", imp.deltas), ("vague", imp.vague_claims)):
        if found:
            lines.append(f"  - {label}: {_quoted(found)}")
    stated = [d for d in asm.expected if asm.stated.get(d)]
    lines.append(
        f"- Assumptions: explicit assumption statements: {len(asm.statements)}; clarifying questions: "
        f"{len(asm.clarifying_questions)}; expected dimensions: {', '.join(asm.expected) or 'none listed'}; "
        f"made explicit: {', '.join(stated) or 'none'}; hidden: {', '.join(asm.hidden) or 'none'}"
    )
    for label, found in (("statement", asm.statements), ("question", asm.clarifying_questions)):
        if found:
            lines.append(f"  - {label}: {_quoted(found)}")
    fillers = ", ".join(f"{k} {v}" for k, v in sorted(dlv.fillers.items(), key=lambda kv: -kv[1])[:5])
    parts = [f"words: {dlv.word_count}", f"fillers: {sum(dlv.fillers.values())}{f' ({fillers})' if fillers else ''}"]
    if dlv.filler_rate is not None:
        parts.append(f"{dlv.filler_rate:.1f} fillers per 100 words")
    if dlv.wpm is not None:
        parts.append(f"{dlv.wpm:.0f} words per minute")
    if dlv.duration_s is not None:
        parts.append(f"spoke {dlv.duration_s / 60:.1f} of {dlv.time_budget_s / 60:.0f} minutes")
    if dlv.long_pauses:
        parts.append(f"long pauses: {len(dlv.long_pauses)}")
    if dlv.overtime_s:
        parts.append(f"over time by {dlv.overtime_s:.0f} s")
    lines.append("- Delivery: " + "; ".join(parts))
    st = evidence.structure
    star = st.star
    lines.append(
        f"- Structure (STAR): heard {', '.join(star.present) or 'none'}"
        f"{f'; missing: ' + ', '.join(star.missing) if star.missing else ''}; "
        f"result sentences with a number: {len(star.quantified_results)}"
    )
    parts_found = [f for p in ("situation", "task", "action", "result") if (f := getattr(star, p))]
    if parts_found:
        lines.append(f"  - parts: {_quoted(parts_found, 4)}")
    lines.append(f"- Trade-offs: sentences weighing options or a cost: {len(st.tradeoffs)}")
    if st.tradeoffs:
        lines.append(f"  - trade-off: {_quoted(st.tradeoffs)}")
    time_cx = sorted({c.cls or "?" for c in st.complexity if c.kind == "time"})
    space_cx = sorted({c.cls or "?" for c in st.complexity if c.kind == "space"})
    lines.append(
        f"- Complexity: time {', '.join(f'O({c})' for c in time_cx) or 'not stated'}; "
        f"space {', '.join(f'O({c})' for c in space_cx) or 'not stated'}".replace("O(?)", "mentioned")
    )
    lines.append(
        f"- Rigor: validation practices named: {', '.join(f.detail or '?' for f in st.rigor) or 'none'}; "
        f"edge-case sentences: {len(st.edge_cases)}; clarifying questions or assumptions in the first third: "
        f"{len(st.upfront)}"
    )
    for label, found in (("practice", st.rigor), ("edge case", st.edge_cases), ("up front", st.upfront)):
        if found:
            lines.append(f"  - {label}: {_quoted(found)}")
    if evidence.signals:
        lines.append("- Question signals as rules judge them (needs_llm: yours to judge):")
        for sc in evidence.signals:
            lines.append(f"  - [{sc.status}] {sc.signal}{f' ({sc.note})' if sc.note else ''}")
    if evidence.addressed_to_grader:
        lines.append(
            f"- Addressed to the grader, not measured: {_quoted(evidence.addressed_to_grader)}"
        )
    if evidence.version < 2:
        lines.append("- (saved before structure and signals were measured: absent above means not measured)")
    return "\n".join(lines)


def format_rubric(rubric: Rubric, track: Track | None) -> str:
    blocks: list[str] = []
    for c in rubric.criteria:
        anchors = "\n".join(f"  {level}: {c.anchors[level]}" for level in sorted(c.anchors))
        blocks.append(f"## {c.id}: {c.name} (weight {c.weight_for(track):g})\n{' '.join(c.description.split())}\n{anchors}")
    blocks.append(format_checks(rubric))
    return "\n\n".join(blocks)


def format_checks(rubric: Rubric) -> str:
    """The score rules (verify.apply_rules) in a few lines, so the model's rationale agrees with them."""
    k = rubric.checks
    return (
        "## Rules applied to every score afterwards\n"
        "- Ownership 4 or 5 needs an action told with \"I\"; impact above 2 needs a number.\n"
        f"- Delivery 5 needs a pace of {k.pace_wpm} words per minute and no time over budget.\n"
        f"- Under {k.brief_answer_words} words no criterion scores above 3; under {k.short_answer_words}, none above 2.\n"
        "- An answer cut off before its end scores at most "
        f"{k.unfinished_cap} on structure and result."
    )


def signal_ids(question: Question) -> list[str]:
    """Short keys for the question's signals ("s1", "s2", ...): the reply is keyed by them."""
    return [f"s{i}" for i in range(1, min(len(question.signals), MAX_SIGNALS) + 1)]


def format_expectations(question: Question) -> str:
    lines: list[str] = []
    if question.signals:
        lines.append("A strong answer shows (judge each under \"signals\" by its key):")
        lines.extend(f"- {sid}: {text}" for sid, text in zip(signal_ids(question), question.signals))
    if question.dimensions:
        lines.append("Assumptions a strong answer makes explicit: " + ", ".join(question.dimensions) + ".")
    if question.principles:
        lines.append("Leadership Principles probed: " + ", ".join(question.principles) + ".")
    return "\n".join(lines)


def format_uncertain(transcript: Transcript) -> str:
    words = uncertain_words(transcript)
    if not words:
        return ""
    return (
        "The speech recogniser was unsure of these words (they may be misheard; do not quote them "
        "as proof): " + ", ".join(f'"{w}"' for w in words) + "."
    )


def build_messages(
    templates: PromptTemplates,
    question: Question,
    rubric: Rubric,
    transcript: Transcript,
    evidence: Evidence,
    *,
    track: Track | None,
    schema_in_prompt: bool,
) -> list[dict[str, str]]:
    hint = "\n" + _schema_hint(rubric, len(signal_ids(question))) if schema_in_prompt else ""
    track_name = track.value if track else "any"
    user = render_template(
        templates.user,
        {
            "question": question.text.strip(),
            "round": question.round.value.replace("_", " "),
            "track": {"scientist": "Applied Scientist", "mle": "ML Engineer"}.get(track_name, track_name),
            "expectations": format_expectations(question),
            "rubric": format_rubric(rubric, track),
            "evidence": format_evidence(evidence),
            "transcript": _neutralise(transcript.text.strip()) or "(empty answer)",
            "uncertain": format_uncertain(transcript),
            "signal_ids": ", ".join(signal_ids(question)) or "none (reply with an empty object)",
            "criteria_ids": ", ".join(c.id for c in rubric.criteria),
            "format_hint": hint,
        },
    )
    return [{"role": "system", "content": templates.system.strip()}, {"role": "user", "content": user.strip()}]


# --- reply schema ----------------------------------------------------------------------------

REPLY_SCHEMA_VERSION = 2  # 2: signals, strengths tied to a criterion


def _clip_list(v: Any, n: int) -> Any:
    return v[:n] if isinstance(v, list) else v


def _criterion_id(v: str) -> str:
    """"Assumptions" / "quantified impact" from a model without a schema -> rubric-style ids."""
    return "_".join(str(v).strip().lower().split())


class ReplyCriterion(BaseModel):
    model_config = ConfigDict(extra="ignore")

    criterion: str = Field(default="", description="only in the list form; the key in the object form")
    score: int = Field(ge=1, le=5)
    rationale: str
    quotes: list[str] = Field(default_factory=list)
    improvement: str = ""

    @field_validator("quotes", mode="before")
    @classmethod
    def _bound_quotes(cls, v: Any) -> Any:
        return _clip_list(v, 3)

    @field_validator("rationale")
    @classmethod
    def _bound_rationale(cls, v: str) -> str:
        return _clip(v, MAX_RATIONALE)

    @field_validator("improvement")
    @classmethod
    def _bound_improvement(cls, v: str) -> str:
        return _clip(v, MAX_IMPROVEMENT)


class ReplySignal(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["covered", "partly", "missing"]
    quotes: list[str] = Field(default_factory=list)

    @field_validator("status", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("quotes", mode="before")
    @classmethod
    def _bound_quotes(cls, v: Any) -> Any:
        return _clip_list(v, 2)


class ReplyStrength(BaseModel):
    model_config = ConfigDict(extra="ignore")

    criterion: str = ""
    text: str


class LLMGradeReply(BaseModel):
    """What the model must return; small and bounded so small local models cope."""

    model_config = ConfigDict(extra="ignore")

    criteria: dict[str, ReplyCriterion] = Field(min_length=1, description="criterion id -> its grade")
    strengths: list[ReplyStrength] = Field(default_factory=list)
    signals: dict[str, ReplySignal] = Field(default_factory=dict, description="signal key (s1, s2 ...) -> verdict")
    top_fix: str = ""
    rewrite: str = ""

    @field_validator("criteria", mode="before")
    @classmethod
    def _keyed(cls, v: Any) -> Any:
        if isinstance(v, list):  # [{"criterion": id, ...}], what models write without a schema
            out: dict[str, Any] = {}
            dupes: list[str] = []
            for item in v:
                if not isinstance(item, dict) or not item.get("criterion"):
                    raise ValueError("every entry needs a 'criterion' id; prefer an object keyed by criterion id")
                key = _criterion_id(item["criterion"])
                if key in out:
                    dupes.append(key)
                out[key] = item
            if dupes:
                raise ValueError("criteria given more than once: " + ", ".join(sorted(set(dupes))))
            return out
        if isinstance(v, dict):
            return {_criterion_id(k): item for k, item in v.items()}
        return v

    @field_validator("criteria")
    @classmethod
    def _name(cls, v: dict[str, ReplyCriterion]) -> dict[str, ReplyCriterion]:
        for key, item in v.items():
            item.criterion = key
        return v

    @field_validator("strengths", mode="before")
    @classmethod
    def _bound_strengths(cls, v: Any) -> Any:
        # Plain strings (a model without the schema) are strengths tied to no criterion.
        v = _clip_list(v, 3)
        return [{"text": s} if isinstance(s, str) else s for s in v] if isinstance(v, list) else v

    @field_validator("strengths")
    @classmethod
    def _clip_strengths(cls, v: list[ReplyStrength]) -> list[ReplyStrength]:
        out = []
        for s in v:
            if s.text.strip():
                s.text = _clip(s.text, MAX_SHORT)
                s.criterion = _criterion_id(s.criterion) if s.criterion else ""
                out.append(s)
        return out

    @field_validator("signals", mode="before")
    @classmethod
    def _signals_keyed(cls, v: Any) -> Any:
        if isinstance(v, list):  # [{"status": ...}, ...] in the order asked
            return {f"s{i}": item for i, item in enumerate(v, start=1)}
        if isinstance(v, dict):
            return {str(k).strip().lower(): item for k, item in v.items()}
        return v

    @field_validator("top_fix")
    @classmethod
    def _clip_fix(cls, v: str) -> str:
        return _clip(v, MAX_IMPROVEMENT)

    @field_validator("rewrite")
    @classmethod
    def _clip_rewrite(cls, v: str) -> str:
        return v.strip()[:MAX_REWRITE]

    def check_criteria(self, rubric: Rubric, n_signals: int = 0) -> None:
        """Exactly the rubric's criteria, each once, and a verdict per signal; raises ValueError
        naming what is wrong."""
        expected = [c.id for c in rubric.criteria]
        got = list(self.criteria)
        problems: list[str] = []
        unknown = [g for g in got if g not in expected]
        missing = [e for e in expected if e not in got]
        if missing:
            problems.append("missing criteria: " + ", ".join(missing))
        if unknown:
            problems.append("unknown criteria: " + ", ".join(unknown) + f" (valid ids: {', '.join(expected)})")
        unjudged = [f"s{i}" for i in range(1, n_signals + 1) if f"s{i}" not in self.signals]
        if unjudged:
            problems.append("missing signals: " + ", ".join(unjudged))
        if problems:
            raise ValueError("; ".join(problems))


def reply_schema(rubric: Rubric, n_signals: int = 0) -> dict[str, Any]:
    """The JSON schema sent as ``response_format``: strict-mode compatible (all keys required,
    no extra keys). ``criteria`` is an object with one required key per rubric criterion, not a
    list: a grammar-constrained server then cannot skip or repeat a criterion (SmolLM2 graded
    "ownership" four times when it was a list with an enum of ids).

    Strings carry no ``maxLength``: OpenAI's strict mode does not list it, and on llama-server
    the bounded-repetition grammar it compiles to made SmolLM2 about 6x slower (1.5 vs 9 tokens/s
    here). Lengths are clipped after validation instead, and ``max_tokens`` bounds the whole reply.

    ``signals`` follows the same idea: one required key per question signal ("s1", "s2" ...),
    each a three-way verdict with at most two quotes, so a small model cannot skip one.
    """
    ids = [c.id for c in rubric.criteria]
    sids = [f"s{i}" for i in range(1, n_signals + 1)]

    def text(n: int) -> dict[str, Any]:
        return {"type": "string", "description": f"at most {n} characters"}

    criterion = {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "rationale": text(MAX_RATIONALE),
            "quotes": {"type": "array", "items": text(MAX_SHORT), "maxItems": 3,
                       "description": "exact quotes copied from the transcript"},
            "improvement": text(MAX_IMPROVEMENT),
        },
        "required": ["score", "rationale", "quotes", "improvement"],
        "additionalProperties": False,
    }
    signal = {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["covered", "partly", "missing"]},
            "quotes": {"type": "array", "items": text(MAX_SHORT), "maxItems": 2,
                       "description": "exact quotes copied from the transcript"},
        },
        "required": ["status", "quotes"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "criteria": {
                "type": "object",
                "properties": {cid: criterion for cid in ids},
                "required": ids,
                "additionalProperties": False,
            },
            "strengths": {
                "type": "array",
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {"criterion": {"type": "string", "enum": ids}, "text": text(MAX_SHORT)},
                    "required": ["criterion", "text"],
                    "additionalProperties": False,
                },
                "description": "only criteria scored 4 or 5",
            },
            "signals": {
                "type": "object",
                "properties": {sid: signal for sid in sids},
                "required": sids,
                "additionalProperties": False,
            },
            "top_fix": text(MAX_IMPROVEMENT),
            "rewrite": {**text(MAX_REWRITE), "description": (
                f"at most {MAX_REWRITE} characters; only figures said in the transcript, "
                "else a placeholder such as [p99 before, ms]")},
        },
        "required": ["criteria", "strengths", "signals", "top_fix", "rewrite"],
        "additionalProperties": False,
    }


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_reply(content: str | None, rubric: Rubric, n_signals: int = 0) -> LLMGradeReply:
    """Parse and validate one reply; raises ValueError with a message fit to show the model."""
    if not content or not content.strip():
        raise ValueError("the reply was empty")
    text = content.strip()
    m = _FENCE.match(text)
    if m:  # some models wrap JSON in a Markdown fence despite being told not to
        text = m.group(1)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("the reply must be a JSON object")
    try:
        reply = LLMGradeReply.model_validate(data)
    except ValidationError as exc:
        errs = []
        for e in exc.errors()[:4]:
            where = ".".join(str(p) for p in e["loc"]) or "(top level)"
            errs.append(f"{where}: {e['msg']}")
        raise ValueError("the reply does not match the schema: " + "; ".join(errs)) from None
    reply.check_criteria(rubric, n_signals)
    return reply


# --- errors ----------------------------------------------------------------------------------

_KEYLIKE = re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{6,}")


def scrub(text: str, secret: str | None) -> str:
    """Remove the key (and anything that looks like one) from text shown to the user."""
    if secret and secret != PLACEHOLDER_KEY and len(secret) >= 4:
        text = text.replace(secret, "***")
    return _KEYLIKE.sub("***", text)


def _server_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    msg: Any = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        msg = inner.get("message") if isinstance(inner, dict) else inner
    elif isinstance(body, str):
        msg = body
    if not msg:
        return ""
    return _clip(str(msg), 160)


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_FORMAT_WORDS = re.compile(r"response_format|json_schema|schema|grammar|structured output", re.I)
_UNSUPPORTED_PARAM = re.compile(r"unsupported (?:parameter|value):\s*'(max_tokens|temperature)'", re.I)


def _detail_text(exc: Any) -> str:
    return _server_detail(exc) + " " + str(getattr(exc, "message", ""))


def _rejects_response_format(exc: Any) -> bool:
    """A server that cannot do structured outputs (llama-cpp-python answers 500, others 400/422)."""
    status = getattr(exc, "status_code", None)
    if status not in (400, 422, 500, 501):
        return False
    detail = _detail_text(exc)
    return bool(_FORMAT_WORDS.search(detail)) and not _UNSUPPORTED_PARAM.search(detail)


def _unsupported_param(exc: Any) -> str | None:
    """OpenAI reasoning models reject max_tokens (use max_completion_tokens) and temperature."""
    if getattr(exc, "status_code", None) != 400:
        return None
    m = _UNSUPPORTED_PARAM.search(_detail_text(exc))
    return m.group(1).lower() if m else None


ResponseMode = Literal["json_schema", "json_object", "text"]
# json_schema (enforced by the server) -> json_object + schema in the prompt -> plain text + schema
# in the prompt; every mode's reply is validated the same way.
_NEXT_MODE: dict[str, ResponseMode] = {"json_schema": "json_object", "json_object": "text"}
# Per process: once an endpoint has rejected a mode, later graders start at the one that worked.
_MODE_MEMORY: dict[tuple[str, str], ResponseMode] = {}


# --- the grader ------------------------------------------------------------------------------


@dataclass
class _Call:
    content: str | None
    finish_reason: str | None
    refusal: str | None
    usage: dict[str, int]


class LLMGrader:
    """Grades over an OpenAI-compatible chat API; see the module docstring."""

    name = "llm"

    def __init__(self, settings: LLMSettings, endpoint: Endpoint, *, prompts: Path | None = None) -> None:
        self.settings = settings
        self.endpoint = endpoint
        self.templates = load_templates(prompts)
        self._client: OpenAI | None = None
        self._key_cache: str | None = None
        self._token_param = "max_tokens"  # local servers know max_tokens; o-series wants max_completion_tokens
        self._send_temperature = True
        self.response_mode: ResponseMode = _MODE_MEMORY.get(self._fallback_key, "json_schema")

    # -- plumbing --

    @property
    def _fallback_key(self) -> tuple[str, str]:
        return (self.endpoint.display, self.endpoint.model)

    @property
    def prompt_version(self) -> str:
        return self.templates.version

    def _key(self) -> str:
        if self._key_cache is None:
            self._key_cache = api_key_for(self.endpoint.base_url, self.endpoint.api_key, self.settings.api_key)
        return self._key_cache or PLACEHOLDER_KEY

    def _client_(self) -> OpenAI:
        if self._client is None:
            try:
                from openai import OpenAI
            except ImportError:  # pragma: no cover - openai is a core dependency
                raise MissingDependency("the LLM grader needs the openai package: pip install openai") from None
            self._client = OpenAI(
                base_url=self.endpoint.base_url,
                api_key=self._key(),
                timeout=self.settings.timeout_s,
                max_retries=0,  # retried here, honouring Retry-After and reporting clearly
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> LLMGrader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail(self, what: str) -> GraderError:
        msg = f"LLM grader at {self.endpoint.display} (model {self.endpoint.model}): {what}"
        return GraderError(scrub(msg, self._key()))

    def _response_format(self, rubric: Rubric, n_signals: int) -> dict[str, Any]:
        if self.response_mode != "json_schema":
            return {"type": self.response_mode}
        return {
            "type": "json_schema",
            "json_schema": {
                "name": "interview_grade",
                "schema": reply_schema(rubric, n_signals),
                "strict": True,
            },
        }

    def _fall_back(self, exc: Any) -> None:
        new = _NEXT_MODE[self.response_mode]
        log.info(
            "%s rejected response_format %s (%s); using %s with the schema in the prompt",
            self.endpoint.display,
            self.response_mode,
            scrub(_server_detail(exc), self._key()) or getattr(exc, "status_code", "?"),
            new,
        )
        self.response_mode = new
        _MODE_MEMORY[self._fallback_key] = new

    def _call(self, messages: list[dict[str, str]], rubric: Rubric, n_signals: int) -> _Call:
        """One chat completion with retries for 429/5xx; every other failure is a GraderError."""
        import openai

        s = self.settings
        attempt = 0
        while True:
            params: dict[str, Any] = {self._token_param: s.max_tokens}
            if self._send_temperature:
                params["temperature"] = s.temperature
            if s.frequency_penalty:
                params["frequency_penalty"] = s.frequency_penalty
            if self.response_mode != "text":
                params["response_format"] = self._response_format(rubric, n_signals)
            try:
                completion = self._client_().chat.completions.create(
                    model=self.endpoint.model,
                    messages=messages,  # type: ignore[arg-type]
                    **params,
                )
            except openai.APITimeoutError:
                raise self._fail(
                    f"no reply within {s.timeout_s:g} s - raise llm.timeout_s or use a smaller model"
                ) from None
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc.__context__
                why = f" ({type(cause).__name__}: {cause})" if cause else ""
                raise self._fail(f"cannot connect{why} - is the server running at this URL?") from None
            except openai.APIStatusError as exc:
                status = exc.status_code
                detail = _server_detail(exc)
                param = _unsupported_param(exc)
                if param == "max_tokens" and self._token_param == "max_tokens":
                    self._token_param = "max_completion_tokens"
                    continue
                if param == "temperature" and self._send_temperature:
                    self._send_temperature = False
                    continue
                if self.response_mode in _NEXT_MODE and _rejects_response_format(exc):
                    self._fall_back(exc)
                    messages = _with_schema_hint(messages, rubric, n_signals)
                    continue
                if status == 429 or status >= 500:
                    if attempt < s.max_retries:
                        wait = _retry_after(exc)
                        if wait is None:
                            wait = s.retry_backoff_s * (2**attempt)
                        wait = min(wait, s.retry_max_wait_s)
                        attempt += 1
                        log.warning(
                            "%s answered HTTP %s; retry %d/%d in %.1f s",
                            self.endpoint.display, status, attempt, s.max_retries, wait,
                        )
                        time.sleep(wait)
                        continue
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    label = "rate limited" if status == 429 else "server error"
                    raise self._fail(f"HTTP {status} {label}{tries}{_tail(detail)}") from None
                raise self._fail(_status_message(status, detail, self.endpoint.model)) from None
            except openai.OpenAIError as exc:  # pragma: no cover - unexpected SDK-level failure
                raise self._fail(f"{type(exc).__name__}: {_clip(str(exc), 160)}") from None
            except (ValueError, TypeError, AttributeError, OSError) as exc:
                # The SDK parses a 200 reply as it comes: a body that is not JSON raises
                # JSONDecodeError (a ValueError); a reply cut mid-way, an httpx/OS error.
                raise self._fail(f"the reply is not valid JSON ({type(exc).__name__}) - is this an "
                                 "OpenAI-compatible endpoint?") from None
            return self._parts(completion)

    def _parts(self, completion: Any) -> _Call:
        """The fields of a chat completion; anything else (a str for a text/html body, JSON of
        another shape) is a GraderError naming what came back."""
        try:
            choices = completion.choices
            if not isinstance(choices, list):
                raise TypeError("choices is not a list")
            if not choices:
                raise self._fail("the server returned no choices")
            choice = choices[0]
            usage = completion.usage
            return _Call(
                content=choice.message.content,
                finish_reason=choice.finish_reason,
                refusal=getattr(choice.message, "refusal", None),
                usage={
                    "prompt_tokens": (usage.prompt_tokens or 0) if usage else 0,
                    "completion_tokens": (usage.completion_tokens or 0) if usage else 0,
                    "total_tokens": (usage.total_tokens or 0) if usage else 0,
                },
            )
        except (AttributeError, TypeError, IndexError, KeyError):
            got = completion if isinstance(completion, str) else type(completion).__name__
            raise self._fail(
                f"the reply is not a chat completion ({_clip(' '.join(str(got).split()), 60) or 'empty body'}) "
                "- is this an OpenAI-compatible endpoint?"
            ) from None

    # -- the port --

    def grade(
        self,
        question: Question,
        rubric: Rubric,
        transcript: Transcript,
        evidence: Evidence,
        *,
        track: Track | None = None,
    ) -> Grade:
        self._client_()  # the one-off SDK import is not grading latency
        started = time.monotonic()
        messages = build_messages(
            self.templates, question, rubric, transcript, evidence,
            track=track, schema_in_prompt=self.response_mode != "json_schema",
        )
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        n_signals = len(signal_ids(question))
        reply: LLMGradeReply | None = None
        for attempt in range(2):  # one repair round for invalid output
            call = self._call(messages, rubric, n_signals)
            if self.response_mode != "json_schema":  # may have switched during the call
                messages = _with_schema_hint(messages, rubric, n_signals)
            for k, v in call.usage.items():
                usage[k] += v
            if call.refusal:
                raise self._fail(f"the model refused to grade: {_clip(call.refusal, 120)}")
            if call.finish_reason == "content_filter":
                raise self._fail("the reply was blocked by the server's content filter")
            try:
                if call.finish_reason == "length":
                    raise ValueError(
                        f"the reply was cut off at the {self.settings.max_tokens}-token limit; "
                        "reply again, shorter: rationales under 250 characters, rewrite under 400"
                    )
                reply = parse_reply(call.content, rubric, n_signals)
                break
            except ValueError as exc:
                problem = str(exc)
                log.info("invalid reply from %s (attempt %d): %s", self.endpoint.display, attempt + 1, problem)
                if attempt == 1:
                    if call.finish_reason == "length":
                        raise self._fail(
                            f"output truncated at max_tokens={self.settings.max_tokens} twice - raise llm.max_tokens"
                        ) from None
                    raise self._fail(f"invalid output twice: {_clip(problem, 200)}") from None
                messages = [
                    *messages,
                    {"role": "assistant", "content": _clip(call.content or "", 4000)},
                    {
                        "role": "user",
                        "content": (
                            f"Your reply was invalid: {problem}. Reply again with only the JSON object, "
                            f"with one key per criterion ({', '.join(c.id for c in rubric.criteria)}), scores 1-5"
                            + (f", and one verdict per signal ({', '.join(signal_ids(question))})." if n_signals else ".")
                        ),
                    },
                ]
        assert reply is not None
        return self._to_grade(reply, question, rubric, transcript, evidence, track, usage, started)

    def _to_grade(
        self,
        reply: LLMGradeReply,
        question: Question,
        rubric: Rubric,
        transcript: Transcript,
        evidence: Evidence,
        track: Track | None,
        usage: dict[str, int],
        started: float,
    ) -> Grade:
        by_id = reply.criteria
        criteria = [
            CriterionGrade(
                criterion=c.id,
                score=by_id[c.id].score,
                rationale=by_id[c.id].rationale or "(no rationale given)",
                quotes=[_clip(q, MAX_QUOTE) for q in by_id[c.id].quotes],
                improvement=by_id[c.id].improvement or None,
            )
            for c in rubric.criteria
        ]
        names = {c.id: c.name for c in rubric.criteria}
        strengths = [f"{names[s.criterion]}: {s.text}" if s.criterion in names else s.text for s in reply.strengths]
        signals = [
            SignalCoverage(signal=text, status=reply.signals[sid].status,
                           quotes=[_clip(q, MAX_QUOTE) for q in reply.signals[sid].quotes])
            for sid, text in zip(signal_ids(question), question.signals)
        ]
        scores = {g.criterion: g.score for g in criteria}
        grade = Grade(
            grader="llm",
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            model=self.endpoint.model,
            endpoint=self.endpoint.display,
            prompt_version=self.prompt_version,
            criteria=criteria,
            overall=rubric.weighted_mean(scores, track),
            strengths=strengths[:3],
            signals=signals,
            top_fix=reply.top_fix or None,
            rewrite=reply.rewrite or None,
            latency_s=round(time.monotonic() - started, 3),
            usage=usage,
        )
        # What the model wrote is checked here; the score rules run where every grade is made
        # (SessionService, verify.apply_rules), for the evidence-only grade too.
        return check_reply(grade, transcript, evidence)


_SCHEMA_HINT = "The reply must validate against this JSON schema:"



def _schema_hint(rubric: Rubric, n_signals: int = 0) -> str:
    return f"{_SCHEMA_HINT}\n" + json.dumps(reply_schema(rubric, n_signals), separators=(",", ":"))


def _with_schema_hint(messages: list[dict[str, str]], rubric: Rubric, n_signals: int = 0) -> list[dict[str, str]]:
    """Without json_schema the server cannot enforce the schema: state it in the first user message (once)."""
    out = [dict(m) for m in messages]
    for m in out:
        if m["role"] == "user":
            if _SCHEMA_HINT not in m["content"]:
                m["content"] = m["content"] + "\n\n" + _schema_hint(rubric, n_signals)
            break
    return out


def _tail(detail: str) -> str:
    return f": {detail}" if detail else ""


def _status_message(status: int, detail: str, model: str) -> str:
    if status == 401:
        return "HTTP 401 unauthorized - check OPENAI_API_KEY or llm.api_key"  # detail may echo the key
    if status == 403:
        return f"HTTP 403 forbidden - the key may lack access to model {model}{_tail(detail)}"
    if status == 404:
        return (
            f"HTTP 404 not found - model '{model}' is not served there or the base URL is wrong "
            f"(it usually ends in /v1){_tail(detail)}"
        )
    if status == 400 and "context" in detail.lower():
        return f"HTTP 400 - the prompt does not fit the model's context window{_tail(detail)}"
    return f"HTTP {status}{_tail(detail)}"
