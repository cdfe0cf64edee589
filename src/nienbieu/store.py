"""Embedded SQLite store: versioned forward-only migrations, WAL, one transaction per batch."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Set
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np

from nienbieu import dating, dedup, search, stories, summarize
from nienbieu.models import (
    Article,
    DateProvenance,
    FileStat,
    Mention,
    Origin,
    Paragraph,
    Quote,
    RecordedLines,
    Sentence,
    StoryRow,
    TimeExpression,
    first_words,
)

DEFAULT_DB = "nienbieu.db"

# Each entry upgrades the schema by one version. Never edit a released entry: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        url TEXT,
        title TEXT,
        outlet TEXT,
        author TEXT,
        published TEXT,
        published_provenance TEXT NOT NULL,
        published_evidence TEXT,
        body TEXT NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE sources (
        path TEXT PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE sentences (
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        paragraph INTEGER NOT NULL,
        in_quote INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (article_id, idx)
    );
    CREATE TABLE timexes (
        article_id TEXT NOT NULL,
        sentence_idx INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL,
        type TEXT NOT NULL,
        value TEXT,
        granularity TEXT NOT NULL,
        modifier TEXT,
        anchor TEXT,
        tense TEXT,
        FOREIGN KEY (article_id, sentence_idx) REFERENCES sentences(article_id, idx) ON DELETE CASCADE
    );
    CREATE INDEX timexes_value ON timexes(value);
    CREATE INDEX sources_article ON sources(article_id);
    """,
    # v2: publication-date inference
    """
    ALTER TABLE articles ADD COLUMN published_window_start TEXT;
    ALTER TABLE articles ADD COLUMN published_window_end TEXT;
    ALTER TABLE articles ADD COLUMN published_confidence REAL;
    ALTER TABLE articles ADD COLUMN year_hint INTEGER;
    """,
    # v3: named entities and quotes; articles stored before have entities_done = 0
    """
    CREATE TABLE mentions (
        article_id TEXT NOT NULL,
        sentence_idx INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL,
        type TEXT NOT NULL,
        canonical TEXT,
        FOREIGN KEY (article_id, sentence_idx) REFERENCES sentences(article_id, idx) ON DELETE CASCADE
    );
    CREATE INDEX mentions_canonical ON mentions(canonical);
    CREATE TABLE quotes (
        article_id TEXT NOT NULL,
        sentence_idx INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL,
        speaker TEXT,
        FOREIGN KEY (article_id, sentence_idx) REFERENCES sentences(article_id, idx) ON DELETE CASCADE
    );
    ALTER TABLE articles ADD COLUMN entities_done INTEGER NOT NULL DEFAULT 0;
    """,
    # v4: per-article lookups (re-dating, re-recognising, cascading deletes) without scanning the
    # whole table: each one made ingesting n articles cost n² at 10,000 articles
    """
    CREATE INDEX timexes_sentence ON timexes(article_id, sentence_idx);
    CREATE INDEX mentions_sentence ON mentions(article_id, sentence_idx);
    CREATE INDEX quotes_sentence ON quotes(article_id, sentence_idx);
    """,
    # v5: full-text search (nienbieu.search): each sentence as written and folded (no diacritics),
    # kept in step with `sentences` by triggers; nb_fold is registered by every Store connection
    """
    CREATE VIRTUAL TABLE sentences_fts USING fts5(text, folded, tokenize='unicode61 remove_diacritics 0');
    INSERT INTO sentences_fts(rowid, text, folded) SELECT rowid, text, nb_fold(text) FROM sentences;
    CREATE TRIGGER sentences_fts_insert AFTER INSERT ON sentences BEGIN
        INSERT INTO sentences_fts(rowid, text, folded) VALUES (new.rowid, new.text, nb_fold(new.text));
    END;
    CREATE TRIGGER sentences_fts_delete AFTER DELETE ON sentences BEGIN
        DELETE FROM sentences_fts WHERE rowid = old.rowid;
    END;
    CREATE VIRTUAL TABLE sentences_fts_vocab USING fts5vocab(sentences_fts, 'row');
    """,
    # v6: near-duplicates (nienbieu.dedup): each article's MinHash signature, and for every copy
    # the canonical (earliest) article of its group
    """
    CREATE TABLE signatures (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        minhash BLOB NOT NULL
    );
    CREATE TABLE duplicates (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        canonical_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        similarity REAL NOT NULL
    );
    CREATE INDEX duplicates_canonical ON duplicates(canonical_id);
    """,
    # v7: incremental ingest. lsh: each article's LSH buckets, so a new article finds its possible
    # copies without regrouping the store; terms: in how many articles (and dated articles) each
    # term occurs, so date inference weighs terms without reading every article. Both are filled
    # by Store (Python) for articles stored before. pending: articles stored whose date estimate
    # and duplicate group are not settled yet (written with the article, so a killed ingest
    # leaves them for the next one).
    """
    CREATE TABLE lsh (
        bucket INTEGER NOT NULL,
        article_id TEXT NOT NULL,
        PRIMARY KEY (bucket, article_id)
    ) WITHOUT ROWID;
    CREATE TABLE terms (
        term TEXT PRIMARY KEY,
        df INTEGER NOT NULL,
        dated INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE pending (article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE);
    """,
    # v8: article titles in the full-text search, as written and folded, like sentences (v5)
    """
    CREATE VIRTUAL TABLE titles_fts USING fts5(text, folded, tokenize='unicode61 remove_diacritics 0');
    INSERT INTO titles_fts(rowid, text, folded)
        SELECT rowid, title, nb_fold(title) FROM articles WHERE title IS NOT NULL;
    CREATE TRIGGER titles_fts_insert AFTER INSERT ON articles WHEN new.title IS NOT NULL BEGIN
        INSERT INTO titles_fts(rowid, text, folded) VALUES (new.rowid, new.title, nb_fold(new.title));
    END;
    CREATE TRIGGER titles_fts_delete AFTER DELETE ON articles BEGIN
        DELETE FROM titles_fts WHERE rowid = old.rowid;
    END;
    CREATE VIRTUAL TABLE titles_fts_vocab USING fts5vocab(titles_fts, 'row');
    """,
    # v9: sources by identity (README, "Sources"): a text or HTML file is its resolved absolute
    # path; a JSONL row its file and its own id or url, or, naming neither, its content (the hash
    # of its line). files: each file once, with the stat and hash of a whole file as last stored,
    # so an unchanged file is skipped unread. lines: every JSONL line stored from a file, by the
    # hash of its bytes, with its row's identity, so an export read again is analysed only for
    # its new lines; sources.line: the line that gave a row's current version. Earlier versions
    # keyed sources by the path as given, relative to a working directory nobody recorded: those
    # rows are kept as legacy_sources, only so that the articles they name are never deleted;
    # Store adopts the absolute paths of whole files among them as identities (Python, once).
    """
    ALTER TABLE sources RENAME TO legacy_sources;
    DROP INDEX sources_article;
    CREATE INDEX legacy_sources_article ON legacy_sources(article_id);
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size INTEGER,
        mtime_ns INTEGER,
        ctime_ns INTEGER,
        sha256 TEXT
    );
    CREATE TABLE sources (
        file INTEGER NOT NULL REFERENCES files(id),
        key TEXT NOT NULL,
        article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        line BLOB,
        ingested_at TEXT NOT NULL,
        PRIMARY KEY (file, key)
    ) WITHOUT ROWID;
    CREATE INDEX sources_article ON sources(article_id);
    CREATE TABLE lines (
        file INTEGER NOT NULL REFERENCES files(id),
        hash BLOB NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (file, hash)
    ) WITHOUT ROWID;
    """,
    # v10: settling while other processes store and settle too. pending.dated: the article's date
    # has been estimated (or it had none to estimate): grouping waits for it, so no group is
    # decided on a date about to change, and no second process dates it again after grouping.
    """
    ALTER TABLE pending ADD COLUMN dated INTEGER NOT NULL DEFAULT 0;
    """,
    # v11: stories (nienbieu.stories): each canonical article's story, kept by settling; a copy
    # is in its canonical article's story. A story's days, size and outlets are read from its
    # articles; its label is written when its members change.
    """
    CREATE TABLE stories (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL DEFAULT '');
    CREATE TABLE story_members (
        article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        similarity REAL NOT NULL
    );
    CREATE INDEX story_members_story ON story_members(story_id, article_id);
    """,
    # v12: a quotation's best candidate speaker and the confidence in it (nienbieu.attribution);
    # `speaker` is now the speaker shown, None below the threshold. Stored quotes were attributed
    # by the earlier rules: every article is marked for its entities and quotes to be found
    # again, which the next command reading it does (pipeline.link_articles).
    """
    ALTER TABLE quotes ADD COLUMN candidate TEXT;
    ALTER TABLE quotes ADD COLUMN confidence REAL;
    UPDATE articles SET entities_done = 0;
    """,
    # v13: a sentence's search row is written with it by Store, its folded text computed where the
    # article was analysed: the trigger called Python's fold once per sentence in the one process
    # that stores (87 µs a sentence against 6 µs for the bare FTS insert)
    # pending.counted: the article's terms are in `terms`. Store counts those of a run's new
    # articles together, every TALLY_ARTICLES and when settling, not once per batch: a batch's
    # terms are mostly the previous batch's terms again, and their upserts were half of storing.
    """
    DROP TRIGGER sentences_fts_insert;
    ALTER TABLE pending ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;
    """,
    # v14: which articles hold each term (`dating.term_set`: syllables and bigrams, one token
    # each), by article rowid, for the candidates of story assignment and date inference. They
    # were found through `sentences_fts`, where a bigram is a phrase of two common syllables whose
    # whole position lists FTS5 reads: the cost of a lookup grew with the store (0.16 ms at
    # 2,500 articles, 0.39 ms at 10,000, for the same terms). Contentless, without positions: an
    # index of rowids only. Its tokenizer splits at ASCII spaces and punctuation only, so that a
    # term (`\w` runs and "_", lower case) is always one token: unicode61 knows fewer letters
    # than Python's `\w` (it splits at 21 of them). Filled by Store (Python) for articles stored before.
    """
    CREATE VIRTUAL TABLE term_index USING fts5(
        terms, content='', detail=none, tokenize="ascii tokenchars '_'"
    );
    """,
)
# A source stored before v9 for a JSONL line: "path#L<number>"
_JSONL_LINE = re.compile(r"#L\d+$")
CHUNK = 500  # ids or terms per `IN (...)` query, well under SQLite's variable limit
# New articles whose terms are tallied in memory before being counted in `terms` at once (v13):
# some 600 terms each (50 MB at this many), and a tenth of the upserts of counting per batch.
TALLY_ARTICLES = 2000
# Terms whose holders a settling pass keeps for reuse (up to 100 article ids each: 40 MB at most).
HOLDERS_KEPT = 5000
# A story's label is made from its latest articles, at most this many.
LABEL_MEMBERS = 30
# A pending article ready to be grouped: its date is stated, or has been estimated.
_READY = f"(p.dated = 1 OR a.published_provenance = '{DateProvenance.STATED}')"
# What decides which article of a duplicate group is canonical (the smallest; undated ones last),
# for the full regroup and the incremental one alike
_GROUP_ORDER = "coalesce(a.published, '9999')"


