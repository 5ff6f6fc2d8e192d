"""Saved sessions: one folder per answer (the source of truth) plus a SQLite index for listing.

Layout of ``<sessions_dir>/<id>/``::

    session.json      SessionMeta (question, status, duration, source)
    answer.<ext>      the audio, copied in (or recorded straight into the folder)
    transcript.json   Transcript
    evidence.json     Evidence
    grades/001-evidence.json, 002-llm.json ...   every grade ever made, oldest first

Files are written atomically (temp file + rename), so a crash never leaves half a JSON file.
The index (``index.sqlite``) only mirrors the folders and can be rebuilt from them.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .errors import SessionNotFound, StoreError
from .models import Evidence, Grade, SessionMeta, SessionStatus, Transcript

log = logging.getLogger(__name__)

INDEX_NAME = "index.sqlite"

# Named migrations, applied in order and recorded by name (the pattern of simonw/llm).
# Never edit one that has shipped: add a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "m001_initial",
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            question_id TEXT NOT NULL,
            question_text TEXT NOT NULL,
            round TEXT NOT NULL,
            track TEXT,
            status TEXT NOT NULL,
            source TEXT NOT NULL,
            finished INTEGER NOT NULL DEFAULT 1,
            duration_s REAL,
            time_budget_s INTEGER NOT NULL
        );
        CREATE INDEX sessions_created ON sessions(created_at);
        CREATE TABLE grades (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            grader TEXT NOT NULL,
            model TEXT,
            prompt_version TEXT,
            rubric_id TEXT NOT NULL,
            overall REAL NOT NULL,
            scores TEXT NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        """,
    ),
]


@dataclass
class SavedSession:
    meta: SessionMeta
    folder: Path
    transcript: Transcript | None = None
    evidence: Evidence | None = None
    grades: list[Grade] = field(default_factory=list)

    @property
    def latest_grade(self) -> Grade | None:
        """The newest LLM grade if any, else the newest grade."""
        llm = [g for g in self.grades if g.grader == "llm"]
        return (llm or self.grades or [None])[-1]

    @property
    def audio_path(self) -> Path | None:
        return self.folder / self.meta.audio_file if self.meta.audio_file else None


@dataclass
class SessionRow:
    id: str
    created_at: datetime
    question_id: str
    question_text: str
    round: str
    track: str | None
    status: str
    source: str
    finished: bool
    duration_s: float | None
    time_budget_s: int
    overall: float | None
    grader: str | None
    scores: dict[str, int]


def new_session_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dump(model: BaseModel) -> str:
    return model.model_dump_json(indent=2) + "\n"


