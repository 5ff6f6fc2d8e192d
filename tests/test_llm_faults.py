"""Every way an OpenAI-compatible endpoint can misbehave ends as one note, never a traceback:
the session is saved with its evidence-only grade and the note says `regrade ID`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from fake_openai import FakeOpenAI, Reply  # noqa: E402
from interviewer.cli import app  # noqa: E402

ANSWER = "I led the ranking migration. Latency went from 120 ms to 70 ms and CTR went up by 4.3 %."

HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>nginx</body></html>"
VALID_HEAD = json.dumps({"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {
    "role": "assistant", "content": '{"criteria": {"metrics": {"score": 4'}}]})

MISBEHAVIOURS = {
    "200 with a body that is not JSON (application/json)": Reply(body="this is not json", content_type="application/json"),
    "200 with plain text": Reply(body="Hello from the proxy", content_type="text/plain"),
    "200 with an HTML page": Reply(body=HTML_PAGE, content_type="text/html"),
    "502 with an HTML error page": Reply(status=502, body=HTML_PAGE, content_type="text/html"),
    "200 with an empty body": Reply(body="", content_type="application/json"),
    "200 with JSON that is not a completion": Reply(body=json.dumps({"hello": "world"})),
    "200 with choices that are not a list": Reply(body=json.dumps({"choices": "nope"})),
    "a reply cut mid-way": Reply(body=VALID_HEAD, cut_after=60),
    "a reply that never ends (bounded by the timeout)": Reply(body=VALID_HEAD, delay_s=8),
}


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


@pytest.mark.parametrize("case", list(MISBEHAVIOURS), ids=list(MISBEHAVIOURS))
def test_misbehaving_endpoint_is_one_note_and_the_session_is_kept(server: FakeOpenAI, tmp_path: Path,
                                                                   case: str) -> None:
    server.default = MISBEHAVIOURS[case]
    answer = tmp_path / "answer.txt"
    answer.write_text(ANSWER)
    result = CliRunner().invoke(
        app,
        ["grade", str(answer), "-q", "Tell me about a latency win.", "--llm-url", server.base_url,
         "--llm-model", "fake-model", "--json"],
        env={"COLUMNS": "200", "INTERVIEWER_LLM__MAX_RETRIES": "0", "INTERVIEWER_LLM__TIMEOUT_S": "2",
             "INTERVIEWER_LLM__RETRY_BACKOFF_S": "0.01", "INTERVIEWER_LLM__ENABLED": "on"},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    doc = json.loads(result.stdout)
    assert doc["grade"]["grader"] == "evidence"  # the evidence-only grade is what the user keeps
    assert server.base_url in result.stderr and f"regrade {doc['session_id']}" in result.stderr
    (note,) = [l for l in result.stderr.splitlines() if "regrade" in l]
    assert server.base_url in note and len(note) < 400, result.stderr