@dataclass(frozen=True, slots=True)
class Replacement:
    """A source that gave one article before and now gives another (an edited file, an updated
    JSONL row with the same id or url)."""

    source: str  # where the new version was read: a file, or file#L<line>
    key: str  # the JSONL row's identity ("id:…", "url:…"); "" for a whole file
    old_id: str
    new_id: str
    old_title: str
    removed: bool  # False: another source still gives the earlier version, which stays


@dataclass(slots=True)
class AddResult:
    added: list[str]
    already_stored: list[str]
    replaced: list[Replacement]


# A writer waits this long for another process's transaction before giving up (SQLite's busy
# timeout, then retries): concurrent ingests take turns batch by batch, each batch holding the lock
# for about a second, and a first open of an old store may backfill for minutes.
LOCK_TIMEOUT = 600.0


Timings = dict[str, float]  # seconds spent, by stage (benchmarks report them)


@contextmanager
def timed(timings: Timings | None, stage: str) -> Iterator[None]:
    """Add the wall-clock time of the block to `timings[stage]`, and the CPU time of this thread
    in it to `timings[stage + " CPU"]` (what a busy shared machine does not inflate); nothing when
    `timings` is None."""
    started, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started
            timings[f"{stage} CPU"] = timings.get(f"{stage} CPU", 0.0) + time.thread_time() - cpu


class StoreError(Exception):
    """The store cannot do what was asked; the message names the file, the cause and what to do."""


_READ_ONLY = "{path} is read-only ({cause}): nothing can be stored in it (read commands still work)"
# (what SQLite's message may contain, what to tell the user): the first match is used
_CAUSES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("database or disk is full",), "the disk holding {path} is full ({cause}): what was being written "
     "was not stored, and nothing stored before is lost; free some space and run the command again"),
    (("readonly", "read-only"), _READ_ONLY),
    (("malformed",), "{path} is damaged ({cause}); see 'Recovering a damaged store' in the README"),
    (("not a database",), "{path} is not a nienbieu database ({cause})"),
    (("locked", "busy"), "{path} stayed locked by another process for too long ({cause}): nothing of "
     "what was being written was stored; run the command again"),
    (("unable to open",), "cannot open {path} ({cause}): does its folder exist, and may you write there?"),
    (("disk i/o error",), "reading or writing {path} failed ({cause}): check the disk; nothing stored "
     "before is lost"),
)  # fmt: skip


def describe(error: sqlite3.Error, path: str | Path) -> str:
    """One line for a user: what went wrong with the database `path`, and what to do."""
    cause = str(error)
    for needles, message in _CAUSES:
        if any(needle in cause.lower() for needle in needles):
            return message.format(path=path, cause=cause)
    return f"database {path}: {cause}"


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one at a time (triggers hold semicolons of their
    own): executescript would commit the transaction a migration must run in."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement.strip()
            statement = ""
    if statement.strip():
        yield statement.strip()


def _check_write_access(path: str) -> None:
    """A store is written in its file and, for the WAL, beside it: both must be writable. (SQLite
    would otherwise open a read-only file for reading only, and fail at the first write.)"""
    file, folder = Path(path), Path(path).parent
    for place, what in ((file, "the file"), (folder, "its folder")):
        if place.exists() and not os.access(place, os.W_OK):
            raise StoreError(_READ_ONLY.format(path=path, cause=f"{what} cannot be written"))


def _connect(path: str, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=timeout)
    conn.execute("PRAGMA foreign_keys=ON")
    search.register(conn)
    return conn


def _connect_readonly(path: str, timeout: float) -> sqlite3.Connection:
    """A connection that can never write: `mode=ro`; on a read-only folder or mount, where the
    WAL index cannot be created, `immutable=1` (nobody can write there either)."""
    if not Path(path).is_file():
        raise StoreError(f"there is no database at {path}: check --db (`nienbieu ingest PATH --db "
                         f"{path}` creates one)")  # fmt: skip
    uri = Path(path).resolve().as_uri()
    try:
        conn = _connect(f"{uri}?mode=ro", timeout)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc) and "readonly" not in str(exc):
            raise
    return _connect(f"{uri}?immutable=1", timeout)


class NameIndex:
    """Every recognised name of one state of a store, in memory: for each mention, its article
    and its (surface, type, gazetteer name), as numbers. `name_counts` and `naming_articles`
    as the store answers them in SQL, without reading the mentions again: one read of the table
    (0.2 s for 250,000 mentions) against a GROUP BY over a common name's articles each time."""

    def __init__(self, rows: Iterable[tuple[str, str, str, str | None]]) -> None:
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.names: list[tuple[str, str, str | None]] = []
        number: dict[tuple[str, str, str | None], int] = {}
        articles, names = array("i"), array("i")  # one entry per mention
        for article_id, text, kind, canonical in rows:
            if (at := self.position.get(article_id)) is None:
                at = self.position[article_id] = len(self.ids)
                self.ids.append(article_id)
            if (name := number.get((text, kind, canonical))) is None:
                name = number[(text, kind, canonical)] = len(self.names)
                self.names.append((text, kind, canonical))
            articles.append(at)
            names.append(name)
        self.article_of = np.frombuffer(articles, dtype=np.int32)
        self.name_of = np.frombuffer(names, dtype=np.int32)

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> NameIndex:
        return cls(conn.execute("SELECT article_id, text, type, canonical FROM mentions"))

    def _in(self, ids: Iterable[str]) -> np.ndarray:
        """Which mentions are in the articles `ids`."""
        chosen = np.zeros(len(self.ids), dtype=bool)
        known = (at for i in ids if (at := self.position.get(i)) is not None)
        chosen[np.fromiter(known, dtype=np.intp)] = True
        return chosen[self.article_of]

    def name_counts(self, ids: Iterable[str]) -> Counter[tuple[str, str, str | None]]:
        counts = np.bincount(self.name_of[self._in(ids)], minlength=len(self.names))
        return Counter({self.names[n]: int(counts[n]) for n in np.flatnonzero(counts)})

    def naming_articles(self, ids: Iterable[str], names: Set[tuple[str, str]]) -> set[str]:
        wanted = np.array([(text, kind) in names for text, kind, _ in self.names], dtype=bool)
        holding = self._in(ids) & wanted[self.name_of]
        return {self.ids[at] for at in np.unique(self.article_of[holding])}


