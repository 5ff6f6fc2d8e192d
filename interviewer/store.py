"""Saved sessions: one folder per answer (the source of truth) plus a SQLite index for listing.

Layout of ``<sessions_dir>/<id>/``::

    session.json      SessionMeta (question, status, duration, source)
    answer.<ext>      the audio, copied in (or recorded straight into the folder)
    transcript.json   Transcript
    evidence.json     Evidence
    grades/001-evidence.json, 002-llm.json ...   every grade ever made, oldest first

Files are written atomically (temp file + rename), so a crash never leaves half a JSON file.
The index (``index.sqlite``) only mirrors the folders and can be rebuilt from them: a session
whose folder exists but whose row is missing (a kill between the two writes) is found by id in
the folders and indexed on the way. Several processes may share a store: index writes wait up to
``BUSY_TIMEOUT_S`` for another's lock, migrations run inside one ``BEGIN IMMEDIATE``, and
``rebuild_index`` rewrites a working index inside one transaction instead of deleting it.
Reading commands never write, so they work on a full or read-only disk.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
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

from .errors import DiskFull, SessionNotFound, StoreBusy, StoreError
from .models import Evidence, Grade, SessionMeta, SessionStatus, Transcript

log = logging.getLogger(__name__)

INDEX_NAME = "index.sqlite"
# Another process's index write (a grade, a migration) takes milliseconds and even a reindex of
# hundreds of sessions well under a second; a lock held longer than this is reported as busy.
BUSY_TIMEOUT_S = 15.0
# A temp file older than this was left by a process that died mid-write (live writes take ms).
STALE_TMP_S = 60.0

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
    (
        # Follow-ups and loop answers are grouped under their question and loop in `history`;
        # rows indexed before this are filled in from the folders once (Store._backfill_links).
        "m002_session_links",
        """
        ALTER TABLE sessions ADD COLUMN loop_id TEXT;
        ALTER TABLE sessions ADD COLUMN parent_id TEXT;
        CREATE INDEX sessions_loop ON sessions(loop_id);
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
    loop_id: str | None = None
    parent_id: str | None = None


@dataclass
class ReindexResult:
    indexed: int
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (folder name, what is wrong)


def new_session_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return now.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _existing_parent(path: Path) -> Path:
    for p in (path, *path.parents):
        if p.exists():
            return p
    return Path(".")


def disk_full(path: Path, need_bytes: int | None = None) -> DiskFull:
    """The one-line "disk full" error for a write to ``path``, with the space free and needed."""
    try:
        free = shutil.disk_usage(_existing_parent(path)).free
    except OSError:
        free = None
    have = f"{free / 1e6:.1f} MB free" if free is not None else "no space left"
    need = f", about {max(need_bytes, 1) / 1e6:.1f} MB needed" if need_bytes else ""
    return DiskFull(
        f"disk full: cannot write {path} ({have}{need})",
        hint="free some space; what was already saved is kept, and `interviewer regrade ID` finishes the session",
    )


