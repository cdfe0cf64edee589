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
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from nienbieu.store import MIGRATIONS

SRC = Path(__file__).resolve().parent.parent / "src"
ARTICLES = 600  # three batches of the pipeline's 200, a few seconds with the syllable segmenter
PER_FILE = 10
DUPLICATE_OF = 3  # the last file repeats this article: one more source, no more article

PEOPLE = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Minh Dũng", "Hoàng Thu Hà",
          "Vũ Đức Giang", "Đặng Quốc Khánh", "Bùi Thanh Lan", "Đỗ Hữu Minh", "Ngô Bảo Ngọc")  # fmt: skip
PLACES = ("Hà Nội", "Đà Nẵng", "Huế", "Cần Thơ", "Hải Phòng", "Nha Trang", "Vinh", "Quy Nhơn")
TOPICS = ("cầu vượt", "bệnh viện", "trường học", "nhà máy nước", "công viên", "tuyến buýt")


def _row(i: int) -> dict[str, str]:
    """Article `i`: two to four paragraphs with its own names, numbers and dates; every 37th
    states no publication date (the pipeline estimates one after storing the batches)."""
    person, other = PEOPLE[i % 10], PEOPLE[(i * 3 + 1) % 10]
    place, topic = PLACES[i % 8], TOPICS[(i // 8) % 6]
    day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 2020 + i % 4
    paragraphs = [
        f"Ngày {day}/{month}/{year}, UBND thành phố {place} khởi công dự án {topic} số {i} "
        f"với tổng vốn {10 + 7 * i} tỷ đồng.",
        f"Ông {person}, Giám đốc Sở Xây dựng {place}, cho biết công trình dự kiến hoàn thành "
        f"vào tháng {1 + month % 12} năm {year + 1}.",
        f'"Chúng tôi sẽ bảo đảm tiến độ và chất lượng của dự án {topic} này", ông {person} nói.',
        f"Trước đó, hôm {1 + day % 27}/{month}, bà {other} đã kiểm tra mặt bằng và đề nghị "
        f"giải phóng {3 + i % 50} hộ dân.",
    ][: 2 + i % 3]
    row = {"text": "\n\n".join(paragraphs), "title": f"{place}: khởi công {topic} số {i}"}
    if i % 37:
        row["published"] = f"{year}-{month:02d}-{day:02d}T08:00:00+07:00"
    return row


def _write_corpus(root: Path) -> list[tuple[str, str]]:
    """JSONL files of `PER_FILE` articles each; returns every source in the order ingested: (file,
    key), a row without id or url being known by the hash of its line."""
    root.mkdir()
    files: list[list[dict[str, str]]] = [
        [_row(i) for i in range(start, min(ARTICLES, start + PER_FILE))]
        for start in range(0, ARTICLES, PER_FILE)
    ]
    files[-1].append(_row(DUPLICATE_OF))
    sources = []
    for number, rows in enumerate(files):
        path = root / f"tin_{number:03d}.jsonl"
        lines = [json.dumps(r, ensure_ascii=False) for r in rows]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        sources += [(str(path), f"sha256:{hashlib.sha256(line.encode()).hexdigest()}") for line in lines]
    return sources


def _ingest(corpus: Path, db: Path, **popen: object) -> subprocess.Popen:
    """`nienbieu ingest` in a process of its own, running this checkout's code."""
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    command = [sys.executable, "-c", "from nienbieu.cli import main; main()", "ingest", str(corpus),
               "--db", str(db), "--segmenter", "syllable", "-j", "1", "--json"]  # fmt: skip
    return subprocess.Popen(command, env=env, **popen)  # type: ignore[call-overload]


def _run_to_completion(corpus: Path, db: Path) -> dict:
    process = _ingest(corpus, db, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors
    return json.loads(out)


def _read_only(db: Path) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=10))


def _dump(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, without the ingestion timestamps."""
    with _read_only(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        dump = {}
        for table in sorted(tables):
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "ingested_at"]
            dump[table] = sorted(conn.execute(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)
    return dump


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
        with _read_only(db) as conn:
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
    with _read_only(db) as conn:
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
    with _read_only(db) as conn, _read_only(reference) as ref:
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
    with _read_only(db) as conn:
        stored_lines = conn.execute("SELECT count(*) FROM lines").fetchone()[0]

    report = _run_to_completion(root, db)
    # the lines stored before the kill are recognised, not analysed again
    assert sum(u["articles"] for u in report["unchanged"]) == stored_lines > 0
    with _read_only(reference) as ref:
        every_id = {r[0] for r in ref.execute("SELECT id FROM articles")}
    assert set(report["added"]) == every_id - survived
    assert report["replaced"] == [] and report["problems"] == []
    assert report["articles_in_store"] == ARTICLES

    with _read_only(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM articles").fetchone() == (ARTICLES,) * 2
        assert sorted(_sources(conn)) == sorted(sources)
    after, clean = _dump(db), _dump(reference)
    assert {t: len(rows) for t, rows in after.items()} == {t: len(rows) for t, rows in clean.items()}
    assert after == clean
