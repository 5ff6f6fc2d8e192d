"""Pick the grader: a configured or detected LLM endpoint, else the evidence-only grader.

Order (``llm.enabled`` = auto): configured ``llm.base_url`` > a local server found on loopback
(Ollama, llama-server, LM Studio) > api.openai.com when an API key is set > evidence-only. A local
server wins over the OpenAI key on purpose: an ``OPENAI_API_KEY`` exported for other tools should
not send interview transcripts off the machine when a local model is running. ``enabled = on``
turns "no endpoint" into a GraderError instead of a silent evidence-only grade.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from typing import Any

from pydantic import SecretStr

from ..errors import GraderError
from ..settings import LLMSettings, Settings
from . import Grader
from .evidence import EvidenceGrader
from .llm import OPENAI_BASE_URL, PLACEHOLDER_KEY, Endpoint, LLMGrader, api_key_for, public_url, scrub

log = logging.getLogger(__name__)

# Well-known local OpenAI-compatible servers, probed in this order (tests replace this list).
LOCAL_SERVERS: list[tuple[str, str]] = [
    ("Ollama", "http://127.0.0.1:11434/v1"),
    ("llama-server", "http://127.0.0.1:8080/v1"),
    ("LM Studio", "http://127.0.0.1:1234/v1"),
]
PROBE_CONNECT_S = 0.3
PROBE_READ_S = 2.0
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"

ENABLE_HINT = (
    "set INTERVIEWER_LLM__BASE_URL (and INTERVIEWER_LLM__MODEL), start Ollama / llama-server / "
    "LM Studio locally, or set OPENAI_API_KEY"
)


def _llm(settings: Settings | LLMSettings) -> LLMSettings:
    return settings.llm if isinstance(settings, Settings) else settings




def list_models(base_url: str, api_key: str | None, timeout_s: float) -> list[str]:
    """GET {base_url}/models; raises GraderError with a one-line reason."""
    url = base_url.rstrip("/") + "/models"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {api_key or PLACEHOLDER_KEY}"})
    where = public_url(base_url)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:  # noqa: S310 - http(s) only
            data: Any = json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        hint = " - check OPENAI_API_KEY or llm.api_key" if exc.code == 401 else ""
        raise GraderError(f"LLM endpoint {where}: GET /models answered HTTP {exc.code}{hint}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise GraderError(scrub(f"LLM endpoint {where}: cannot connect ({reason})", api_key)) from None
    except (ValueError, UnicodeDecodeError):
        raise GraderError(f"LLM endpoint {where}: GET /models did not return JSON - is this an OpenAI-compatible URL?") from None
    items = data.get("data") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise GraderError(f"LLM endpoint {where}: GET /models returned no model list")
    ids = [str(m.get("id")) for m in items if isinstance(m, dict) and m.get("id")]
    # Embedding models cannot grade; keep them last.
    return sorted(ids, key=lambda m: "embed" in m.lower())


def _port_open(base_url: str, timeout_s: float) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout_s):
            return True
    except OSError:
        return False


def probe_local() -> tuple[str, str, list[str]] | None:
    """The first local server that answers GET /models with at least one model."""
    for name, url in LOCAL_SERVERS:
        if not _port_open(url, PROBE_CONNECT_S):
            continue
        try:
            models = list_models(url, None, PROBE_READ_S)
        except GraderError as exc:
            log.debug("probe %s: %s", url, exc)
            continue
        if models:
            return name, url, models
    return None


def resolve_endpoint(settings: Settings | LLMSettings) -> tuple[Endpoint | None, str]:
    """The endpoint to grade with and a one-line note; (None, hint) when there is none.

    Raises GraderError when ``llm.enabled`` is "on" and no endpoint can be used, or a configured
    endpoint without a model cannot list its models.
    """
    llm = _llm(settings)
    if llm.enabled == "off":
        return None, f"LLM grading off (llm.enabled=off); evidence-only grade. To enable: INTERVIEWER_LLM__ENABLED=auto and {ENABLE_HINT}"
    if llm.base_url:
        model = llm.model
        if not model:
            try:
                models = list_models(llm.base_url, api_key_for(llm.base_url, llm.api_key), min(llm.timeout_s, 10.0))
            except GraderError as exc:
                if llm.enabled == "on":
                    raise
                return None, f"{exc}; using the evidence-only grade"
            if not models:
                msg = f"LLM endpoint {public_url(llm.base_url)} serves no model; set INTERVIEWER_LLM__MODEL"
                if llm.enabled == "on":
                    raise GraderError(msg)
                return None, msg + "; using the evidence-only grade"
            model = models[0]
        ep = Endpoint(base_url=llm.base_url, model=model, name=None)
        return ep, f"LLM grading with {ep.describe()}"
    found = probe_local()
    if found:
        name, url, models = found
        model = llm.model or models[0]  # a configured name is honoured; a wrong one fails with a clear 404
        # A local server needs no key: never send the user's OpenAI key to it.
        ep = Endpoint(base_url=url, model=model, name=name, api_key=SecretStr(PLACEHOLDER_KEY))
        return ep, f"using {name} at {url}, model {model}"
    if api_key_for(OPENAI_BASE_URL, llm.api_key):
        ep = Endpoint(base_url=OPENAI_BASE_URL, model=llm.model or DEFAULT_OPENAI_MODEL, name="OpenAI")
        return ep, (
            f"using OpenAI at {OPENAI_BASE_URL}, model {ep.model} (OPENAI_API_KEY is set; "
            "INTERVIEWER_LLM__ENABLED=off keeps transcripts on this machine)"
        )
    msg = f"no LLM endpoint found; evidence-only grade. To enable LLM grading: {ENABLE_HINT}"
    if llm.enabled == "on":
        raise GraderError(f"llm.enabled=on but no LLM endpoint found: {ENABLE_HINT}")
    return None, msg


def resolve_grader(settings: Settings | LLMSettings) -> tuple[Grader, str]:
    """The grader to use and a one-line note for the user (which endpoint, or how to enable one)."""
    llm = _llm(settings)
    endpoint, note = resolve_endpoint(llm)
    if endpoint is None:
        return EvidenceGrader(), note
    return LLMGrader(llm, endpoint), note


def check_endpoint(settings: Settings | LLMSettings) -> tuple[bool, str]:
    """For ``interviewer doctor``: can the configured/detected endpoint serve the model?"""
    llm = _llm(settings)
    try:
        endpoint, note = resolve_endpoint(llm)
    except GraderError as exc:
        return False, str(exc)
    if endpoint is None:
        # Off or nothing found is a valid setup (evidence-only), not a failure.
        return True, note
    key = api_key_for(endpoint.base_url, endpoint.api_key, llm.api_key)
    try:
        models = list_models(endpoint.base_url, key, min(llm.timeout_s, 10.0))
    except GraderError as exc:
        return False, str(exc)
    if models and endpoint.model not in models:
        shown = ", ".join(models[:5]) + (", ..." if len(models) > 5 else "")
        return False, f"LLM endpoint {endpoint.display}: model '{endpoint.model}' is not served there (available: {shown})"
    return True, f"LLM grader ready: {endpoint.describe()} ({len(models)} model(s) served)"