def os_error(path: Path, exc: OSError, need_bytes: int | None = None) -> StoreError:
    """A store error for a failed file operation: disk full, or the OS's own reason."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(path, need_bytes)
    return StoreError(f"cannot write {path}: {exc.strerror or exc}")


def _index_error(path: Path, exc: sqlite3.Error) -> StoreError:
    msg = str(exc).lower()
    if "locked" in msg or "busy" in msg:
        return StoreBusy(
            f"the session index {path} is busy: another interviewer process held it for over {BUSY_TIMEOUT_S:.0f} s",
            hint="try again in a moment; the session folder is kept and `interviewer regrade ID` finishes it",
        )
    if "full" in msg:
        return disk_full(path)
    if "readonly" in msg or "read-only" in msg:
        return StoreError(
            f"the session index {path} is read-only",
            hint="reading commands still work; make the folder writable to save new sessions",
        )
    return StoreError(
        f"session index {path} is unusable: {exc}",
        hint="run `interviewer reindex` (it rebuilds the index from the session folders)",
    )


def _damaged(path: Path, exc: Exception) -> StoreError:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        what = "not valid JSON" if err.get("type") == "json_invalid" else f"{where or 'value'}: {err.get('msg')}"
    else:
        what = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
    return StoreError(
        f"saved file {path} is damaged ({what})",
        hint="fix that file or move its session folder out of the sessions directory; "
        "`interviewer reindex` lists every damaged session",
    )


def _sweep_tmp(folder: Path) -> None:
    """Remove temp files a killed process left behind (never a live writer's: age-gated)."""
    now = time.time()
    for d in (folder, folder / "grades"):
        try:
            for tmp in d.glob(".*.tmp"):
                if now - tmp.stat().st_mtime > STALE_TMP_S:
                    tmp.unlink(missing_ok=True)
        except OSError:
            pass


def _statements(sql: str) -> list[str]:
    # Migrations hold no semicolons inside strings; executescript() would COMMIT first.
    return [part.strip() for part in sql.split(";") if part.strip()]


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
        self._ready = False  # checked writable and migrated
        self._readable = False  # migrated (reading needs no write check)

    # -- set-up ------------------------------------------------------------------------------

    def ensure_ready(self, *, write: bool = True) -> None:
        """Create the root and the index; an unwritable place is a one-line StoreError.

        ``write=False`` (reading commands) skips the write check, so history and show work on
        a full or read-only disk whose index is up to date."""
        if self._ready or (not write and self._readable):
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if write:
                probe = self.root / f".write-test-{os.getpid()}"
                probe.write_text("ok")
                probe.unlink()
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full(self.root) from None
            raise StoreError(
                f"cannot write to the sessions directory {self.root}: {exc.strerror or exc}",
                hint="set INTERVIEWER_HOME or recordings_dir to a writable folder",
            ) from None
        with self._db() as db:
            applied = migrate(db)
            if "m002_session_links" in applied:
                self._backfill_links(db)
        self._readable = True
        self._ready = write

    def _backfill_links(self, db: sqlite3.Connection) -> None:
        """Loop and parent ids of sessions indexed before the index kept them (read from their
        folders, once: a folder that cannot be read keeps no links, as before)."""
        for row in db.execute("SELECT id FROM sessions").fetchall():
            try:
                meta = self._read(self.root / row["id"] / "session.json", SessionMeta)
            except StoreError:
                continue
            if meta is not None and (meta.loop_id or meta.parent_id):
                db.execute("UPDATE sessions SET loop_id = ?, parent_id = ? WHERE id = ?",
                           (meta.loop_id, meta.parent_id, meta.id))

    @contextmanager
    def _db(self, path: Path | None = None) -> Iterator[sqlite3.Connection]:
        path = path or self.root / INDEX_NAME
        try:
            db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise _index_error(path, exc) from None
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        except sqlite3.Error as exc:
            raise _index_error(path, exc) from None
        finally:
            db.close()

    # -- writing -----------------------------------------------------------------------------

    def create(self, meta: SessionMeta, audio: Path | None = None) -> SavedSession:
        """Make the folder, copy the audio in and index the session before anything slow runs."""
        self.ensure_ready()
        need = None
        meta, folder, existed = self._claim(meta, audio)
        try:
            (folder / "grades").mkdir(exist_ok=True)
            if audio is not None and audio.resolve() != (folder / audio.name).resolve():
                target = folder / f"answer{audio.suffix.lower()}"
                need = audio.stat().st_size
                shutil.copy2(audio, target)
                meta = meta.model_copy(update={"audio_file": target.name})
            _atomic_write(folder / "session.json", _dump(meta))
        except OSError as exc:
            if not existed:
                # The input file is the user's own and untouched: leave no half-copied folder.
                shutil.rmtree(folder, ignore_errors=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full(folder, need) from None
            raise StoreError(f"cannot save session in {folder}: {exc.strerror or exc}") from None
        self._index(meta)
        return SavedSession(meta=meta, folder=folder)

    def _claim(self, meta: SessionMeta, audio: Path | None) -> tuple[SessionMeta, Path, bool]:
        """(meta, its folder, whether the folder was there before): the folder is made with an
        atomic mkdir, so two sessions started in the same second with the same random suffix
        get two folders; the second gets a new id (the index would otherwise merge their rows).

        A folder that holds ``audio`` and no session.json is this session's own (a recorder
        wrote into it first) and is used as it is."""
        for _ in range(20):
            folder = self.root / meta.id
            try:
                folder.mkdir(parents=False)
                return meta, folder, False
            except FileExistsError:
                own = audio is not None and audio.resolve().parent == folder.resolve()
                if own and not (folder / "session.json").exists():
                    return meta, folder, True
                meta = meta.model_copy(update={"id": new_session_id(meta.created_at)})
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise disk_full(folder) from None
                raise StoreError(f"cannot save session in {folder}: {exc.strerror or exc}") from None
        raise StoreError(f"cannot find a free session id in {self.root}")

    def discard(self, saved: SavedSession) -> None:
        """Remove a session that turned out to hold nothing usable (e.g. an undecodable file)."""
        shutil.rmtree(saved.folder, ignore_errors=True)
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE id = ?", (saved.meta.id,))

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
            raise os_error(path, exc, len(text.encode())) from None

    def _index_grade(self, session_id: str, seq: int, grade: Grade) -> None:
        with self._db() as db:
            _grade_row(db, session_id, seq, grade)

    def _index(self, meta: SessionMeta) -> None:
        with self._db() as db:
            _session_row(db, meta)

    # -- reading -----------------------------------------------------------------------------

    def resolve_id(self, ref: str) -> str:
        """A full id, a unique prefix, or 'last'/'latest'. Ids are not patterns ("%" is a
        character); an id missing from the index is looked up in the folders."""
        self.ensure_ready(write=False)
        with self._db() as db:
            if ref in {"last", "latest"}:
                row = db.execute("SELECT id FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()
                if row is None:
                    raise SessionNotFound("no saved sessions yet (try `interviewer demo`)")
                return row["id"]
            rows = [r["id"] for r in db.execute(
                "SELECT id FROM sessions WHERE substr(id, 1, ?) = ? ORDER BY id", (len(ref), ref)
            )]
        if not rows:
            rows = self._find_unindexed(ref)
        if not rows:
            raise SessionNotFound(f"no session '{ref}' (see `interviewer history`)")
        if len(rows) > 1 and rows[0] != ref:
            raise SessionNotFound(f"'{ref}' matches {len(rows)} sessions; give more characters of the id")
        return rows[0]

    def _find_unindexed(self, ref: str) -> list[str]:
        """Session folders matching ``ref`` that the index lacks (a process killed between the
        folder and its row): indexed now when the store is writable."""
        if not ref or ref.startswith(".") or "/" in ref or os.sep in ref or not self.root.is_dir():
            return []
        found = sorted(p.name for p in self.root.iterdir() if p.name.startswith(ref) and (p / "session.json").is_file())
        for name in found:
            _sweep_tmp(self.root / name)
            try:
                saved = self.load_folder(self.root / name)
                with self._db() as db:
                    _session_row(db, saved.meta)
                    for seq, grade in enumerate(saved.grades, start=1):
                        _grade_row(db, saved.meta.id, seq, grade)
                log.info("session %s was missing from the index: indexed it", name)
            except StoreError as exc:
                log.warning("session %s is not indexed and could not be indexed: %s", name, exc)
        return found

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
            raise _damaged(path, exc) from None

    def _read_evidence(self, path: Path) -> Evidence | None:
        evidence = self._read(path, Evidence)
        if evidence is not None and "version" not in evidence.model_fields_set:
            # Saved before evidence had a version (schema 1): no structure or signals measured.
            evidence.version = 1
        return evidence

    def list(
        self, limit: int | None = 20, question_id: str | None = None, loop_id: str | None = None
    ) -> list[SessionRow]:
        """Indexed sessions, newest first; optionally of one question or one mock loop."""
        self.ensure_ready(write=False)
        sql = """
            SELECT s.*, g.overall, g.grader, g.scores FROM sessions s
            LEFT JOIN grades g ON g.session_id = s.id AND g.seq = (
                SELECT seq FROM grades g2 WHERE g2.session_id = s.id
                ORDER BY (g2.grader = 'llm') DESC, g2.seq DESC LIMIT 1)
        """
        args: list[object] = []
        where = []
        if question_id:
            where.append("s.question_id = ?")
            args.append(question_id)
        if loop_id:
            where.append("s.loop_id = ?")
            args.append(loop_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
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
                loop_id=r["loop_id"], parent_id=r["parent_id"],
            )
            for r in rows
        ]

    def rebuild_index(self) -> ReindexResult:
        """Re-create the index from the session folders (after a damaged or deleted index).

        A working index is rewritten inside one transaction (other processes wait, nothing of
        theirs is lost, a full disk rolls back to the old index); an unusable one is replaced by
        a new file built beside it and swapped in atomically. Damaged folders are listed."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(self.root, exc) from None
        sessions, damaged = [], []
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            _sweep_tmp(folder)
            if not (folder / "session.json").is_file():
                if any(f.is_file() for f in folder.rglob("*")):
                    damaged.append((folder.name, "no session.json (a save was cut off); its files are kept"))
                continue
            try:
                sessions.append(self.load_folder(folder))
            except StoreError as exc:
                damaged.append((folder.name, str(exc)))
        target = self.root / INDEX_NAME
        if self._index_works(target):
            self._fill(target, sessions, clear=True)
        else:
            tmp = self.root / f".{INDEX_NAME}.{os.getpid()}.tmp"
            try:
                tmp.unlink(missing_ok=True)
                self._fill(tmp, sessions, clear=False)
                os.replace(tmp, target)
            except OSError as exc:
                raise os_error(target, exc) from None
            finally:
                tmp.unlink(missing_ok=True)
        self._ready = self._readable = False
        return ReindexResult(indexed=len(sessions), damaged=damaged)

    def _index_works(self, path: Path) -> bool:
        if not path.is_file():
            return False
        try:
            with self._db(path) as db:
                return db.execute("PRAGMA quick_check").fetchone()[0] == "ok" and bool(_applied(db))
        except StoreBusy:
            raise
        except StoreError:
            return False

    def _fill(self, path: Path, sessions: list[SavedSession], *, clear: bool) -> None:
        with self._db(path) as db:
            migrate(db)
            db.execute("BEGIN IMMEDIATE")
            if clear:
                db.execute("DELETE FROM grades")
                db.execute("DELETE FROM sessions")
            for saved in sessions:
                _session_row(db, saved.meta)
                for seq, grade in enumerate(saved.grades, start=1):
                    _grade_row(db, saved.meta.id, seq, grade)

    def load_folder(self, folder: Path) -> SavedSession:
        meta = self._read(folder / "session.json", SessionMeta)
        saved = SavedSession(
            meta=meta, folder=folder,
            transcript=self._read(folder / "transcript.json", Transcript),
            evidence=self._read_evidence(folder / "evidence.json"),
        )
        saved.grades = [g for p in sorted((folder / "grades").glob("*.json")) if (g := self._read(p, Grade))]
        return saved


def _session_row(db: sqlite3.Connection, meta: SessionMeta) -> None:
    db.execute(
        """INSERT INTO sessions (id, created_at, question_id, question_text, round, track, status, source,
               finished, duration_s, time_budget_s, loop_id, parent_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
           ON CONFLICT(id) DO UPDATE SET status=excluded.status, finished=excluded.finished,
           duration_s=excluded.duration_s, track=excluded.track, loop_id=excluded.loop_id,
           parent_id=excluded.parent_id""",
        (
            meta.id, meta.created_at.isoformat(), meta.question.id, meta.question.text,
            meta.question.round.value, meta.track.value if meta.track else None,
            meta.status.value, meta.source, int(meta.finished), meta.duration_s,
            meta.question.time_budget_s, meta.loop_id, meta.parent_id,
        ),
    )


def _grade_row(db: sqlite3.Connection, session_id: str, seq: int, grade: Grade) -> None:
    db.execute(
        "INSERT OR REPLACE INTO grades VALUES (?,?,?,?,?,?,?,?,?)",
        (
            session_id, seq, grade.created_at.isoformat(), grade.grader, grade.model,
            grade.prompt_version, grade.rubric_id, grade.overall,
            json.dumps({c.criterion: c.score for c in grade.criteria}),
        ),
    )


def _applied(db: sqlite3.Connection) -> set[str]:
    if db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='_migrations'").fetchone() is None:
        return set()
    return {r[0] for r in db.execute("SELECT name FROM _migrations")}


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations not yet recorded; returns the names applied.

    Up to date: reads only (works on a read-only disk). Otherwise one ``BEGIN IMMEDIATE``
    transaction re-reads what is applied and applies the rest, so processes racing on a new
    store apply each migration once (one waits for the other's lock)."""
    if all(name in _applied(db) for name, _ in MIGRATIONS):
        return []
    if db.in_transaction:
        db.commit()
    previous = db.isolation_level
    db.isolation_level = None  # explicit transaction control below
    applied: list[str] = []
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = _applied(db)
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in _statements(sql):
                    db.execute(statement)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, datetime.now(timezone.utc).isoformat()))
                applied.append(name)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    finally:
        db.isolation_level = previous
    for name in applied:
        log.info("applied migration %s", name)
    return applied
