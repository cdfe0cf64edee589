"""`kill -9` in the middle of `nienbieu ingest`, for real: the database it leaves is valid and holds
only whole articles, and running the same command again completes it to exactly what one
uninterrupted ingest stores: nothing lost, nothing stored twice."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from conftest import cli_process, dump, ingest_args, read_only, synthetic_row, write_jsonl

from nienbieu.store import MIGRATIONS

ARTICLES = 600  # three batches of the pipeline's 200, a few seconds with the syllable segmenter
PER_FILE = 10
DUPLICATE_OF = 3  # the last file repeats this article: one more source, no more article


def _write_corpus(root: Path) -> list[tuple[str, str]]:
    """JSONL files of `PER_FILE` articles each, the last repeating an article; returns every
    source in the order ingested: (file, key), a row without id or url being known by the hash
    of its line."""
    rows = [synthetic_row(i) for i in range(ARTICLES)]
    lines = write_jsonl(root, [*rows, synthetic_row(DUPLICATE_OF)], PER_FILE, last_file_extra=1)
    return [(path, f"sha256:{hashlib.sha256(line.encode()).hexdigest()}") for path, line in lines]


def _ingest(corpus: Path, db: Path, **popen: object) -> subprocess.Popen:
    return cli_process(ingest_args(corpus, db), **popen)


def _run_to_completion(corpus: Path, db: Path) -> dict:
    process = _ingest(corpus, db, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors
    return json.loads(out)


def _per_article(conn: sqlite3.Connection, table: str, where: str = "") -> dict[str, int]:
    return dict(conn.execute(f"SELECT article_id, count(*) FROM {table} {where} GROUP BY article_id"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[tuple[str, str]]]:
    root = tmp_path_factory.mktemp("crash") / "corpus"
    return root, _write_corpus(root)


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Path:
    """The same corpus ingested by one uninterrupted run."""
    db = tmp_path_factory.mktemp("reference") / "clean.db"
    report = _run_to_completion(corpus[0], db)
    assert (len(report["added"]), report["articles_in_store"], report["problems"]) == (ARTICLES, ARTICLES, [])
    assert len(report["already_stored"]) == 1  # the duplicate line
    return db


# --- kill moments: each looks at the database (read only) while the ingest runs ---------------


def _stored(db: Path) -> tuple[int, int]:
    """(articles, articles with an inferred date) committed so far; (0, 0) before the schema exists."""
    try:
        with read_only(db) as conn:
            return conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE published_provenance = 'inferred') FROM articles"
            ).fetchone()
    except sqlite3.OperationalError:  # no file yet, or no table yet
        return 0, 0


def _writer_inside_transaction(db: Path) -> bool:
    """True while the ingest holds the write lock: a batch (or the dating update) is being written,
    begun but not committed. Taking the lock ourselves when it is free is harmless: it is released
    at once, and the writer's busy timeout waits for it."""
    with closing(sqlite3.connect(db, isolation_level=None, timeout=0)) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        conn.execute("ROLLBACK")
        return False


def _after_a_batch(db: Path) -> bool:
    return _stored(db)[0] > 0


def _inside_a_later_batch(db: Path) -> bool:
    return _stored(db)[0] > 0 and _writer_inside_transaction(db)


def _before_dating(db: Path) -> bool:
    return _stored(db) == (ARTICLES, 0)


def _dated_not_grouped(db: Path) -> bool:
    """Dates inferred and committed, duplicate groups not yet: articles still wait to be settled."""
    if _stored(db)[1] == 0:
        return False
    with read_only(db) as conn:
        return conn.execute("SELECT count(*) FROM pending").fetchone()[0] > 0


# The pipeline commits every 200 articles, in file order, and dates undated articles once all are
# stored, then groups duplicates: the first kill lands while the second batch is being analysed,
# the second while a batch transaction is open (its rows not yet committed), the third after the
# last batch, before dating, the fourth after dating, before duplicate grouping.
MOMENTS: dict[str, Callable[[Path], bool]] = {
    "after-a-batch": _after_a_batch,
    "inside-a-later-batch": _inside_a_later_batch,
    "all-stored-dating-pending": _before_dating,
    "dated-grouping-pending": _dated_not_grouped,
}


