"""Embedded SQLite store: versioned forward-only migrations, WAL, one transaction per batch."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from nienbieu import dedup, search
from nienbieu.models import Article, DateProvenance, Mention, Paragraph, Quote, Sentence, TimeExpression

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
)


@dataclass(slots=True)
class AddResult:
    added: list[str]
    already_stored: list[str]
    replaced: list[str]


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the database, each in its own transaction."""
    current = schema_version(conn)
    if current > len(MIGRATIONS):
        raise RuntimeError(f"database schema v{current} is newer than this nienbieu (v{len(MIGRATIONS)})")
    for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    return len(MIGRATIONS)


class Store:
    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        self.path = str(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        search.register(self.conn)
        before = schema_version(self.conn)
        migrate(self.conn)
        if 0 < before < 6:
            self._sign_old_articles()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- writing -------------------------------------------------------------

    def add(self, articles: Iterable[Article]) -> AddResult:
        """Store a batch atomically. Known content is not stored twice; an edited file
        replaces the article it produced before when nothing else refers to it."""
        result = AddResult([], [], [])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.transaction() as conn:
            for article in articles:
                previous = conn.execute(
                    "SELECT article_id FROM sources WHERE path = ?", (article.source,)
                ).fetchone()
                exists = conn.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone()
                if exists:
                    result.already_stored.append(article.id)
                else:
                    self._insert(conn, article, now)
                    result.added.append(article.id)
                conn.execute(
                    "INSERT INTO sources(path, article_id, ingested_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(path) DO UPDATE SET article_id = excluded.article_id, "
                    "ingested_at = excluded.ingested_at",
                    (article.source, article.id, now),
                )
                if previous and previous[0] != article.id and self._orphan(conn, previous[0]):
                    conn.execute("DELETE FROM articles WHERE id = ?", (previous[0],))
                    result.replaced.append(previous[0])
        return result

    @staticmethod
    def _orphan(conn: sqlite3.Connection, article_id: str) -> bool:
        return conn.execute("SELECT 1 FROM sources WHERE article_id = ?", (article_id,)).fetchone() is None

    @staticmethod
    def _insert(conn: sqlite3.Connection, a: Article, now: str) -> None:
        body = json.dumps([[p.kind, p.text] for p in a.body], ensure_ascii=False)
        conn.execute(
            "INSERT INTO articles (id, source, url, title, outlet, author, published, published_provenance, "
            "published_evidence, body, ingested_at, year_hint) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (a.id, a.source, a.url, a.title, a.outlet, a.author, _iso(a.published),
             str(a.published_provenance), a.published_evidence, body, now, a.year_hint),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO sentences VALUES (?,?,?,?,?)",
            [(a.id, s.index, s.paragraph, s.in_quote, s.text) for s in a.sentences],
        )
        Store._insert_timexes(conn, a)
        Store._insert_entities(conn, a)
        conn.execute("INSERT INTO signatures VALUES (?, ?)", (a.id, a.fingerprint or dedup.fingerprint(a)))

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
            "INSERT INTO quotes VALUES (?,?,?,?,?,?)",
            [(a.id, s.index, q.start, q.end, q.text, q.speaker) for s in a.sentences for q in s.quotes],
        )
        conn.execute("UPDATE articles SET entities_done = 1 WHERE id = ?", (a.id,))

    def update_entities(self, articles: Iterable[Article]) -> None:
        """Store (re-)recognised entities and quotes of articles already stored."""
        with self.transaction() as conn:
            for a in articles:
                self._insert_entities(conn, a)

    def without_entities(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM articles WHERE entities_done = 0")]

    @staticmethod
    def _insert_timexes(conn: sqlite3.Connection, a: Article) -> None:
        conn.executemany(
            "INSERT INTO timexes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(a.id, s.index, t.start, t.end, t.text, t.type, t.value, t.granularity, t.modifier,
              t.anchor, t.tense) for s in a.sentences for t in s.timexes],
        )  # fmt: skip

    def update_dating(self, articles: Iterable[Article]) -> None:
        """Store re-estimated publication dates and the time expressions resolved against them."""
        with self.transaction() as conn:
            for a in articles:
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

    def update_duplicates(self) -> list[dedup.Duplicate]:
        """Regroup near-duplicates over the whole store (signatures are stored, so this reads
        no text): each copy points at the earliest article of its group."""
        rows = self.conn.execute(
            "SELECT s.article_id, coalesce(a.published, '9999'), s.minhash FROM signatures s "
            "JOIN articles a ON a.id = s.article_id"
        ).fetchall()
        found = dedup.group_signatures(
            [(article_id, key, dedup.from_bytes(blob)) for article_id, key, blob in rows]
        )
        with self.transaction() as conn:
            conn.execute("DELETE FROM duplicates")
            conn.executemany(
                "INSERT INTO duplicates VALUES (?, ?, ?)",
                [(d.article, d.canonical, d.similarity) for d in found],
            )
        return found

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
        return search.search(self.conn, text, filters or search.Filters(), limit)

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]

    def articles(self, canonical_only: bool = False) -> list[Article]:
        """All articles with sentences and time expressions, oldest publication first;
        `canonical_only`: without the near-duplicate copies of other articles."""
        skip = "WHERE id NOT IN (SELECT article_id FROM duplicates)" if canonical_only else ""
        rows = self.conn.execute(
            "SELECT id, source, url, title, outlet, author, published, published_provenance, "
            "published_evidence, body, published_window_start, published_window_end, "
            f"published_confidence, year_hint FROM articles {skip} "
            "ORDER BY published IS NULL, published, source"
        ).fetchall()
        sentences: dict[str, list[Sentence]] = {}
        for article_id, idx, paragraph, in_quote, text in self.conn.execute(
            "SELECT article_id, idx, paragraph, in_quote, text FROM sentences ORDER BY article_id, idx"
        ):
            sentences.setdefault(article_id, []).append(
                Sentence(idx, text, paragraph, bool(in_quote), article_id=article_id)
            )
        for row in self.conn.execute(
            "SELECT article_id, sentence_idx, start, end, text, type, value, granularity, modifier, "
            "anchor, tense FROM timexes ORDER BY article_id, sentence_idx, start"
        ):
            sentences[row[0]][row[1]].timexes.append(TimeExpression(*row[2:]))
        for row in self.conn.execute(
            "SELECT article_id, sentence_idx, start, end, text, type, canonical FROM mentions "
            "ORDER BY article_id, sentence_idx, start"
        ):
            sentences[row[0]][row[1]].mentions.append(Mention(*row[2:]))
        for row in self.conn.execute(
            "SELECT article_id, sentence_idx, start, end, text, speaker FROM quotes "
            "ORDER BY article_id, sentence_idx, start"
        ):
            sentences[row[0]][row[1]].quotes.append(Quote(*row[2:], sentence_index=row[1]))
        return [_article(r, sentences.get(r[0], [])) for r in rows]


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
