"""The session store: folders, index, migrations, and the pinned database schema."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from interviewer.errors import SessionNotFound, StoreError
from interviewer.models import (
    CriterionGrade,
    Evidence,
    Grade,
    Question,
    Round,
    SessionMeta,
    SessionStatus,
    Transcript,
)
from interviewer.store import INDEX_NAME, MIGRATIONS, Store, migrate, new_session_id

# Pinned: a change here must come with a new named migration, never an edit of an old one.
PINNED_SCHEMA = {
    "_migrations": "CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    "sessions": (
        "CREATE TABLE sessions ( id TEXT PRIMARY KEY, created_at TEXT NOT NULL, question_id TEXT NOT NULL, "
        "question_text TEXT NOT NULL, round TEXT NOT NULL, track TEXT, status TEXT NOT NULL, source TEXT NOT NULL, "
        "finished INTEGER NOT NULL DEFAULT 1, duration_s REAL, time_budget_s INTEGER NOT NULL , "
        "loop_id TEXT, parent_id TEXT)"  # m002_session_links
    ),
    "sessions_created": "CREATE INDEX sessions_created ON sessions(created_at)",
    "sessions_loop": "CREATE INDEX sessions_loop ON sessions(loop_id)",
    "grades": (
        "CREATE TABLE grades ( session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, "
        "seq INTEGER NOT NULL, created_at TEXT NOT NULL, grader TEXT NOT NULL, model TEXT, prompt_version TEXT, "
        "rubric_id TEXT NOT NULL, overall REAL NOT NULL, scores TEXT NOT NULL, PRIMARY KEY (session_id, seq) )"
    ),
}


def _meta(sid: str | None = None, when: datetime | None = None) -> SessionMeta:
    now = when or datetime.now(timezone.utc)
    q = Question(id="bq-test", text="Tell me about a time you cut latency.", round=Round.behavioral)
    return SessionMeta(id=sid or new_session_id(now), created_at=now, question=q, status=SessionStatus.recorded)


def _grade(grader: str = "evidence", overall: float = 3.0) -> Grade:
    return Grade(
        grader=grader,  # type: ignore[arg-type]
        rubric_id="core",
        model=None if grader == "evidence" else "m",
        criteria=[CriterionGrade(criterion="metrics", score=3, rationale="two numbers")],
        overall=overall,
    )


def test_schema_is_pinned(tmp_path: Path) -> None:
    Store(tmp_path).ensure_ready()
    db = sqlite3.connect(tmp_path / INDEX_NAME)
    rows = db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").fetchall()
    actual = {name: " ".join(sql.split()) for name, sql in rows}
    assert actual == {k: " ".join(v.split()) for k, v in PINNED_SCHEMA.items()}
    assert [r[0] for r in db.execute("SELECT name FROM _migrations")] == [m[0] for m in MIGRATIONS]


def test_migrations_apply_once(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite")
    assert migrate(db) == [m[0] for m in MIGRATIONS]
    assert migrate(db) == []


def test_an_index_from_before_m002_gets_the_loop_links_from_the_folders(tmp_path: Path) -> None:
    """A store indexed by an older version: its loop answers are linked on the first open."""
    store = Store(tmp_path)
    main = store.create(_meta().model_copy(update={"loop_id": "loop-x"}))
    child = store.create(_meta().model_copy(update={"loop_id": "loop-x", "parent_id": main.meta.id}))
    alone = store.create(_meta())
    db = sqlite3.connect(tmp_path / INDEX_NAME)
    with db:  # back to the m001 index: no link columns, m002 not applied
        db.execute("DROP INDEX sessions_loop")
        db.execute("ALTER TABLE sessions DROP COLUMN parent_id")
        db.execute("ALTER TABLE sessions DROP COLUMN loop_id")
        db.execute("DELETE FROM _migrations WHERE name = 'm002_session_links'")
    db.close()
    rows = {r.id: r for r in Store(tmp_path).list()}
    assert (rows[main.meta.id].loop_id, rows[main.meta.id].parent_id) == ("loop-x", None)
    assert (rows[child.meta.id].loop_id, rows[child.meta.id].parent_id) == ("loop-x", main.meta.id)
    assert (rows[alone.meta.id].loop_id, rows[alone.meta.id].parent_id) == (None, None)
    assert {r.id for r in Store(tmp_path).list(loop_id="loop-x")} == {main.meta.id, child.meta.id}


def test_round_trip_keeps_every_grade(tmp_path: Path) -> None:
    store = Store(tmp_path)
    audio = tmp_path / "in.wav"
    audio.write_bytes(b"RIFF fake audio bytes")
    saved = store.create(_meta(), audio=audio)
    assert (saved.folder / "answer.wav").read_bytes() == audio.read_bytes()
    store.save_transcript(saved, Transcript(text="I cut it from 120 ms to 70 ms.", duration_s=4.0))
    store.save_evidence(saved, Evidence())
    assert store.add_grade(saved, _grade()) == 1
    assert store.add_grade(saved, _grade("llm", 4.0)) == 2

    loaded = store.load(saved.meta.id[:12])
    assert loaded.meta.status == SessionStatus.graded
    assert loaded.meta.duration_s == 4.0
    assert loaded.transcript and loaded.transcript.text.startswith("I cut")
    assert [g.grader for g in loaded.grades] == ["evidence", "llm"]
    assert loaded.latest_grade and loaded.latest_grade.grader == "llm"

    (row,) = store.list()
    assert row.overall == 4.0 and row.grader == "llm" and row.scores == {"metrics": 3}


def test_two_sessions_given_the_same_id_are_both_kept(tmp_path: Path) -> None:
    # Ids are the second plus two random bytes: a clash is rare but would merge two index rows.
    store = Store(tmp_path)
    first = store.create(_meta("20261202-101010-abcd"))
    store.add_grade(first, _grade(overall=2.0))
    second = store.create(_meta("20261202-101010-abcd"))
    assert second.meta.id != first.meta.id
    assert sorted(r.id for r in store.list()) == sorted([first.meta.id, second.meta.id])
    assert store.load(first.meta.id).grades[0].overall == 2.0 and not store.load(second.meta.id).grades


def test_resolve_last_prefix_and_unknown(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(SessionNotFound, match="no saved sessions"):
        store.resolve_id("last")
    a = store.create(_meta("20260101-000000-aaaa", datetime(2026, 1, 1, tzinfo=timezone.utc)))
    b = store.create(_meta("20260102-000000-bbbb", datetime(2026, 1, 2, tzinfo=timezone.utc)))
    assert store.resolve_id("last") == b.meta.id
    assert store.resolve_id("20260101") == a.meta.id
    with pytest.raises(SessionNotFound, match="matches 2 sessions"):
        store.resolve_id("2026")
    with pytest.raises(SessionNotFound, match="no session 'zzz'"):
        store.resolve_id("zzz")


def test_rebuild_index_from_folders(tmp_path: Path) -> None:
    store = Store(tmp_path)
    saved = store.create(_meta())
    store.add_grade(saved, _grade())
    (tmp_path / INDEX_NAME).write_bytes(b"this is not a database")
    with pytest.raises(StoreError, match="reindex|unusable|not a database"):
        Store(tmp_path).list()
    assert Store(tmp_path).rebuild_index().indexed == 1
    (row,) = Store(tmp_path).list()
    assert row.id == saved.meta.id and row.overall == 3.0


def test_damaged_json_is_a_clear_error(tmp_path: Path) -> None:
    store = Store(tmp_path)
    saved = store.create(_meta())
    (saved.folder / "transcript.json").write_text("{not json")
    with pytest.raises(StoreError, match="damaged"):
        store.load(saved.meta.id)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(StoreError, match="cannot write"):
        Store(ro / "sessions").ensure_ready()


def test_unwritable_directory_as_file(tmp_path: Path) -> None:
    # Works as root too: a path whose parent is a regular file can never be created.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot write to the sessions directory"):
        Store(blocker / "sessions").ensure_ready()
