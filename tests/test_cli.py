"""The core commands end to end: grade, transcribe, history, show, regrade, doctor, bad input."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from interviewer.cli import app

DATA = Path(__file__).parent / "data"
CLIPS = yaml.safe_load((DATA / "clips.yaml").read_text())

ANSWER = (
    "My assumption is that we serve about 100k requests per second with a P99 budget of 50 ms. "
    "I designed the two-stage ranker and I decided to cache the user embeddings. "
    "We launched it in March. Latency went from 120 ms to 70 ms and CTR went up by 4.3 %. "
    "Um, it was, you know, a lot better overall."
)


def run(*args: str, width: int = 200):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = [l for l in result.stderr.splitlines() if l.strip() and not l.startswith("hint:")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    return lines[0]


@pytest.fixture
def answer_txt(tmp_path: Path) -> Path:
    path = tmp_path / "answer.txt"
    path.write_text(ANSWER, encoding="utf-8")
    return path


def test_grade_text_json_shape(answer_txt: Path) -> None:
    result = run("grade", str(answer_txt), "--question", "Design ads ranking at 100k QPS", "--round",
                 "ml_system_design", "--rubric", "core", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"session_id", "folder", "question", "transcript", "evidence", "grade", "grades"}
    assert doc["transcript"]["source"] == "text"
    ev = doc["evidence"]
    assert ev["impact"]["before_after"] and ev["ownership"]["i_count"] >= 2
    assert "latency" in ev["assumptions"]["stated"] and "scale" in ev["assumptions"]["stated"]
    assert doc["grade"]["grader"] == "evidence"
    scores = {c["criterion"]: c["score"] for c in doc["grade"]["criteria"]}
    assert {"assumptions", "ownership", "metrics"} <= set(scores)
    assert all(1 <= s <= 5 for s in scores.values())
    # before -> after plus a delta, but 58 words: too short to score above 2 (verify.apply_rules)
    assert scores["metrics"] == 2 and "short_answer" in doc["grade"]["flags"]
    assert "signals" in doc["grade"]
    folder = Path(doc["folder"])
    for name in ("session.json", "transcript.json", "evidence.json"):
        assert (folder / name).is_file()
    assert list((folder / "grades").glob("001-evidence.json"))


def test_grade_audio_then_history_and_show(isolated_home: Path) -> None:
    star = CLIPS["star"]
    result = run("grade", str(DATA / star["file"]), "--question-id", "bh-co-beyond-the-job", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    t = doc["transcript"]
    assert t["source"] == "audio" and abs(t["duration_s"] - star["duration_s"]) < 0.5
    assert "120 milliseconds to 70 milliseconds" in t["text"]
    numbers = doc["evidence"]["impact"]["numbers"]
    assert numbers and all(n["start"] is not None and 0 <= n["start"] <= t["duration_s"] for n in numbers)
    sid = doc["session_id"]
    assert (Path(doc["folder"]) / "answer.ogg").is_file()

    hist = run("history")
    assert hist.exit_code == 0 and sid in hist.stdout and "0:22/7:00" in hist.stdout

    shown = run("show", sid[:15])
    assert shown.exit_code == 0, shown.output
    for needle in ("Transcript", "Evidence", "evidence-only grade", "before->after", "120 ms -> 70 ms"):
        assert needle in shown.stdout, needle

    as_json = json.loads(run("show", "last", "--json").stdout)
    assert as_json["session_id"] == sid

    again = run("regrade", sid, "--no-llm", "--json")
    assert again.exit_code == 0, again.output
    assert [g["grader"] for g in json.loads(again.stdout)["grades"]] == ["evidence", "evidence"]
    assert "All grades of this session" in run("show", sid).stdout


def test_transcribe_json_has_words(isolated_home: Path) -> None:
    result = run("transcribe", str(DATA / "short.flac"), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    words = [w for s in doc["segments"] for w in s["words"]]
    assert words and all(0 <= w["start"] <= w["end"] <= doc["duration_s"] + 0.05 for w in words)
    assert "ranking model" in doc["text"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.wav", "not found"),
        ("empty_audio.wav", "empty"),
        ("garbage.wav", "decode"),
        ("not_audio.wav", "decode"),
        ("truncated.flac", ""),
        ("silence.flac", "no speech"),
    ],
)
def test_bad_audio_is_one_line_and_saves_nothing(name: str, message: str, isolated_home: Path) -> None:
    result = run("grade", str(DATA / name), "--question", "Tell me about a launch you owned.")
    line = one_line_error(result)
    assert message.lower() in line.lower()
    assert not list((isolated_home / "recordings").glob("*/session.json"))


def test_empty_text_transcript(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    assert "empty" in one_line_error(run("grade", str(empty), "-q", "Tell me about a launch."))


def test_malformed_rubric_names_file_and_field(answer_txt: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\nname: Bad\ncriteria:\n  - id: metrics\n    name: M\n    description: d\n"
        "    anchors: {1: a, 2: b, 3: c, 4: d}\n"
    )
    line = one_line_error(run("grade", str(answer_txt), "-q", "Tell me about a launch.", "--rubric", str(bad)))
    assert "bad.yaml" in line and "criteria[0](metrics).anchors" in line

    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ncriteria: [\n")
    assert "broken.yaml" in one_line_error(run("grade", str(answer_txt), "-q", "Tell me about a launch.", "--rubric", str(broken)))


def test_unwritable_data_directory(answer_txt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("INTERVIEWER_RECORDINGS_DIR", str(blocker / "sessions"))
    line = one_line_error(run("grade", str(answer_txt), "-q", "Tell me about a launch."))
    assert "cannot write to the sessions directory" in line


def test_missing_or_bad_question(answer_txt: Path) -> None:
    result = run("grade", str(answer_txt))
    assert result.exit_code == 2 and "--question" in result.output
    assert "at least 2 characters" in one_line_error(run("grade", str(answer_txt), "-q", "?"))
    short = run("grade", str(answer_txt), "-q", "Why?")  # a short question is a real question
    assert short.exit_code == 0, short.output
    assert "unknown question id" in one_line_error(run("grade", str(answer_txt), "-i", "no-such-question"))


def test_unknown_session_and_damaged_index(isolated_home: Path, answer_txt: Path) -> None:
    assert "no saved sessions" in one_line_error(run("show", "last"))
    assert run("grade", str(answer_txt), "-q", "Tell me about a launch.").exit_code == 0
    assert "no session 'nope'" in one_line_error(run("show", "nope"))
    (isolated_home / "recordings" / "index.sqlite").write_bytes(b"garbage, not sqlite")
    assert "unusable" in one_line_error(run("history"))
    assert run("reindex").exit_code == 0
    assert len(json.loads(run("history", "--json").stdout)) == 1


def test_config_file_and_env_precedence(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.settings import load_settings

    monkeypatch.setenv("INTERVIEWER_TIME_BUDGET_S", "300")
    assert load_settings().time_budget_s == 300
    (isolated_home / "config.toml").write_text("time_budget_s = 600\n[whisper]\nbeam_size = 2\n")
    s = load_settings()
    assert s.time_budget_s == 600 and s.whisper.beam_size == 2  # file beats env
    assert load_settings(time_budget_s=90).time_budget_s == 90  # flag beats file
    assert load_settings(whisper={"model": "small.en"}).whisper.beam_size == 2  # nested flags merge
    (isolated_home / "config.toml").write_text("time_budget_s = 'soon'\n")
    from interviewer.errors import ConfigError

    with pytest.raises(ConfigError, match="time_budget_s"):
        load_settings()


def test_doctor_reports_every_piece(isolated_home: Path) -> None:
    result = run("doctor")
    # Everything it needs is installed here; no microphone or speaker is a warning, not a failure.
    assert result.exit_code == 0, result.stdout
    for name in ("Sessions directory", "Whisper model", "PortAudio", "Voice", "LLM grader", "Question bank"):
        assert name in result.stdout, name
    assert "tiny.en" in result.stdout


def test_help_works_without_heavy_imports() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from interviewer.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0; "
        "heavy = [m for m in ('faster_whisper', 'sounddevice', 'openai', 'ctranslate2') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ})
    assert out.stdout.strip() == "[]"


def test_index_rows_match_folders(answer_txt: Path, isolated_home: Path) -> None:
    run("grade", str(answer_txt), "-q", "Tell me about a launch.")
    db = sqlite3.connect(isolated_home / "recordings" / "index.sqlite")
    (sid,) = db.execute("SELECT id FROM sessions").fetchone()
    assert (isolated_home / "recordings" / sid / "session.json").is_file()


def test_budget_flag_beats_the_config_file_and_the_evidence_uses_it(answer_txt: Path, isolated_home: Path) -> None:
    """One owner of the budget: chosen with the question (flag > config > the question's own),
    saved with it, and the analysis measures time against that same number."""
    (isolated_home / "config.toml").write_text("time_budget_s = 600\n")
    flagged = json.loads(run("grade", str(answer_txt), "-i", "sd-ads-ranking-100k", "--budget", "300", "--json").stdout)
    assert flagged["question"]["time_budget_s"] == 300
    assert flagged["evidence"]["delivery"]["time_budget_s"] == 300
    configured = json.loads(run("grade", str(answer_txt), "-i", "sd-ads-ranking-100k", "--json").stdout)
    assert configured["question"]["time_budget_s"] == 600
    assert configured["evidence"]["delivery"]["time_budget_s"] == 600