class Store:
    """The SQLite store. Any number of processes may read and write one file at once: SQLite's
    WAL lets readers go on while one writer writes, and writers take turns (`LOCK_TIMEOUT`).

    `readonly`: opened so that nothing can be written (read commands, a server); an older schema
    is upgraded first when `upgrade` and the file can be written, else refused. `salvage`: a
    damaged store opened read-only without any check, for `pipeline.recover`."""

    # Where `name_counts` and `naming_articles` look: None, SQL each time; a server that answers
    # many entity pages over one state of the store sets a shared `NameIndex` of that state.
    name_index: Callable[[], NameIndex] | None = None

    def __init__(
        self,
        path: str | Path = DEFAULT_DB,
        *,
        readonly: bool = False,
        upgrade: bool = True,
        timeout: float = LOCK_TIMEOUT,
        salvage: bool = False,
    ) -> None:
        self.path = str(path)
        self.readonly = readonly or salvage
        self.timeout = timeout
        # the terms of the articles this connection stored and has not counted yet (v13), and
        # whether each one's date is stated
        self._uncounted: dict[str, tuple[Set[str], bool]] = {}
        try:
            if salvage:  # a damaged store, to read what can still be read: no check at all
                self.conn = _connect_readonly(self.path, timeout)
            elif readonly:
                self.conn = self._open_readonly(upgrade)
            else:
                _check_write_access(self.path)
                self.conn = _connect(self.path, timeout)
                self._open_for_writing()
        except sqlite3.DatabaseError as exc:
            if not self.readonly and "malformed" in str(exc):  # met before the integrity check
                raise StoreError(_damaged(self.path, str(exc))) from exc
            raise StoreError(describe(exc, self.path)) from exc

    def _open_readonly(self, upgrade: bool) -> sqlite3.Connection:
        conn = _connect_readonly(self.path, self.timeout)
        version = schema_version(conn)
        if version == len(MIGRATIONS):
            return conn
        conn.close()
        if version > len(MIGRATIONS):
            raise StoreError(_newer(self.path, version))
        if not upgrade or not os.access(self.path, os.W_OK):
            raise StoreError(f"{self.path} was written by an older nienbieu (schema v{version}, this one "
                             f"needs v{len(MIGRATIONS)}) and cannot be upgraded here: open it once where it "
                             "can be written (any command does it)")  # fmt: skip
        Store(self.path, timeout=self.timeout).close()
        return _connect_readonly(self.path, self.timeout)

    def _open_for_writing(self) -> None:
        """WAL, a write-access check and an integrity check before anything is written, then the
        migrations this file lacks."""
        self._patiently("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self._begin()  # fails now, not after an hour of analysis, on a read-only file
        self.conn.execute("ROLLBACK")
        if schema_version(self.conn) > 0:
            self._check_integrity()
        if schema_version(self.conn) != len(MIGRATIONS):
            self._migrate()

    def _check_integrity(self) -> None:
        """Refuse to write into a damaged file: writing could spread the damage. quick_check reads
        every page once (0.8 s for a 1 GB file with a warm cache, measured)."""
        try:
            rows = [r[0] for r in self.conn.execute("PRAGMA quick_check(3)")]
        except sqlite3.DatabaseError as exc:  # damage that stops the check itself
            rows = [str(exc)]
        if rows != ["ok"]:
            found = "; ".join(line for row in rows for line in row.splitlines() if not line.startswith("***"))
            raise StoreError(_damaged(self.path, found))

    def _migrate(self) -> None:
        """Apply every migration newer than the file, and the backfills of older files, in one
        exclusive transaction: of two processes opening a new or old store at once, the second
        waits and then finds the work done."""
        with self.transaction():
            before = schema_version(self.conn)
            if before > len(MIGRATIONS):
                raise StoreError(_newer(self.path, before))
            for version, script in enumerate(MIGRATIONS[before:], start=before + 1):
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version}")
            if 0 < before < 14:  # first: the backfills below may assign stories
                self._index_old_terms()
            if 0 < before < 6:
                self._sign_old_articles()
            if 0 < before < 7:
                self._index_old_articles()
            if 0 < before < 9:
                self._adopt_old_sources()
            if 0 < before < 11:
                self.settle_stories()

    def reader(self) -> Store:
        """A read-only connection to the same file for another thread (one thread at a time; it
        sees what this one commits): an ingest's read-ahead looks up the inputs stored before
        through it while this connection stores."""
        other = Store.__new__(Store)
        other.path, other.readonly, other.timeout = self.path, True, self.timeout
        uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
        other.conn = sqlite3.connect(
            uri, uri=True, isolation_level=None, timeout=self.timeout, check_same_thread=False
        )
        return other

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; inside another, part of it. Taken with BEGIN IMMEDIATE, so two
        writers queue for the lock instead of failing on upgrade from read to write."""
        if self.conn.in_transaction:
            yield self.conn
            return
        try:
            self._begin()
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                # SQLite rolls back by itself on some errors (a full disk, an I/O error): a second
                # ROLLBACK would hide the real error behind "no transaction is active"
                if self.conn.in_transaction:
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError:
            raise  # a bug of ours, not a state of the file
        except sqlite3.DatabaseError as exc:
            raise StoreError(describe(exc, self.path)) from exc

    def _begin(self) -> None:
        self._patiently("BEGIN IMMEDIATE")

    def _patiently(self, sql: str) -> None:
        """Run `sql`, waiting for other writers up to `timeout`. SQLite's busy handler waits for
        most locks but answers some at once (another connection recovering the WAL or changing
        the journal mode, a checkpoint): those are retried here, backing off."""
        deadline = time.monotonic() + self.timeout
        pause = 0.01
        while True:
            try:
                self.conn.execute(sql)
                return
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(1.0, pause * 2)

    # --- writing -------------------------------------------------------------

    def add(self, articles: Iterable[Article]) -> AddResult:
        """Store a batch atomically, with where each article came from. Known content is not
        stored twice. An article is replaced only when its own origin (README, "Sources") now
        gives another text, and deleted only when no other source gives it."""
        result = AddResult([], [], [])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        new = _NewRows(self._uncounted)
        with self.transaction() as conn:
            for article in articles:
                origin = article.origin or Origin(article.source)
                file = _file_id(conn, origin.file)
                previous = conn.execute(
                    "SELECT article_id FROM sources WHERE file = ? AND key = ?", (file, origin.key)
                ).fetchone()
                if conn.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
                    result.already_stored.append(article.id)
                else:
                    new.insert(conn, article, now)
                    result.added.append(article.id)
                _record_source(conn, file, origin, article.id, now)
                if previous and previous[0] != article.id:
                    new.write(conn)  # what the batch added is counted before anything is taken away
                    result.replaced.append(self._replace(conn, previous[0], article, origin.key))
            new.write(conn)
            if len(self._uncounted) >= TALLY_ARTICLES:
                self.count_terms()
        return result

    def _replace(self, conn: sqlite3.Connection, old: str, new: Article, key: str) -> Replacement:
        """`old`, which `new`'s source gave before: deleted unless another source still gives it."""
        [title] = conn.execute("SELECT title FROM articles WHERE id = ?", (old,)).fetchone()
        if title is None:
            first = conn.execute(
                "SELECT text FROM sentences WHERE article_id = ? ORDER BY idx LIMIT 1", (old,)
            ).fetchone()
            title = first_words(first[0]) if first else ""
        removed = self._orphan(conn, old)
        if removed:
            self._delete(conn, old)
        return Replacement(new.source, key, old, new.id, title, removed)

    def recorded_file(self, path: str) -> FileStat | None:
        """The stat and hash of the whole text or HTML file at `path` as last stored, if any
        (`ingest.Known`)."""
        row = self.conn.execute(
            "SELECT f.size, f.mtime_ns, f.ctime_ns, f.sha256 FROM files f "
            "JOIN sources s ON s.file = f.id AND s.key = '' WHERE f.path = ? AND f.sha256 IS NOT NULL",
            (path,),
        ).fetchone()
        return FileStat(*row) if row else None

    def recorded_lines(self, path: str) -> RecordedLines | None:
        """The lines of the JSONL file at `path` stored before, if any (`ingest.Known`): one
        indexed lookup a line, however long the export."""
        row = self.conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        file = row[0]
        keyed = self.conn.execute(
            "SELECT 1 FROM lines WHERE file = ? AND key NOT LIKE 'sha256:%' LIMIT 1", (file,)
        ).fetchone()
        sql = (
            "SELECT l.key, s.line IS l.hash FROM lines l "
            "LEFT JOIN sources s ON s.file = l.file AND s.key = l.key WHERE l.file = ? AND l.hash = ?"
        )

        def find(digest: bytes) -> tuple[str, bool] | None:
            found = self.conn.execute(sql, (file, digest)).fetchone()
            return (found[0], bool(found[1])) if found else None

        return RecordedLines(find, keyed is not None)

    def refresh(self, files: Iterable[tuple[str, FileStat]]) -> None:
        """Record the new stat of files found touched but identical, so the next ingest need
        not hash them again."""
        with self.transaction() as conn:
            for path, stat in files:
                _record_stat(conn, _file_id(conn, path), stat)

    def _delete(self, conn: sqlite3.Connection, article_id: str) -> None:
        """Delete an article and its share of the term counts (if counted) and LSH buckets (the
        rest cascades); its copies are left to be regrouped."""
        conn.execute(
            # its copies are dated: they wait only to be grouped again
            "INSERT OR IGNORE INTO pending(article_id, dated) SELECT article_id, 1 FROM duplicates "
            "WHERE canonical_id = ?",
            (article_id,),
        )
        texts = [
            r[0]
            for r in conn.execute(
                "SELECT text FROM sentences WHERE article_id = ? ORDER BY idx", (article_id,)
            )
        ]
        [provenance] = conn.execute(
            "SELECT published_provenance FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        self._uncounted.pop(article_id, None)
        terms = dating.term_set(texts)
        if not conn.execute(
            "SELECT 1 FROM pending WHERE article_id = ? AND counted = 0", (article_id,)
        ).fetchone():
            _count_terms(conn, [(terms, provenance == str(DateProvenance.STATED))], -1)
        _index_terms(conn, [(article_id, terms)], remove=True)
        for (blob,) in conn.execute(
            "SELECT minhash FROM signatures WHERE article_id = ?", (article_id,)
        ).fetchall():
            conn.executemany(
                "DELETE FROM lsh WHERE bucket = ? AND article_id = ?",
                [(key, article_id) for key in dedup.bucket_keys(dedup.from_bytes(blob)).tolist()],
            )
        conn.execute(  # its story loses it: labelled again at the next settling
            "UPDATE stories SET label = '' WHERE id IN "
            "(SELECT story_id FROM story_members WHERE article_id = ?)",
            (article_id,),
        )
        conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    @staticmethod
    def _orphan(conn: sqlite3.Connection, article_id: str) -> bool:
        """True when no source, current or kept from before v9, gives the article."""
        return (
            conn.execute(
                "SELECT 1 FROM sources WHERE article_id = ?1 UNION ALL "
                "SELECT 1 FROM legacy_sources WHERE article_id = ?1",
                (article_id,),
            ).fetchone()
            is None
        )

    @staticmethod
    def _insert(conn: sqlite3.Connection, a: Article, now: str) -> tuple[bytes, list[tuple[int, str, str]]]:
        """Insert the article and its rows, but for its LSH buckets and search rows, left to the
        caller to write a whole batch's at once; returns its signature and search rows."""
        body = json.dumps([[p.kind, p.text] for p in a.body], ensure_ascii=False)
        conn.execute(
            "INSERT INTO articles (id, source, url, title, outlet, author, published, published_provenance, "
            "published_evidence, body, ingested_at, year_hint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.id, a.source, a.url, a.title, a.outlet, a.author, _iso(a.published),
             str(a.published_provenance), a.published_evidence, body, now, a.year_hint),
        )  # fmt: skip
        searched = []
        for s in a.sentences:
            rowid = conn.execute(
                "INSERT INTO sentences VALUES (?,?,?,?,?)", (a.id, s.index, s.paragraph, s.in_quote, s.text)
            ).lastrowid
            assert rowid is not None
            searched.append((rowid, s.text, s.folded if s.folded is not None else search.fold(s.text)))
        Store._insert_timexes(conn, a)
        Store._insert_entities(conn, a)
        blob = a.fingerprint or dedup.fingerprint(a)
        conn.execute("INSERT INTO signatures VALUES (?, ?)", (a.id, blob))
        return blob, searched

    @staticmethod
    def _insert_entities(conn: sqlite3.Connection, a: Article) -> None:
        conn.execute("DELETE FROM mentions WHERE article_id = ?", (a.id,))
        conn.execute("DELETE FROM quotes WHERE article_id = ?", (a.id,))
        conn.executemany(
            "INSERT INTO mentions VALUES (?,?,?,?,?,?,?)",
            [
                (a.id, s.index, m.start, m.end, m.text, m.type, m.canonical)
                for s in a.sentences
                for m in s.mentions
            ],
        )
        conn.executemany(
            "INSERT INTO quotes VALUES (?,?,?,?,?,?,?,?)",
            [
                (a.id, s.index, q.start, q.end, q.text, q.speaker, q.candidate, q.confidence)
                for s in a.sentences
                for q in s.quotes
            ],
        )
        conn.execute("UPDATE articles SET entities_done = 1 WHERE id = ?", (a.id,))

    def update_entities(self, articles: Iterable[Article]) -> None:
        """Store (re-)recognised entities and quotes of articles already stored."""
        with self.transaction() as conn:
            for a in articles:
                self._insert_entities(conn, a)

    def without_entities(self, ids: Iterable[str] | None = None) -> list[str]:
        """Articles stored before entity recognition existed (of `ids` only, when given: looking
        at every article's flag scans the table, for each timeline a server builds)."""
        if ids is None:
            rows = self.conn.execute("SELECT id FROM articles WHERE entities_done = 0").fetchall()
        else:
            rows = _select_in(
                self.conn, "SELECT id FROM articles WHERE id IN (?*) AND entities_done = 0", ids
            )
        return [r[0] for r in rows]

    @staticmethod
    def _insert_timexes(conn: sqlite3.Connection, a: Article) -> None:
        conn.executemany(
            "INSERT INTO timexes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(a.id, s.index, t.start, t.end, t.text, t.type, t.value, t.granularity, t.modifier,
              t.anchor, t.tense) for s in a.sentences for t in s.timexes],
        )  # fmt: skip

    def update_dating(self, articles: Iterable[Article], attempted: Collection[str] | None = None) -> None:
        """Store re-estimated publication dates and the time expressions resolved against them.

        `attempted`: the pending articles a settling pass estimated (changed or not). Only those
        still waiting for their date are written, and marked dated: another process settling at
        the same time may have dated and grouped them already, and a date written after the
        grouping would leave their group stale."""
        with self.transaction() as conn:
            if attempted is not None:
                waiting = set(self._waiting_for_date(attempted))
                articles = [a for a in articles if a.id in waiting]
                conn.executemany("UPDATE pending SET dated = 1 WHERE article_id = ?", [(i,) for i in waiting])
            for a in articles:
                if not conn.execute("SELECT 1 FROM articles WHERE id = ?", (a.id,)).fetchone():
                    continue  # replaced by another process since it was read
                window = a.published_window or (None, None)
                conn.execute(
                    "UPDATE articles SET published = ?, published_provenance = ?, published_evidence = ?, "
                    "published_window_start = ?, published_window_end = ?, published_confidence = ? "
                    "WHERE id = ?",
                    (_iso(a.published), str(a.published_provenance), a.published_evidence,
                     _iso(window[0]), _iso(window[1]), a.published_confidence, a.id),
                )  # fmt: skip
                conn.execute("DELETE FROM timexes WHERE article_id = ?", (a.id,))
                self._insert_timexes(conn, a)

    def _sign_old_articles(self) -> None:
        """MinHash signatures for articles stored before v6, from their stored title and body."""
        rows = self.conn.execute("SELECT id, title, body FROM articles").fetchall()
        with self.transaction() as conn:
            for article_id, title, body in rows:
                text = dedup.shared_text(title, (t for _, t in json.loads(body)))
                conn.execute(
                    "INSERT OR REPLACE INTO signatures VALUES (?, ?)",
                    (article_id, dedup.text_fingerprint(text)),
                )
        self.update_duplicates()

    def _index_old_articles(self) -> None:
        """LSH buckets and term counts of articles stored before v7."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM articles ORDER BY id")]
        with self.transaction() as conn:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT article_id, minhash FROM signatures WHERE article_id IN ({marks})"
                _insert_lsh(conn, conn.execute(sql, chunk).fetchall())
                _count_terms(conn, _stored_term_sets(conn, chunk))

    def _index_old_terms(self) -> None:
        """The term index (v14) of articles stored before, from their sentences."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM articles ORDER BY rowid")]
        with self.transaction() as conn:
            for chunk in _chunks(ids):
                texts = _sentence_texts(conn, chunk).items()
                _index_terms(conn, ((article_id, dating.term_set(t)) for article_id, t in texts))

    def _adopt_old_sources(self) -> None:
        """Sources stored before v9 were paths as given on the command line. A relative one was
        relative to a working directory nobody recorded, and a JSONL line number is no identity:
        those stay in `legacy_sources`, where they only keep their articles from being deleted.
        An absolute path of a whole file is an identity: it becomes one (resolved), with no stat,
        so the next ingest reads the file and replaces its article if it was edited since."""
        rows = self.conn.execute("SELECT path, article_id, ingested_at FROM legacy_sources").fetchall()
        with self.transaction() as conn:
            for path, article_id, ingested_at in rows:
                if not os.path.isabs(path) or _JSONL_LINE.search(path):
                    continue
                adopted = conn.execute(
                    "INSERT OR IGNORE INTO sources VALUES (?, '', ?, NULL, ?)",
                    (_file_id(conn, os.path.realpath(path)), article_id, ingested_at),
                ).rowcount
                if adopted:
                    conn.execute("DELETE FROM legacy_sources WHERE path = ?", (path,))

    def count_terms(self) -> None:
        """Count the terms of the stored articles not counted yet (`pending.counted` = 0): those
        this connection tallied, and any another process left (a killed ingest, a concurrent
        one), read again from their sentences. The tally of an article counted or deleted by
        another process meanwhile is dropped."""
        with self.transaction() as conn:
            waiting = [
                r[0] for r in conn.execute("SELECT article_id FROM pending WHERE counted = 0 ORDER BY 1")
            ]
            if not waiting:
                self._uncounted.clear()
                return
            tallied = [self._uncounted[i] for i in waiting if i in self._uncounted]
            others = [i for i in waiting if i not in self._uncounted]
            for chunk in _chunks(others):
                tallied += _stored_term_sets(conn, chunk)
            _count_terms(conn, tallied)
            conn.executemany("UPDATE pending SET counted = 1 WHERE article_id = ?", [(i,) for i in waiting])
            self._uncounted.clear()

    def pending(self, undated: bool = False) -> list[str]:
        """Ids of the articles stored but not yet settled (dated, grouped); `undated`: only those
        whose page states no date and whose date has not been estimated yet."""
        where = f" WHERE NOT {_READY}" if undated else ""
        return [
            r[0]
            for r in self.conn.execute(
                f"SELECT p.article_id FROM pending p JOIN articles a ON a.id = p.article_id{where} ORDER BY 1"
            )
        ]

    def _waiting_for_date(self, ids: Collection[str]) -> list[str]:
        """Those of `ids` still pending and not yet dated: another process may have settled or
        replaced some since they were read."""
        sql = ("SELECT p.article_id FROM pending p JOIN articles a ON a.id = p.article_id "
               f"WHERE p.article_id IN (?*) AND NOT {_READY}")  # fmt: skip
        return [r[0] for r in _select_in(self.conn, sql, ids)]

    def undated(self) -> list[str]:
        """Ids of the articles whose page states no publication date."""
        sql = "SELECT id FROM articles WHERE published_provenance != ? ORDER BY id"
        return [r[0] for r in self.conn.execute(sql, (str(DateProvenance.STATED),))]

    def update_duplicates(self, new: Collection[str] | None = None) -> list[dedup.Duplicate]:
        """Group near-duplicates: each copy points at the earliest article of its group.

        With `new` (ids just stored), only those articles and the ones they could change are
        looked at, through the stored LSH buckets; without it the whole store is regrouped from
        its signatures (after publication dates changed). Either way the articles looked at are
        settled. Returns the copies found among them."""
        # Read and written in one transaction: another process storing or regrouping meanwhile
        # would otherwise make the groups written disagree with what was read.
        with self.transaction():
            if new is not None:
                new = self._existing(new)  # another process may have replaced some since
            if new is None or len(new) > self.count() / 4:  # regrouping all at once is faster then
                return self._regroup_all(new)
            changes = dedup.regroup(new, _StoredNeighbourhood(self.conn))
            found = sorted((d for d in changes.values() if d), key=lambda d: d.article)
            self._save_groups(found, regrouped=changes, settled=new)
            return found

    def settle_groups(self, timings: Timings | None = None) -> list[dedup.Duplicate]:
        """Group the pending articles whose date is settled (stated, or estimated), and settle
        them; those still waiting for their date stay pending. One transaction, so that what is
        read as ready is what gets grouped. `timings`: where to add the time of each step."""
        with self.transaction():
            with timed(timings, "duplicate groups"):
                found = self.update_duplicates(self._ready())
            self.settle_stories(timings=timings)
            return found

    def settle_stories(
        self, params: stories.Params | None = None, timings: Timings | None = None
    ) -> dict[str, int]:
        """Put the settled canonical articles that are in no story into one (`stories.assign`,
        in date order), take near-duplicate copies out of theirs (they follow their canonical
        article), drop stories left empty and label the stories that changed. Articles still
        waiting for their date wait for this too. Returns the new members' stories."""
        with self.transaction() as conn:
            self.count_terms()
            copies = [r[0] for r in conn.execute(
                "SELECT m.article_id FROM story_members m JOIN duplicates d ON d.article_id = m.article_id"
            )]  # fmt: skip
            board = _StoredBoard(conn)
            board.touched.update(board.stories_of(copies).values())
            conn.executemany("DELETE FROM story_members WHERE article_id = ?", [(a,) for a in copies])
            waiting = (
                "SELECT a.id, substr(a.published, 1, 10) FROM articles a WHERE a.id NOT IN "
                "(SELECT article_id FROM story_members) AND a.id NOT IN (SELECT article_id FROM duplicates) "
                "AND a.id NOT IN (SELECT article_id FROM pending)"
            )
            new = [
                (article, date.fromisoformat(day) if day else None) for article, day in conn.execute(waiting)
            ]
            terms = _StoredTerms(conn)
            vectors = stories.vectors_of(terms)  # weighed for assignment, used again for labels
            with timed(timings, "stories"):
                found = stories.assign(new, terms, board, params or stories.Params(), vectors)
            conn.execute("DELETE FROM stories WHERE id NOT IN (SELECT story_id FROM story_members)")
            unlabelled = [r[0] for r in conn.execute("SELECT id FROM stories WHERE label = ''")]
            with timed(timings, "story labels"):
                self._label_stories(board.touched | set(unlabelled), vectors)
            return found

    def reassign_stories(self, params: stories.Params | None = None) -> dict[str, int]:
        """Forget every story and assign all settled canonical articles again, in date order (as
        a first bulk ingest does): after the story parameters changed."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM story_members")
            conn.execute("DELETE FROM stories")
            return self.settle_stories(params)

    def _label_stories(self, ids: Iterable[str | int], vectors: summarize.CorpusVectors) -> None:
        for story_id in sorted({int(i) for i in ids}):
            members = [r[0] for r in self.conn.execute(
                "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id "
                "WHERE m.story_id = ? ORDER BY a.published DESC, m.article_id LIMIT ?",
                (story_id, LABEL_MEMBERS),
            )]  # fmt: skip
            if members:
                text = stories.label(self.articles(ids=members), vectors)
                self.conn.execute("UPDATE stories SET label = ? WHERE id = ?", (text, story_id))

    def _ready(self) -> list[str]:
        sql = f"SELECT p.article_id FROM pending p JOIN articles a ON a.id = p.article_id WHERE {_READY}"
        return sorted(r[0] for r in self.conn.execute(sql))

    def _existing(self, ids: Collection[str]) -> list[str]:
        return [r[0] for r in _select_in(self.conn, "SELECT id FROM articles WHERE id IN (?*)", ids)]

    def _regroup_all(self, settled: Collection[str] | None = None) -> list[dedup.Duplicate]:
        """Regroup every stored article; `settled`: the pending ones to settle (None: every
        pending one whose date is settled; those waiting for theirs stay pending)."""
        rows = self.conn.execute(
            f"SELECT s.article_id, {_GROUP_ORDER}, s.minhash FROM signatures s "
            "JOIN articles a ON a.id = s.article_id"
        ).fetchall()
        found = dedup.group_signatures(
            [(article_id, key, dedup.from_bytes(blob)) for article_id, key, blob in rows]
        )
        self._save_groups(found, settled=self._ready() if settled is None else settled)
        return found

    def _save_groups(
        self,
        copies: list[dedup.Duplicate],
        regrouped: Collection[str] | None = None,
        settled: Collection[str] | None = None,
    ) -> None:
        """Replace the duplicate rows of the `regrouped` articles (None: every article) by
        `copies`, and take the `settled` ones out of `pending` (None: every one)."""
        with self.transaction() as conn:
            self.count_terms()  # `pending` says which are not counted yet
            for table, ids in (("duplicates", regrouped), ("pending", settled)):
                if ids is None:
                    conn.execute(f"DELETE FROM {table}")
                else:
                    conn.executemany(f"DELETE FROM {table} WHERE article_id = ?", [(a,) for a in ids])
            conn.executemany(
                "INSERT INTO duplicates VALUES (?, ?, ?)",
                [(d.article, d.canonical, d.similarity) for d in copies],
            )

    def dated_corpus(self) -> dating.DatedCorpus:
        """Date inference's view of the stored corpus: stated dates in memory, term statistics
        read from the tables when asked."""
        self.count_terms()
        dates = {
            article_id: date.fromisoformat(published[:10])
            for article_id, published in self.conn.execute(
                "SELECT id, published FROM articles WHERE published_provenance = ? AND published IS NOT NULL",
                (str(DateProvenance.STATED),),
            )
        }
        return dating.DatedCorpus(dates, _StoredTerms(self.conn))

    def duplicates(self) -> dict[str, list[str]]:
        """Canonical article id -> ids of its copies."""
        copies: dict[str, list[str]] = {}
        for article_id, canonical in self.conn.execute(
            "SELECT article_id, canonical_id FROM duplicates ORDER BY canonical_id, article_id"
        ):
            copies.setdefault(canonical, []).append(article_id)
        return copies

    # --- reading -------------------------------------------------------------

    def search(self, text: str, filters: search.Filters | None = None, limit: int = 20) -> list[search.Hit]:
        """Sentences matching a query (`nienbieu.search`): exact diacritics first, then BM25."""
        with self.snapshot():
            return search.search(self.conn, text, filters or search.Filters(), limit)

    def matching_articles(self, text: str, folded: bool = True) -> set[str]:
        """Ids of every article `search` finds for `text` (copies included); `folded=False`: only
        where the words occur with the diacritics as typed."""
        return search.matching_articles(self.conn, text, folded)

    def canonical(self, ids: Iterable[str]) -> set[str]:
        """`ids` with each near-duplicate copy replaced by the canonical article of its group."""
        ids = set(ids)
        sql = "SELECT article_id, canonical_id FROM duplicates WHERE article_id IN (?*)"
        copies = dict(_select_in(self.conn, sql, ids))
        return {copies.get(article_id, article_id) for article_id in ids}

    def published_between(self, start: date | None, end: date | None) -> set[str]:
        """Ids of the canonical articles published (stated or inferred) from `start` to `end`,
        both days included; an undated article is in no such range."""
        where, params = search.filter_sql(search.Filters(start, end))
        sql = f"SELECT a.id FROM articles a WHERE a.id NOT IN (SELECT article_id FROM duplicates){where}"
        return {row[0] for row in self.conn.execute(sql, params)}

    def published_of(self, ids: Iterable[str]) -> dict[str, str | None]:
        """The publication time (ISO, stated or inferred; None when unknown) of each article."""
        return dict(_select_in(self.conn, "SELECT id, published FROM articles WHERE id IN (?*)", ids))

    def mentions(self, ids: Iterable[str]) -> list[tuple[str, Mention]]:
        """The recognised names in the articles `ids`, each with its article's id."""
        sql = ("SELECT article_id, start, end, text, type, canonical FROM mentions "
               "WHERE article_id IN (?*) ORDER BY article_id, sentence_idx, start")  # fmt: skip
        return [(row[0], Mention(*row[1:])) for row in _select_in(self.conn, sql, ids)]

    def name_counts(self, ids: Iterable[str]) -> Counter[tuple[str, str, str | None]]:
        """How many recognised names in the articles `ids` have each (surface, type, gazetteer
        name): what `entities.naming_names` decides on, counted by SQLite (a common word's
        articles hold hundreds of thousands of mentions: reading them costs seconds)."""
        if self.name_index is not None:
            return self.name_index().name_counts(ids)
        sql = ("SELECT text, type, canonical, count(*) FROM mentions WHERE article_id IN (?*) "
               "GROUP BY text, type, canonical")  # fmt: skip
        counts: Counter[tuple[str, str, str | None]] = Counter()
        for text, kind, canonical, n in _select_in(self.conn, sql, ids):
            counts[(text, kind, canonical)] += n  # a name is in several chunks
        return counts

    def naming_articles(self, ids: Iterable[str], names: Set[tuple[str, str]]) -> set[str]:
        """The articles among `ids` that hold a recognised name among `names` (surface, type)."""
        if self.name_index is not None:
            return self.name_index().naming_articles(ids, names)
        sql = ("SELECT DISTINCT article_id, text, type FROM mentions WHERE article_id IN (?*) "
               "AND text IN (SELECT value FROM json_each(?))")  # fmt: skip
        texts = json.dumps(sorted({text for text, _ in names}), ensure_ascii=False)
        rows = _select_in(self.conn, sql, ids, texts)
        return {article for article, text, kind in rows if (text, kind) in names}

    def story_articles(self, story_id: int) -> set[str]:
        """Ids of the canonical articles of a story (empty for an unknown id)."""
        sql = "SELECT article_id FROM story_members WHERE story_id = ?"
        return {r[0] for r in self.conn.execute(sql, (story_id,))}

    def stories_of(self, ids: Iterable[str]) -> set[int]:
        """The stories holding any of these canonical articles."""
        sql = "SELECT DISTINCT story_id FROM story_members WHERE article_id IN (?*)"
        return {r[0] for r in _select_in(self.conn, sql, ids)}

    def story_rows(self, ids: Iterable[int] | None = None) -> list[StoryRow]:
        """Every story (or the stories `ids`) with its size, days and outlets (its near-duplicate
        copies' outlets too), biggest first, then most recent. A page about one story asks for
        its own row: reading them all costs seconds in a store of 100,000 articles."""
        if ids is None:
            sizes = self.conn.execute(_STORY_SIZES.format(where="")).fetchall()
            every = _STORY_OUTLETS.format(where="") + " UNION ALL " + _COPY_OUTLETS.format(where="")
            told = self.conn.execute(every).fetchall()
        else:
            where = "WHERE m.story_id IN (?*)"
            sizes = _select_in(self.conn, _STORY_SIZES.format(where=where), ids)
            told = _select_in(self.conn, _STORY_OUTLETS.format(where=where), ids) + _select_in(
                self.conn, _COPY_OUTLETS.format(where=where), ids
            )
        outlets: dict[int, Counter[str]] = defaultdict(Counter)
        for story_id, outlet in told:
            outlets[story_id][outlet or ""] += 1
        rows = [
            StoryRow(story_id, label, size, copies, first, last,
                     [o for o, _ in sorted(outlets[story_id].items(), key=lambda kv: (-kv[1], kv[0])) if o])
            for story_id, label, size, copies, first, last in sizes
        ]  # fmt: skip
        # as _STORY_SIZES orders them (read in chunks, they are ordered here): biggest, undated, latest, id
        rows.sort(key=lambda r: r.id)
        rows.sort(key=lambda r: (r.size, r.last is None, r.last or ""), reverse=True)
        return rows

    def readable_ids(self) -> tuple[list[str], bool]:
        """The ids of the stored articles as far as they can be read, and whether the list is
        whole: in a damaged file, reading the table may fail part way."""
        found: list[str] = []
        try:
            for (article_id,) in self.conn.execute("SELECT id FROM articles"):
                found.append(article_id)
        except sqlite3.DatabaseError:
            return found, False
        return found, True

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the store: without it, each statement sees the commits
        made before it, and an article read by one query may lack (or gain) rows read by the
        next while another process writes. Inside a transaction, part of it."""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("COMMIT")

    def articles(self, canonical_only: bool = False, ids: Iterable[str] | None = None) -> list[Article]:
        """All articles with sentences and time expressions, oldest publication first;
        `canonical_only`: without the near-duplicate copies of other articles; `ids`: only these."""
        if ids is None:
            skip = "id NOT IN (SELECT article_id FROM duplicates)" if canonical_only else "1"
            with self.snapshot():
                return self._load(skip, "1", [])
        found = []
        with self.snapshot():
            for chunk in _chunks(sorted(set(ids))):
                marks = ",".join("?" * len(chunk))
                found += self._load(f"id IN ({marks})", f"article_id IN ({marks})", chunk)
        # as SQL orders the stored text: offset-aware and naive datetimes do not compare
        return sorted(found, key=lambda a: (a.published is None, _iso(a.published) or "", a.source))

    def _load(self, articles_where: str, rows_where: str, params: list[str]) -> list[Article]:
        rows = self.conn.execute(
            "SELECT id, source, url, title, outlet, author, published, published_provenance, "
            "published_evidence, body, published_window_start, published_window_end, "
            f"published_confidence, year_hint FROM articles WHERE {articles_where} "
            "ORDER BY published IS NULL, published, source",
            params,
        ).fetchall()
        sentences: dict[str, list[Sentence]] = {}
        for article_id, idx, paragraph, in_quote, text in self.conn.execute(
            f"SELECT article_id, idx, paragraph, in_quote, text FROM sentences WHERE {rows_where} "
            "ORDER BY article_id, idx",
            params,
        ):
            sentences.setdefault(article_id, []).append(
                Sentence(idx, text, paragraph, bool(in_quote), article_id=article_id)
            )
        for row in self.conn.execute(
            "SELECT article_id, sentence_idx, start, end, text, type, value, granularity, modifier, "
            f"anchor, tense FROM timexes WHERE {rows_where} ORDER BY article_id, sentence_idx, start",
            params,
        ):
            sentences[row[0]][row[1]].timexes.append(TimeExpression(*row[2:]))
        for row in self.conn.execute(
            "SELECT article_id, sentence_idx, start, end, text, type, canonical FROM mentions "
            f"WHERE {rows_where} ORDER BY article_id, sentence_idx, start",
            params,
        ):
            sentences[row[0]][row[1]].mentions.append(Mention(*row[2:]))
        for row in self.conn.execute(
            "SELECT article_id, sentence_idx, start, end, text, speaker, candidate, confidence FROM quotes "
            f"WHERE {rows_where} ORDER BY article_id, sentence_idx, start",
            params,
        ):
            article_id, index, start, end, text, speaker, candidate, confidence = row
            quote = Quote(start, end, text, speaker, index, candidate, confidence)
            sentences[article_id][index].quotes.append(quote)
        return [_article(r, sentences.get(r[0], [])) for r in rows]


def _damaged(path: str, found: str) -> str:
    advice = "see 'Recovering a damaged store' in the README"
    return f"{path} is damaged ({found}): nothing was written to it; {advice}"


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _newer(path: str, version: int) -> str:
    return (f"{path} was written by a newer nienbieu (schema v{version}; this one knows up to "
            f"v{len(MIGRATIONS)}): upgrade nienbieu")  # fmt: skip


def _file_id(conn: sqlite3.Connection, path: str) -> int:
    conn.execute("INSERT INTO files(path) VALUES (?) ON CONFLICT(path) DO NOTHING", (path,))
    return conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()[0]


def _record_source(conn: sqlite3.Connection, file: int, origin: Origin, article_id: str, now: str) -> None:
    """`origin` gives `article_id` now; a JSONL line is recorded as read, a whole file's stat and
    hash as what it held."""
    conn.execute(
        "INSERT INTO sources(file, key, article_id, line, ingested_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(file, key) DO UPDATE SET article_id = excluded.article_id, "
        "line = excluded.line, ingested_at = excluded.ingested_at",
        (file, origin.key, article_id, origin.line, now),
    )
    if origin.line is not None:
        conn.execute("INSERT OR IGNORE INTO lines VALUES (?, ?, ?)", (file, origin.line, origin.key))
    if origin.stat is not None:
        _record_stat(conn, file, origin.stat)


def _record_stat(conn: sqlite3.Connection, file: int, st: FileStat) -> None:
    conn.execute(
        "UPDATE files SET size = ?, mtime_ns = ?, ctime_ns = ?, sha256 = ? WHERE id = ?",
        (st.size, st.mtime_ns, st.ctime_ns, st.sha256, file),
    )


@dataclass(slots=True)
class _NewRows:
    """The LSH buckets and term-index rows of the articles a batch inserts, written together at
    its end or before an article is deleted (FTS5 writes what one statement gives it as one
    segment: an article at a time, 700 terms each, made storing a third slower); their terms
    go to the store's tally (`Store.count_terms`)."""

    tally: dict[str, tuple[Set[str], bool]]
    signatures: list[tuple[str, bytes]] = field(default_factory=list)
    indexed: list[tuple[str, Set[str]]] = field(default_factory=list)
    searched: list[tuple[int, str, str]] = field(default_factory=list)

    def insert(self, conn: sqlite3.Connection, article: Article, now: str) -> None:
        signature, searched = Store._insert(conn, article, now)
        self.signatures.append((article.id, signature))
        self.searched += searched
        conn.execute("INSERT INTO pending(article_id, counted) VALUES (?, 0)", (article.id,))
        terms = article.terms
        if terms is None:
            terms = frozenset(dating.term_set(s.text for s in article.sentences))
        self.tally[article.id] = (terms, _stated(article))
        self.indexed.append((article.id, terms))

    def write(self, conn: sqlite3.Connection) -> None:
        _insert_lsh(conn, self.signatures)
        _index_terms(conn, self.indexed)
        conn.executemany("INSERT INTO sentences_fts(rowid, text, folded) VALUES (?, ?, ?)", self.searched)
        self.signatures, self.indexed, self.searched = [], [], []


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _article(r: tuple, sentences: list[Sentence]) -> Article:
    window = (date.fromisoformat(r[10]), date.fromisoformat(r[11])) if r[10] and r[11] else None
    return Article(
        id=r[0], source=r[1], url=r[2], title=r[3], outlet=r[4], author=r[5],
        published=datetime.fromisoformat(r[6]) if r[6] else None,
        published_provenance=DateProvenance(r[7]), published_evidence=r[8],
        body=[Paragraph(text, kind) for kind, text in json.loads(r[9])],
        published_window=window, published_confidence=r[12], year_hint=r[13],
        sentences=sentences,
    )  # fmt: skip


