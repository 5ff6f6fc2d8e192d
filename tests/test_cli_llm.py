"""`grade` with an LLM endpoint, from the command line, over real HTTP to a loopback server."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from fake_openai import FakeOpenAI, Reply, chat  # noqa: E402

from interviewer.cli import app  # noqa: E402

ANSWER = (
    "I led the migration of our ranking model to a two-tower retriever. "
    "I decided to precompute item embeddings nightly. "
    "Latency went from 120 ms to 70 ms and CTR went up by 4.3 %."
)


def reply(scores: dict[str, int]) -> dict[str, Any]:
    return {
        "criteria": [
            {
                "criterion": cid,
                "score": score,
                "rationale": f"{cid} judged from the answer",
                "quotes": ["Latency went from 120 ms to 70 ms", "a sentence the candidate never said"],
                "improvement": f"improve {cid}",
            }
            for cid, score in scores.items()
        ],
        "strengths": ["clear before -> after"],
        "top_fix": "State the QPS and the P99 budget first.",
        "rewrite": "Assuming 50k QPS and a 100 ms P99 budget, I ...",
    }


CORE = {"assumptions": 2, "ownership": 4, "metrics": 4, "delivery": 4}


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.fixture
def answer(tmp_path: Path) -> Path:
    p = tmp_path / "answer.txt"
    p.write_text(ANSWER)
    return p


def run(*args: str, **env: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "INTERVIEWER_LLM__RETRY_BACKOFF_S": "0.01", **env})


def test_llm_grade_with_verified_quotes_and_repeat(server: FakeOpenAI, answer: Path) -> None:
    calls = iter([3, 4, 4])

    def varied(_body: dict[str, Any]) -> Reply:
        return chat(reply({**CORE, "metrics": next(calls)}))

    server.default = varied
    result = run("grade", str(answer), "-q", "Tell me about a latency win you owned.", "--rubric", "core",
                 "--llm-url", server.base_url, "--llm-model", "fake-model", "--repeat", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "LLM grade by fake-model" in out
    assert "Latency went from 120 ms to 70 ms" in out
    assert "a sentence the candidate never said" not in out  # invented quote dropped
    assert "quote(s) from the grader were not in your transcript" in out
    assert "metrics" in out and "3" in out  # the spread table lists the criterion
    assert len(server.chat_requests) == 3

    shown = json.loads(run("show", "last", "--json").stdout)
    assert [g["grader"] for g in shown["grades"]] == ["evidence", "llm"]
    llm = shown["grades"][1]
    assert llm["model"] == "fake-model" and llm["prompt_version"] and llm["dropped_quotes"] >= 1
    assert llm["usage"]["total_tokens"] > 0 and llm["latency_s"] is not None


def test_endpoint_down_keeps_the_session_then_regrade(server: FakeOpenAI, answer: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    result = run("grade", str(answer), "-q", "Tell me about a latency win you owned.", "--rubric", "core",
                 "--llm-url", dead, "--llm-model", "m", "--json", INTERVIEWER_LLM__MAX_RETRIES="0",
                 INTERVIEWER_LLM__TIMEOUT_S="2")
    assert result.exit_code == 0, result.output
    assert dead in result.stderr and "regrade" in result.stderr
    doc = json.loads(result.stdout)
    assert doc["grade"]["grader"] == "evidence" and doc["evidence"]["impact"]["before_after"]

    server.default = chat(reply(CORE))
    again = run("regrade", doc["session_id"], "--rubric", "core", "--llm-url", server.base_url,
                "--llm-model", "fake-model", "--json")
    assert again.exit_code == 0, again.output
    graders = [g["grader"] for g in json.loads(again.stdout)["grades"]]
    assert graders == ["evidence", "evidence", "llm"]
    side_by_side = run("show", doc["session_id"]).stdout
    assert "All grades of this session" in side_by_side and "fake-model" in side_by_side
