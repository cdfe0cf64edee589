"""Several processes on one store at once, for real: two `nienbieu ingest` runs and a reader,
repeated, into a new store and into one that holds articles. Every run succeeds, nothing is lost
or stored twice, and the store ends as two runs one after the other leave it."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import EXAMPLES, SEEDS, cli_process, dump, ingest_args, read_only, synthetic_row, write_jsonl

from nienbieu import clean, dedup, ingest, pipeline
from nienbieu.models import DateProvenance
from nienbieu.store import _GROUP_ORDER, MIGRATIONS, Store, StoreError

# Two corpora that share a third of their articles, and a third one stored before them.
A, B, BEFORE = range(0, 240), range(160, 400), range(400, 460)
TRIALS = 3


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("concurrent")
    for name, numbers in (("a", A), ("b", B), ("before", BEFORE)):
        write_jsonl(root / name, [synthetic_row(i) for i in numbers], per_file=40)
    return {name: root / name for name in ("a", "b", "before")}


def _run(args: list[str]) -> subprocess.CompletedProcess:
    process = cli_process(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, errors = process.communicate(timeout=300)
    return subprocess.CompletedProcess(args, process.returncode, out, errors)


# Decided online, in the order articles were settled: checked for what must hold whatever the order.
_BY_ORDER = ("duplicates", "stories", "story_members", "sqlite_sequence")
# Rows keyed by the order of insertion are compared by what they stand for: the file's path.
_BY_PATH = {
    "files": "SELECT path, size, mtime_ns, ctime_ns, sha256 FROM files",
    "sources": "SELECT f.path, s.key, s.article_id, s.line FROM sources s JOIN files f ON f.id = s.file",
    "lines": "SELECT f.path, l.hash, l.key FROM lines l JOIN files f ON f.id = l.file",
}


def _comparable(db: Path) -> dict[str, list[tuple]]:
    """The store's rows that do not depend on the order the runs happened in: estimated dates
    (whether an undated article gets one, and the time expressions resolved against it) depend
    on what was stored when, an article's first source on which run stored it (the `sources`
    table holds them all), and file numbers and the full-text index's internal rows on the
    order of insertion. Duplicate groups follow the estimated dates (`_groups_agree_with_dates`);
    stories depend on the order articles were settled in (`_every_article_in_one_story`)."""
    rows = {
        table: found for table, found in dump(db).items() if "_fts" not in table and table not in _BY_ORDER
    }
    with read_only(db) as conn:
        inferred = {
            r[0] for r in conn.execute("SELECT id FROM articles WHERE published_provenance != 'stated'")
        }
        rows["articles"] = sorted(
            conn.execute("SELECT id, title, published_provenance = 'stated' FROM articles")
        )
        rows.update({table: sorted(conn.execute(sql), key=repr) for table, sql in _BY_PATH.items()})
    rows["timexes"] = [r for r in rows["timexes"] if r[0] not in inferred]
    return rows


@pytest.fixture(scope="module")
def one_after_the_other(corpora, tmp_path_factory) -> dict[str, Path]:
    """What the corpora give ingested one run after the other: into a new store, and after `before`."""
    folder = tmp_path_factory.mktemp("sequential")
    found = {}
    for name, first in (("new", []), ("existing", [corpora["before"]])):
        db = folder / f"{name}.db"
        for corpus in [*first, corpora["a"], corpora["b"]]:
            assert _run(ingest_args(corpus, db)).returncode == 0
        found[name] = db
    return found


class _Reader(threading.Thread):
    """Runs read commands in processes of their own, one after another, until stopped."""

    def __init__(self, db: Path) -> None:
        super().__init__()
        self.db, self.results, self.done = db, [], threading.Event()

    def run(self) -> None:
        commands = (
            ["articles", "--json"],
            ["search", "dự án", "--json"],
            ["entities", "--json", "--top", "3"],
        )
        while not self.done.is_set():
            for command in commands:
                self.results.append(_run([*command, "--db", str(self.db)]))


@pytest.mark.parametrize("trial", range(TRIALS))
@pytest.mark.parametrize("store", ["new", "existing"])
def test_two_ingests_and_a_reader_at_once(store, trial, corpora, one_after_the_other, tmp_path):
    db = tmp_path / "shared.db"
    if store == "existing":
        assert _run(ingest_args(corpora["before"], db)).returncode == 0
    reader = _Reader(db)
    reader.start()
    writers = [cli_process(ingest_args(corpora[name], db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True) for name in ("a", "b")]  # fmt: skip
    try:
        reports = []
        for writer in writers:
            out, errors = writer.communicate(timeout=300)
            assert writer.returncode == 0, errors
            reports.append(json.loads(out))
    finally:
        reader.done.set()
        reader.join()
    # each shared article is stored by exactly one of the two runs
    added = [set(r["added"]) for r in reports]
    assert not added[0] & added[1]
    for report, ids in zip(reports, _ids(one_after_the_other[store], corpora), strict=True):
        assert set(report["added"]) | set(report["already_stored"]) == ids, (report, ids)

    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM pending").fetchone() == (0,)
    assert _comparable(db) == _comparable(one_after_the_other[store])
    assert _groups_agree_with_dates(db) and _groups_agree_with_dates(one_after_the_other[store])
    assert _every_article_in_one_story(db)

    # readers never failed: they saw no store yet, an empty one, or a consistent one
    assert any(result.returncode == 0 for result in reader.results)
    for result in reader.results:
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode in (0, 1, 4), result.stderr
        if result.returncode == 1:
            assert result.stderr.startswith("error: there is no database at"), result.stderr


def _groups_agree_with_dates(db: Path) -> bool:
    """The stored duplicate groups are those that grouping every stored article at once gives,
    with the dates stored: no group was decided on a date that changed after."""
    with read_only(db) as conn:
        sql = (f"SELECT s.article_id, {_GROUP_ORDER}, s.minhash FROM signatures s "
               "JOIN articles a ON a.id = s.article_id")  # fmt: skip
        rows = conn.execute(sql).fetchall()
        stored = sorted(conn.execute("SELECT article_id, canonical_id, similarity FROM duplicates"))
    regrouped = dedup.group_signatures([(i, key, dedup.from_bytes(blob)) for i, key, blob in rows])
    return sorted((d.article, d.canonical, d.similarity) for d in regrouped) == stored


def _every_article_in_one_story(db: Path) -> bool:
    """Each canonical article is in exactly one story, no copy is, and no story is empty."""
    with read_only(db) as conn:
        canonical = {r[0] for r in conn.execute("SELECT id FROM articles WHERE id NOT IN "
                                                "(SELECT article_id FROM duplicates)")}  # fmt: skip
        members = [r[0] for r in conn.execute("SELECT article_id FROM story_members")]
        empty = conn.execute(
            "SELECT count(*) FROM stories WHERE id NOT IN (SELECT story_id FROM story_members)"
        )
        return sorted(members) == sorted(canonical) and empty.fetchone() == (0,)


def _ids(reference: Path, corpora: dict[str, Path]) -> list[set[str]]:
    """The ids of the articles of corpora a and b, from the sources of the reference store."""
    with read_only(reference) as conn:
        sources = conn.execute(
            "SELECT f.path, s.article_id FROM sources s JOIN files f ON f.id = s.file"
        ).fetchall()
    return [{article for path, article in sources if path.startswith(f"{corpora[name]}/")}
            for name in ("a", "b")]  # fmt: skip


# --- opening and writing, in finer detail -------------------------------------------------------


def _open_at(path: Path, start: multiprocessing.synchronize.Event, errors: multiprocessing.Queue) -> None:
    start.wait()
    try:
        Store(path).close()
    except Exception as exc:  # reported to the test, whatever it is
        errors.put(repr(exc))


def test_processes_opening_a_new_store_at_once_apply_the_migrations_once(tmp_path):
    """The first open creates every table: two processes doing it at once must not both try."""
    context = multiprocessing.get_context("fork")
    for trial in range(20):
        path = tmp_path / f"new{trial}.db"
        start, errors = context.Event(), context.Queue()
        openers = [context.Process(target=_open_at, args=(path, start, errors)) for _ in range(3)]
        for process in openers:
            process.start()
        start.set()
        for process in openers:
            process.join(timeout=60)
        assert [process.exitcode for process in openers] == [0, 0, 0]
        assert errors.empty(), errors.get()
        with read_only(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def _seed_article(name: str):
    article, _ = clean.clean(ingest.read_file(EXAMPLES / SEEDS[name]).documents[0])
    return pipeline.analyze(article, "syllable")


def _hold_the_write_lock(db: Path, seconds: float, taken: threading.Event) -> None:
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        taken.set()
        time.sleep(seconds)
        conn.execute("COMMIT")


def test_a_writer_waits_for_another_longer_than_sqlites_default_five_seconds(tmp_path):
    db = tmp_path / "busy.db"
    Store(db).close()
    article = _seed_article("vtv")
    taken = threading.Event()
    holder = threading.Thread(target=_hold_the_write_lock, args=(db, 6.0, taken))
    holder.start()
    taken.wait()
    began = time.monotonic()
    with Store(db) as store:
        assert store.add([article]).added == [article.id]
    holder.join()
    assert time.monotonic() - began >= 5.5  # it waited instead of failing at five seconds
    with Store(db, readonly=True) as store:
        assert store.count() == 1


def test_a_writer_that_waits_too_long_says_so_and_stores_nothing(tmp_path):
    db = tmp_path / "busy.db"
    article = _seed_article("vtv")
    taken = threading.Event()
    with Store(db, timeout=0.3) as store:
        holder = threading.Thread(target=_hold_the_write_lock, args=(db, 2.0, taken))
        holder.start()
        taken.wait()
        with pytest.raises(StoreError) as raised:
            store.add([article])
        holder.join()
    assert str(raised.value) == (
        f"{db} stayed locked by another process for too long (database is locked): nothing of what was "
        "being written was stored; run the command again"
    )
    with Store(db, readonly=True) as store:
        assert store.count() == 0


def test_a_reader_does_not_block_a_writer(tmp_path, seeds):
    db = tmp_path / "r.db"
    with Store(db) as store:
        store.add([seeds["vtv"]])
    with Store(db, readonly=True) as reader:
        reader.conn.execute("BEGIN")  # a long read: its snapshot stays while the writer commits
        assert reader.count() == 1
        with Store(db, timeout=1.0) as writer:
            writer.add([seeds["rutte"]])
        assert reader.count() == 1
        reader.conn.execute("COMMIT")
        assert reader.count() == 2


def test_an_article_stored_while_another_process_settles_is_dated_before_it_is_grouped(tmp_path, seeds):
    """Process B settles while process A stores an undated copy of a stored article: B groups
    only articles whose date is settled, so the copy waits for A's settling to date it, and
    its group is decided on that date (B once grouped it undated and took it out of `pending`:
    it was never dated)."""
    original = seeds["vtv"]
    copy = replace(original, id="copy-of-vtv", source="copy.txt", published=None,
                   published_provenance=DateProvenance.UNKNOWN, published_evidence=None)  # fmt: skip
    db = tmp_path / "s.db"
    with Store(db) as a, Store(db) as b:
        a.add([original])
        pipeline.settle(a)
        assert b.pending(undated=True) == []  # B's settling has dated what it saw: nothing
        a.add([copy])
        b.settle_groups()  # B groups what is ready: not the copy, still waiting for its date
        assert a.pending() == ["copy-of-vtv"]
        pipeline.settle(a)
        [stored] = a.articles(ids=["copy-of-vtv"])
        assert stored.published_provenance is DateProvenance.INFERRED and a.pending() == []
    assert _groups_agree_with_dates(db)


def test_articles_read_while_another_process_commits_are_whole(tmp_path, seeds):
    """Reading articles takes several queries (articles, then their sentences, time expressions,
    names, quotes); another process committing between two of them must not show rows of an
    article the first query did not see (it raised KeyError)."""
    db = tmp_path / "s.db"
    with Store(db) as writer:
        writer.add([seeds["vtv"]])
    with Store(db, readonly=True) as reader, Store(db) as other:
        statements: list[str] = []

        def commit_meanwhile(sql: str) -> None:
            statements.append(sql)
            if sql.lstrip().startswith("SELECT article_id, sentence_idx") and len(statements) <= 4:
                other.add([seeds["rutte"]])  # articles and sentences are read, the rest not yet

        reader.conn.set_trace_callback(commit_meanwhile)
        loaded = reader.articles()
        reader.conn.set_trace_callback(None)
        assert [a.id for a in loaded] == [seeds["vtv"].id]
        assert [s.text for s in loaded[0].sentences] == [s.text for s in seeds["vtv"].sentences]
        assert reader.count() == 2  # the next read sees the commit