def _stated(article: Article) -> bool:
    return article.published_provenance is DateProvenance.STATED


_Key = TypeVar("_Key", str, int)  # article ids, story ids


def _chunks(items: list[_Key]) -> Iterator[list[_Key]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


_STORY_SIZES = (
    "SELECT m.story_id, s.label, count(*), (SELECT count(*) FROM duplicates d JOIN story_members "
    "x ON x.article_id = d.canonical_id WHERE x.story_id = m.story_id), "
    "min(substr(a.published, 1, 10)), max(substr(a.published, 1, 10)) "
    "FROM story_members m JOIN stories s ON s.id = m.story_id "
    "JOIN articles a ON a.id = m.article_id {where} GROUP BY m.story_id"
)
_STORY_OUTLETS = (
    "SELECT m.story_id, a.outlet FROM story_members m JOIN articles a ON a.id = m.article_id {where}"
)
_COPY_OUTLETS = (
    "SELECT m.story_id, a.outlet FROM story_members m JOIN duplicates d ON d.canonical_id = m.article_id "
    "JOIN articles a ON a.id = d.article_id {where}"
)


def _select_in(conn: sqlite3.Connection, sql: str, ids: Iterable[_Key], *after: object) -> list[tuple]:
    """The rows of `sql` for `ids`, which fill its `IN (?*)`, a `CHUNK` of them at a time (in id
    order, so a per-chunk ORDER BY by id holds overall); `after`: the parameters after them."""
    rows: list[tuple] = []
    for chunk in _chunks(sorted(set(ids))):
        marks = ",".join("?" * len(chunk))
        rows += conn.execute(sql.replace("?*", marks), chunk + list(after)).fetchall()
    return rows


def _insert_lsh(conn: sqlite3.Connection, signatures: list[tuple[str, bytes]]) -> None:
    """The LSH buckets of (article id, signature) pairs, in key order (as `_count_terms`)."""
    rows = [
        (key, article_id)
        for article_id, blob in signatures
        for key in dedup.bucket_keys(dedup.from_bytes(blob)).tolist()
    ]
    conn.executemany("INSERT OR IGNORE INTO lsh VALUES (?, ?)", sorted(rows))


def _count_terms(conn: sqlite3.Connection, articles: list[tuple[Set[str], bool]], sign: int = 1) -> None:
    """Add (sign 1) or take away (-1) articles' terms, each given with whether its date is stated."""
    df: Counter[str] = Counter()
    dated: Counter[str] = Counter()
    for terms, stated in articles:
        df.update(terms)
        if stated:
            dated.update(terms)
    conn.executemany(
        "INSERT INTO terms VALUES (?, ?, ?) ON CONFLICT(term) DO UPDATE "
        "SET df = df + excluded.df, dated = dated + excluded.dated",
        # in key order: B-tree pages are visited once each, a third faster than in text order
        [(term, sign * n, sign * dated[term]) for term, n in sorted(df.items())],
    )
    if sign < 0:
        conn.execute("DELETE FROM terms WHERE df <= 0")


def _index_terms(
    conn: sqlite3.Connection, articles: Iterable[tuple[str, Set[str]]], remove: bool = False
) -> None:
    """Add stored articles' terms to `term_index` (v14), or take them away: a contentless index
    forgets a row only when given the very terms it was written with."""
    rows = [(article_id, " ".join(sorted(terms))) for article_id, terms in articles if terms]
    command, column = ("'delete', ", "term_index, ") if remove else ("", "")
    conn.executemany(
        f"INSERT INTO term_index({column}rowid, terms) "
        f"VALUES ({command}(SELECT rowid FROM articles WHERE id = ?), ?)",
        rows,
    )


def _stored_term_sets(conn: sqlite3.Connection, ids: list[str]) -> list[tuple[Set[str], bool]]:
    """The term set of each stored article `ids` (a `CHUNK` at most) with sentences, read from
    them, and whether its date is stated."""
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id FROM articles WHERE id IN ({marks}) AND published_provenance = ?"
    stated = {r[0] for r in conn.execute(sql, [*ids, str(DateProvenance.STATED)])}
    return [(dating.term_set(t), i in stated) for i, t in _sentence_texts(conn, ids).items()]


def _sentence_texts(conn: sqlite3.Connection, ids: list[str]) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    marks = ",".join("?" * len(ids))
    for article_id, text in conn.execute(
        f"SELECT article_id, text FROM sentences WHERE article_id IN ({marks}) ORDER BY article_id, idx", ids
    ):
        texts.setdefault(article_id, []).append(text)
    return texts


class _StoredTerms:
    """dating.TermIndex over the store's `terms` table and term index (`term_index`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._size: int | None = None
        # (df, dated) of the terms asked so far: the candidates of neighbouring articles overlap,
        # and the counts do not change while articles are being dated
        self._known: dict[str, tuple[int, int]] = {}
        # the holders of the terms looked up so far (`_with`): neighbouring articles share terms,
        # and no sentence is stored while a pass reads them; emptied past HOLDERS_KEPT terms
        self._holders: dict[tuple[str, str, int | None], list[str]] = {}

    def size(self) -> int:
        if self._size is None:
            self._size = self.conn.execute("SELECT count(DISTINCT article_id) FROM sentences").fetchone()[0]
        return self._size

    def _stats(self, terms: Collection[str]) -> dict[str, tuple[int, int]]:
        missing = [term for term in terms if term not in self._known]
        for chunk in _chunks(missing):
            marks = ",".join("?" * len(chunk))
            found = {t: (df, dated) for t, df, dated in self.conn.execute(
                f"SELECT term, df, dated FROM terms WHERE term IN ({marks})", chunk
            )}  # fmt: skip
            self._known.update((term, found.get(term, (0, 0))) for term in chunk)
        return {term: self._known[term] for term in terms}

    def df(self, terms: Collection[str]) -> dict[str, int]:
        return {term: df for term, (df, _) in self._stats(terms).items() if df}

    def dated_df(self, terms: Collection[str]) -> dict[str, int]:
        return {term: dated for term, (_, dated) in self._stats(terms).items() if dated}

    def dated_with(self, term: str, limit: int | None = None) -> list[str]:
        return self._with(term, "AND a.published_provenance = 'stated'", limit)

    def with_term(self, term: str, limit: int | None = None) -> list[str]:
        return self._with(term, "", limit)

    def _with(self, term: str, where: str, limit: int | None) -> list[str]:
        """The articles whose terms include `term`, only the latest stored `limit` (`term_index`:
        one posting list read backwards, so a common term costs no more than a rare one)."""
        if (term, where, limit) in self._holders:
            return self._holders[term, where, limit]
        if len(self._holders) >= HOLDERS_KEPT:
            self._holders.clear()
        held = self._holders[term, where, limit] = sorted(r[0] for r in self.conn.execute(
            "SELECT a.id FROM term_index f JOIN articles a ON a.rowid = f.rowid "
            f"WHERE term_index MATCH ? {where} ORDER BY f.rowid DESC LIMIT ?",
            ('"' + term.replace('"', '""') + '"', -1 if limit is None else limit),
        ))  # fmt: skip
        return held

    def counts(self, ids: Collection[str]) -> dict[str, Counter[str]]:
        found: dict[str, Counter[str]] = {}
        for chunk in _chunks(list(ids)):
            for article_id, texts in _sentence_texts(self.conn, chunk).items():
                found[article_id] = Counter(dating.terms_of(texts))
        return found


class _StoredNeighbourhood:
    """dedup.Neighbourhood over the store's `lsh`, `signatures` and `duplicates` tables. What it
    reads of an article's candidates is read for all of them at once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._known: dict[str, tuple[str, np.ndarray, str | None]] = {}  # order, signature, canonical

    def candidates(self, article: str) -> list[str]:
        keys = dedup.bucket_keys(self.signature(article)).tolist()
        marks = ",".join("?" * len(keys))
        found = [r[0] for r in self.conn.execute(
            f"SELECT article_id FROM lsh WHERE bucket IN ({marks}) GROUP BY article_id HAVING count(*) >= ?",
            [*keys, dedup.MIN_SHARED_BANDS],
        )]  # fmt: skip
        self._fetch([c for c in found if c not in self._known])
        return found

    def _fetch(self, ids: list[str]) -> None:
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for article_id, order, blob, canonical in self.conn.execute(
                f"SELECT a.id, {_GROUP_ORDER}, s.minhash, d.canonical_id FROM articles a "
                "JOIN signatures s ON s.article_id = a.id LEFT JOIN duplicates d ON d.article_id = a.id "
                f"WHERE a.id IN ({marks})",
                chunk,
            ):
                self._known[article_id] = (order, dedup.from_bytes(blob), canonical)

    def _get(self, article: str) -> tuple[str, np.ndarray, str | None]:
        if article not in self._known:
            self._fetch([article])
        return self._known[article]

    def order(self, article: str) -> tuple[str, str]:
        return (self._get(article)[0], article)

    def signature(self, article: str) -> np.ndarray:
        return self._get(article)[1]

    def canonical_of(self, article: str) -> str | None:
        return self._get(article)[2]


class _StoredBoard:
    """stories.Board over the `stories` and `story_members` tables; what it reads of a story is
    kept for the rest of the pass (the pass holds the write lock: nobody else changes them)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._stories: dict[int, stories.Story] = {}
        self.touched: set[int] = set()

    def stories_of(self, articles: Collection[str]) -> dict[str, int]:
        sql = "SELECT article_id, story_id FROM story_members WHERE article_id IN (?*)"
        return dict(_select_in(self.conn, sql, articles))

    def story(self, story_id: int) -> stories.Story:
        if story_id not in self._stories:
            story = stories.Story(story_id)
            for article, day in self.conn.execute(
                "SELECT m.article_id, substr(a.published, 1, 10) FROM story_members m "
                "JOIN articles a ON a.id = m.article_id WHERE m.story_id = ? ORDER BY m.rowid",
                (story_id,),
            ):
                story.add(article, date.fromisoformat(day) if day else None)
            self._stories[story_id] = story
        return self._stories[story_id]

    def open(self, article: str, day: date | None) -> int:
        story_id = self.conn.execute("INSERT INTO stories DEFAULT VALUES").lastrowid
        assert story_id is not None
        self._stories[story_id] = stories.Story(story_id)
        self.join(story_id, article, day, 0.0)
        return story_id

    def join(self, story_id: int, article: str, day: date | None, similarity: float) -> None:
        self.story(story_id).add(article, day)
        self.conn.execute(
            "INSERT INTO story_members VALUES (?, ?, ?)", (article, story_id, round(similarity, 4))
        )
        self.touched.add(story_id)
