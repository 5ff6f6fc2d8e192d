"""The store under faults: a busy index, racing processes, kills between writes, a full or
read-only disk, damaged files. Each case once lost work or ended in a misleading message."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from interviewer import store as store_mod
from interviewer.errors import DiskFull, SessionNotFound, StoreBusy, StoreError
from interviewer.store import INDEX_NAME, Store
from test_store import _grade, _meta

REPO = Path(__file__).resolve().parents[1]


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    """A second process holding the index's write lock; returns once the lock is held."""
    code = textwrap.dedent(
        f"""
        import sqlite3, sys, time
        db = sqlite3.connect({str(path)!r}, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        time.sleep({seconds})
        db.execute("COMMIT")
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_briefly_held_lock_is_waited_for(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.ensure_ready()
    holder = _hold_lock(tmp_path / INDEX_NAME, 1.5)
    try:
        saved = store.create(_meta())
    finally:
        holder.wait(10)
    assert [r.id for r in Store(tmp_path).list()] == [saved.meta.id]


def test_a_long_held_lock_says_busy_and_keeps_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT_S", 0.2)
    store = Store(tmp_path)
    store.ensure_ready()
    meta = _meta()
    holder = _hold_lock(tmp_path / INDEX_NAME, 3)
    try:
        with pytest.raises(StoreBusy, match="busy") as err:
            store.create(meta)
        assert "reindex" not in str(err.value) and "regrade" in (err.value.hint or "")
    finally:
        holder.wait(10)
    assert (tmp_path / meta.id / "session.json").is_file()
    # The session is found by id although its index row was never written.
    assert Store(tmp_path).load(meta.id).meta.id == meta.id
    assert [r.id for r in Store(tmp_path).list()] == [meta.id]


def _race(root: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()
    try:
        saved = Store(Path(root)).create(_meta())
        results.put(("ok", saved.meta.id))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        results.put(("error", repr(exc)))


def test_processes_racing_on_a_new_store_all_save(tmp_path: Path) -> None:
    ctx = mp.get_context("fork")
    n, rounds = 4, 6
    for r in range(rounds):
        root = tmp_path / f"store{r}"
        barrier, results = ctx.Barrier(n), ctx.Queue()
        procs = [ctx.Process(target=_race, args=(str(root), barrier, results)) for _ in range(n)]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        assert all(kind == "ok" for kind, _ in outcomes), outcomes
        # Said apart so a failure tells an id collision (ON CONFLICT merges rows) from a lost row.
        assert len({sid for _, sid in outcomes}) == n, outcomes
        listed = [row.id for row in Store(root).list()]
        assert sorted(listed) == sorted(sid for _, sid in outcomes), (outcomes, listed)


def test_reindex_rewrites_a_working_index_in_place(tmp_path: Path) -> None:
    store = Store(tmp_path)
    saved = store.create(_meta())
    store.add_grade(saved, _grade())
    index = tmp_path / INDEX_NAME
    inode = index.stat().st_ino
    other = sqlite3.connect(index)  # another process's open connection
    try:
        assert Store(tmp_path).rebuild_index().indexed == 1
        assert index.stat().st_ino == inode  # never deleted under a reader or writer
        assert other.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1
    finally:
        other.close()


def test_ids_are_not_patterns(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.create(_meta())
    for ref in ("%", "_", "2026%"):
        with pytest.raises(SessionNotFound, match="no session"):
            store.resolve_id(ref)


_KILL_AT = {
    # (function patched, call number at which the process kills itself)
    "index_row": "store_mod._session_row",
    "atomic_replace": "store_mod.os.replace",
}


def _killed_mid_write(root: Path, where: str) -> str:
    """Run a session creation in a subprocess that SIGKILLs itself at ``where``."""
    code = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path[:0] = [{str(REPO)!r}, {str(REPO / "tests")!r}]
        from pathlib import Path
        from interviewer import store as store_mod
        from interviewer.store import Store
        from test_store import _meta
        store = Store(Path({str(root)!r}))
        store.ensure_ready()
        meta = _meta()
        print(meta.id, flush=True)
        def die(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        {_KILL_AT[where]} = die
        store.create(meta)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return proc.stdout.strip()


def test_kill_between_folder_and_index_row(tmp_path: Path) -> None:
    sid = _killed_mid_write(tmp_path, "index_row")
    assert Store(tmp_path).list() == []  # the row was never written
    assert Store(tmp_path).load(sid[:15]).meta.id == sid  # found in the folders by prefix
    assert [r.id for r in Store(tmp_path).list()] == [sid]  # and indexed on the way


def test_kill_mid_atomic_write_leaves_no_tmp_after_reindex(tmp_path: Path) -> None:
    sid = _killed_mid_write(tmp_path, "atomic_replace")
    folder = tmp_path / sid
    leftovers = list(folder.glob(".*.tmp"))
    assert leftovers and not (folder / "session.json").exists()
    old = time.time() - 2 * store_mod.STALE_TMP_S
    for tmp in leftovers:
        os.utime(tmp, (old, old))
    Store(tmp_path).rebuild_index()
    assert list(tmp_path.rglob("*.tmp")) == []


def test_damaged_session_json_names_the_file_and_reindex_lists_it(tmp_path: Path) -> None:
    store = Store(tmp_path)
    good = store.create(_meta())
    bad = store.create(_meta())
    text = (bad.folder / "session.json").read_text().replace('"status": "recorded"', '"status": "exploded"')
    (bad.folder / "session.json").write_text(text)
    with pytest.raises(StoreError) as err:
        Store(tmp_path).load(bad.meta.id)
    message = str(err.value)
    assert "session.json" in message and "status" in message and "validation error" not in message
    assert "reindex" in (err.value.hint or "")
    result = Store(tmp_path).rebuild_index()
    assert result.indexed == 1 and [name for name, _ in result.damaged] == [bad.meta.id]
    assert [r.id for r in Store(tmp_path).list()] == [good.meta.id]


def _fill(disk: Path) -> None:
    with open(disk / "filler.bin", "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


def test_full_disk_says_so_keeps_the_index_and_reads_still_work(small_disk: Path, tmp_path: Path) -> None:
    root = small_disk / "sessions"
    store = Store(root)
    saved = store.create(_meta())
    store.add_grade(saved, _grade())
    audio = tmp_path / "answer.wav"
    audio.write_bytes(b"\0" * 3_000_000)
    with pytest.raises(DiskFull, match="disk full") as err:
        Store(root).create(_meta(), audio=audio)
    assert "MB needed" in str(err.value)
    assert [p.name for p in root.iterdir() if p.is_dir()] == [saved.meta.id]  # no half-copied folder
    _fill(small_disk)
    rows = Store(root).list()  # reading commands work on a full disk
    assert [r.id for r in rows] == [saved.meta.id]
    assert Store(root).load(saved.meta.id).grades
    try:
        Store(root).rebuild_index()
    except StoreError as exc:
        assert "disk full" in str(exc) or "full" in str(exc)
    assert [r.id for r in Store(root).list()] == [saved.meta.id]  # the working index survived


def test_read_only_store_can_be_read(small_disk: Path) -> None:
    root = small_disk / "sessions"
    saved = Store(root).create(_meta())
    proc = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot remount read-only: {proc.stderr.strip()}")
    assert [r.id for r in Store(root).list()] == [saved.meta.id]
    assert Store(root).load("last").meta.id == saved.meta.id
    with pytest.raises(StoreError, match="cannot write|read-only"):
        Store(root).create(_meta())