class Store:
    """Session folders and their SQLite index under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._ready = False

    # -- set-up ------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        """Create the root and the index; an unwritable place is a one-line StoreError."""
        if self._ready:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".write-test-{os.getpid()}"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise StoreError(
                f"cannot write to the sessions directory {self.root}: {exc.strerror or exc}",
                hint="set INTERVIEWER_HOME or recordings_dir to a writable folder",
            ) from None
        with self._db() as db:
            migrate(db)
        self._ready = True

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        path = self.root / INDEX_NAME
        try:
            db = sqlite3.connect(path, timeout=10)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the session index {path}: {exc}") from None
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        try:
            with db:
                yield db
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"session index {path} is unusable: {exc}", hint="run `interviewer reindex`") from None
        finally:
            db.close()

    # -- writing -----------------------------------------------------------------------------

    def create(self, meta: SessionMeta, audio: Path | None = None) -> SavedSession:
        """Make the folder, copy the audio in and index the session before anything slow runs."""
        self.ensure_ready()
        folder = self.root / meta.id
        try:
            folder.mkdir(parents=False, exist_ok=True)
            (folder / "grades").mkdir(exist_ok=True)
            if audio is not None and audio.resolve() != (folder / audio.name).resolve():
                target = folder / f"answer{audio.suffix.lower()}"
                shutil.copy2(audio, target)
                meta = meta.model_copy(update={"audio_file": target.name})
            _atomic_write(folder / "session.json", _dump(meta))
        except OSError as exc:
            raise StoreError(f"cannot save session in {folder}: {exc.strerror or exc}") from None
        self._index(meta)
        return SavedSession(meta=meta, folder=folder)

    def update_meta(self, saved: SavedSession, **changes: object) -> None:
        saved.meta = saved.meta.model_copy(update=changes)
        self._write(saved.folder / "session.json", _dump(saved.meta))
        self._index(saved.meta)

    def save_transcript(self, saved: SavedSession, transcript: Transcript) -> None:
        saved.transcript = transcript
        self._write(saved.folder / "transcript.json", _dump(transcript))
        if saved.meta.status == SessionStatus.recorded:
            self.update_meta(saved, status=SessionStatus.transcribed, duration_s=transcript.duration_s)

    def save_evidence(self, saved: SavedSession, evidence: Evidence) -> None:
        saved.evidence = evidence
        self._write(saved.folder / "evidence.json", _dump(evidence))

    def add_grade(self, saved: SavedSession, grade: Grade) -> int:
        """Append a grade (never overwrite one); returns its sequence number."""
        seq = len(saved.grades) + 1
        self._write(saved.folder / "grades" / f"{seq:03d}-{grade.grader}.json", _dump(grade))
        saved.grades.append(grade)
        self._index_grade(saved.meta.id, seq, grade)
        if saved.meta.status != SessionStatus.graded:
            self.update_meta(saved, status=SessionStatus.graded)
        return seq

    def _write(self, path: Path, text: str) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(path, text)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None

    def _index_grade(self, session_id: str, seq: int, grade: Grade) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    session_id, seq, grade.created_at.isoformat(), grade.grader, grade.model,
                    grade.prompt_version, grade.rubric_id, grade.overall,
                    json.dumps({c.criterion: c.score for c in grade.criteria}),
                ),
            )

    def _index(self, meta: SessionMeta) -> None:
        with self._db() as db:
            db.execute(
                """INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT(id) DO UPDATE SET status=excluded.status, finished=excluded.finished,
                   duration_s=excluded.duration_s, track=excluded.track""",
                (
                    meta.id, meta.created_at.isoformat(), meta.question.id, meta.question.text,
                    meta.question.round.value, meta.track.value if meta.track else None,
                    meta.status.value, meta.source, int(meta.finished), meta.duration_s,
                    meta.question.time_budget_s,
                ),
            )

    # -- reading -----------------------------------------------------------------------------

    def resolve_id(self, ref: str) -> str:
        """A full id, a unique prefix, or 'last'/'latest'."""
        self.ensure_ready()
        with self._db() as db:
            if ref in {"last", "latest"}:
                row = db.execute("SELECT id FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()
                if row is None:
                    raise SessionNotFound("no saved sessions yet (try `interviewer demo`)")
                return row["id"]
            rows = db.execute("SELECT id FROM sessions WHERE id LIKE ? || '%' ORDER BY id", (ref,)).fetchall()
        if not rows:
            raise SessionNotFound(f"no session '{ref}' (see `interviewer history`)")
        if len(rows) > 1 and rows[0]["id"] != ref:
            raise SessionNotFound(f"'{ref}' matches {len(rows)} sessions; give more characters of the id")
        return rows[0]["id"]

    def load(self, ref: str) -> SavedSession:
        sid = self.resolve_id(ref)
        folder = self.root / sid
        if not (folder / "session.json").is_file():
            raise SessionNotFound(f"session {sid} is indexed but its folder {folder} is missing")
        return self.load_folder(folder)

    def _read(self, path: Path, model: type[BaseModel]):  # type: ignore[no-untyped-def]
        if not path.is_file():
            return None
        try:
            return model.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, UnicodeDecodeError) as exc:
            raise StoreError(f"saved file {path} is damaged: {str(exc).splitlines()[0]}") from None

    def _read_evidence(self, path: Path) -> Evidence | None:
        evidence = self._read(path, Evidence)
        if evidence is not None and "version" not in evidence.model_fields_set:
            # Saved before evidence had a version (schema 1): no structure or signals measured.
            evidence.version = 1
        return evidence

    def list(self, limit: int | None = 20, question_id: str | None = None) -> list[SessionRow]:
        self.ensure_ready()
        sql = """
            SELECT s.*, g.overall, g.grader, g.scores FROM sessions s
            LEFT JOIN grades g ON g.session_id = s.id AND g.seq = (
                SELECT seq FROM grades g2 WHERE g2.session_id = s.id
                ORDER BY (g2.grader = 'llm') DESC, g2.seq DESC LIMIT 1)
        """
        args: list[object] = []
        if question_id:
            sql += " WHERE s.question_id = ?"
            args.append(question_id)
        sql += " ORDER BY s.created_at DESC, s.id DESC"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        with self._db() as db:
            rows = db.execute(sql, args).fetchall()
        return [
            SessionRow(
                id=r["id"], created_at=datetime.fromisoformat(r["created_at"]),
                question_id=r["question_id"], question_text=r["question_text"], round=r["round"],
                track=r["track"], status=r["status"], source=r["source"], finished=bool(r["finished"]),
                duration_s=r["duration_s"], time_budget_s=r["time_budget_s"], overall=r["overall"],
                grader=r["grader"], scores=json.loads(r["scores"]) if r["scores"] else {},
            )
            for r in rows
        ]

    def rebuild_index(self) -> int:
        """Re-create the index from the session folders (after a damaged or deleted index)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / INDEX_NAME).unlink(missing_ok=True)
        self._ready = False
        self.ensure_ready()
        count = 0
        for folder in sorted(p for p in self.root.iterdir() if (p / "session.json").is_file()):
            try:
                saved = self.load_folder(folder)
            except StoreError as exc:
                log.warning("skipping %s: %s", folder, exc)
                continue
            self._index(saved.meta)
            for seq, grade in enumerate(saved.grades, start=1):
                self._index_grade(saved.meta.id, seq, grade)
            count += 1
        return count

    def load_folder(self, folder: Path) -> SavedSession:
        meta = self._read(folder / "session.json", SessionMeta)
        saved = SavedSession(
            meta=meta, folder=folder,
            transcript=self._read(folder / "transcript.json", Transcript),
            evidence=self._read_evidence(folder / "evidence.json"),
        )
        saved.grades = [g for p in sorted((folder / "grades").glob("*.json")) if (g := self._read(p, Grade))]
        return saved


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet recorded; returns the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {r[0] for r in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        db.executescript(f"BEGIN; {sql}; INSERT INTO _migrations VALUES ('{name}', '{datetime.now(timezone.utc).isoformat()}'); COMMIT;")
        applied.append(name)
        log.info("applied migration %s", name)
    return applied