def _kill_when(corpus: Path, db: Path, moment: Callable[[Path], bool]) -> None:
    process = _ingest(corpus, db, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while not moment(db):
            if process.poll() is not None:
                pytest.fail(f"the ingest ended ({process.returncode}) before the kill moment: "
                            + process.stderr.read().decode(errors="replace"))  # fmt: skip
            assert time.monotonic() < deadline, "the kill moment never came"
            time.sleep(0.002)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL, "the ingest had finished before the kill"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


# --- what a killed ingest must leave behind -------------------------------------------------


_SOURCES = "SELECT f.path, s.key, s.article_id FROM sources s JOIN files f ON f.id = s.file"


def _sources(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    return {(path, key): article_id for path, key, article_id in conn.execute(_SOURCES)}


def _assert_valid_and_whole(db: Path, reference: Path, sources: list[tuple[str, str]]) -> set[str]:
    """The database a killed ingest left: valid, current schema, whole articles only, no orphans.
    Returns the ids of the articles it holds."""
    with read_only(db) as conn, read_only(reference) as ref:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)

        ids = {r[0] for r in conn.execute("SELECT id FROM articles")}
        assert 0 < len(ids) <= ARTICLES
        # batches commit in file order, each whole: the stored sources are a prefix of the corpus
        stored_sources = _sources(conn)
        assert sorted(stored_sources) == sorted(sources[: len(stored_sources)])
        reference_sources = _sources(ref)
        assert stored_sources == {path: reference_sources[path] for path in stored_sources}
        assert set(stored_sources.values()) == ids  # every article has a source, every source an article

        # no orphan rows anywhere
        for table in ("sentences", "sources"):
            assert not conn.execute(
                f"SELECT 1 FROM {table} WHERE article_id NOT IN (SELECT id FROM articles)"
            ).fetchall(), table
        for table in ("timexes", "mentions", "quotes"):
            assert not conn.execute(
                f"SELECT 1 FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM sentences s "
                "WHERE s.article_id = t.article_id AND s.idx = t.sentence_idx)"
            ).fetchall(), table

        # whole articles: as many sentences, entities and quotes as the full analysis gives them;
        # time expressions too where the date is stated (undated ones are re-tagged after dating)
        stated = "WHERE article_id IN (SELECT id FROM articles WHERE published_provenance = 'stated')"
        for table, where in (("sentences", ""), ("mentions", ""), ("quotes", ""), ("timexes", stated)):
            counts = _per_article(conn, table, where)
            expected = _per_article(ref, table, where)
            assert counts == {a: n for a, n in expected.items() if a in ids}, table
        sentence_counts = _per_article(conn, "sentences")
        assert all(sentence_counts.get(a, 0) >= 2 for a in ids)
    return ids


@pytest.mark.parametrize("moment", MOMENTS, ids=list(MOMENTS))
def test_kill_9_leaves_a_valid_store_that_a_rerun_completes(moment, corpus, reference, tmp_path):
    root, sources = corpus
    db = tmp_path / "killed.db"
    _kill_when(root, db, MOMENTS[moment])
    survived = _assert_valid_and_whole(db, reference, sources)
    with read_only(db) as conn:
        stored_lines = conn.execute("SELECT count(*) FROM lines").fetchone()[0]

    report = _run_to_completion(root, db)
    # the lines stored before the kill are recognised, not analysed again
    assert sum(u["articles"] for u in report["unchanged"]) == stored_lines > 0
    with read_only(reference) as ref:
        every_id = {r[0] for r in ref.execute("SELECT id FROM articles")}
    assert set(report["added"]) == every_id - survived
    assert report["replaced"] == [] and report["problems"] == []
    assert report["articles_in_store"] == ARTICLES

    with read_only(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone() == (ARTICLES,) * 2
        assert sorted(_sources(conn)) == sorted(sources)
    after, clean = dump(db), dump(reference)
    assert {t: len(rows) for t, rows in after.items()} == {t: len(rows) for t, rows in clean.items()}
    assert after == clean


# --- stop signals: workers go too, and the user is told how to finish ---------------------------


def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc: no third-party package needed)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being looked at
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda s: s.name)
def test_a_stopped_ingest_takes_its_workers_with_it(signum, corpus, reference, tmp_path):
    root, _ = corpus
    db = tmp_path / "stopped.db"
    args = ingest_args(root, db)
    args[args.index("-j") + 1] = "2"
    process = cli_process(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not _after_a_batch(db) or len(_children(process.pid)) < 2:
        assert process.poll() is None and time.monotonic() < deadline, "the ingest ended too soon"
        time.sleep(0.01)
    workers = _children(process.pid)
    os.kill(process.pid, signum)
    _, errors = process.communicate(timeout=30)
    end = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < end:
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)], "workers outlived the ingest"
    if signum == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 128 + signum
        assert f"interrupted ({signum.name}):" in errors and "run the same command again" in errors
        assert "Traceback" not in errors
    survived = {r[0] for r in _read_ids(db)}
    report = _run_to_completion(root, db)
    assert len(report["added"]) == ARTICLES - len(survived)
    assert dump(db) == dump(reference)


def _read_ids(db: Path) -> list[tuple]:
    with read_only(db) as conn:
        return conn.execute("SELECT id FROM articles").fetchall()
