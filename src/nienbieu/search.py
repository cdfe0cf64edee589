"""Full-text search over stored article titles and sentences: SQLite FTS5, ranked by BM25.

Every title and sentence is indexed twice: as written, and folded (lower case, tone and vowel marks
removed, "đ" as "d"), so "nato my" finds "NATO Mỹ" while a query typed with its diacritics
finds the exact spelling first. Folding keeps one character per character, so a match found
in the folded text highlights the same offsets in the original.

Query syntax: words (all must occur) and "quoted phrases".

Matching titles come before matching sentences (a title names what the whole article is
about); the same sentence in an article and its near-duplicate copies (nienbieu.dedup) is
one hit, shown from the canonical article, with the copies' ids in `also`.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from nienbieu.nlp import fold

_QUERY_PART = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Query:
    """Parsed search terms: each a word or a phrase (a list of words)."""

    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Query:
        text = unicodedata.normalize("NFC", text)
        phrases = []
        for quoted, bare in _QUERY_PART.findall(text):
            words = tuple(_WORD.findall(quoted if quoted else bare))
            if words:
                phrases.append(words)
        return cls(tuple(phrases))

    def fts(self, column: str, folded: bool) -> str:
        """An FTS5 MATCH expression on one column: every phrase must occur."""
        parts = []
        for words in self.phrases:
            text = " ".join(fold(w) if folded else w.lower() for w in words)
            parts.append('"' + text.replace('"', '""') + '"')
        return f"{column} : ({' '.join(parts)})"

    def folded_words(self) -> list[list[str]]:
        return [[fold(w) for w in words] for words in self.phrases]


@dataclass(frozen=True, slots=True)
class Filters:
    start: date | None = None  # publication date, inclusive
    end: date | None = None  # inclusive
    entity: str | None = None  # a mention of this name (any case and diacritics) in the article
    outlet: str | None = None  # part of the outlet's name, any case


@dataclass(slots=True)
class Hit:
    article_id: str
    sentence_index: int
    text: str
    title: str | None
    outlet: str | None
    published: str | None
    exact: bool  # the words occur with the diacritics typed
    score: float  # BM25 (lower is better, as SQLite reports it)
    highlights: list[tuple[int, int]] = field(default_factory=list)
    also: list[str] = field(default_factory=list)  # near-duplicate copies with the same text

    @property
    def is_title(self) -> bool:
        return self.sentence_index == TITLE

    def snippet(self, width: int = 160, mark: tuple[str, str] = ("**", "**")) -> str:
        """The sentence around its first match, matches wrapped in `mark`."""
        first = self.highlights[0][0] if self.highlights else 0
        start = max(0, first - width // 3)
        if start:  # begin at a word, not inside one
            start = next((i + 1 for i in range(start, first) if self.text[i].isspace()), first)
        end = min(len(self.text), start + width)
        out, last = [], start
        for s, e in self.highlights:
            if s >= start and e <= end:
                out += [self.text[last:s], mark[0], self.text[s:e], mark[1]]
                last = e
        out.append(self.text[last:end])
        return ("…" if start else "") + "".join(out) + ("…" if end < len(self.text) else "")


def highlights(text: str, query: Query) -> list[tuple[int, int]]:
    """Offsets of the query's words and phrases in `text`, found diacritic-insensitively."""
    folded = fold(text)
    spans = []
    for words in query.folded_words():
        pattern = r"(?<!\w)" + r"\W+".join(re.escape(w) for w in words) + r"(?!\w)"
        spans += [m.span() for m in re.finditer(pattern, folded)]
    return sorted(set(spans))


TITLE = -1  # the sentence index of a hit in an article's title


@dataclass(frozen=True, slots=True)
class _Index:
    """One FTS5 table and how its rows join their articles: the columns of a Hit, in order."""

    fts: str
    columns: str
    joins: str  # from the FTS row `f` to the article `a`
    article_id: str  # the column of the matching article's id


_SENTENCES = _Index(
    "sentences_fts",
    "s.article_id, s.idx, s.text, a.title, a.outlet, a.published",
    "JOIN sentences s ON s.rowid = f.rowid JOIN articles a ON a.id = s.article_id",
    "s.article_id",
)
_TITLES = _Index(
    "titles_fts",
    f"a.id, {TITLE}, a.title, a.title, a.outlet, a.published",
    "JOIN articles a ON a.rowid = f.rowid",
    "a.id",
)
# The two ways a query matches, best first: with the diacritics typed (the `text` columns), then
# without any (the `folded` ones); titles before sentences within each.
_PASSES = ((True, "text"), (False, "folded"))
_INDEXES = (_TITLES, _SENTENCES)


def search(conn: sqlite3.Connection, text: str, filters: Filters = Filters(), limit: int = 20) -> list[Hit]:
    """Titles, then sentences, matching `text`; exact-diacritic matches first, then by BM25."""
    query = Query.parse(text)
    if not query.phrases:
        return []
    hits: dict[tuple[str, int], Hit] = {}
    wanted = 2 * limit  # copies of one text count once: fetch more than will be shown
    for exact, column in _PASSES:
        if len(hits) >= wanted:
            break  # enough exact matches: they rank before every other
        for index in _INDEXES:
            for hit in _matches(conn, index, query.fts(column, not exact), filters, wanted, exact, query):
                hits.setdefault((hit.article_id, hit.sentence_index), hit)
    ranked = sorted(hits.values(), key=lambda h: (not h.exact, not h.is_title, h.score))
    return _one_per_text(conn, ranked)[:limit]


def matching_articles(conn: sqlite3.Connection, text: str, folded: bool = True) -> set[str]:
    """The ids of every article whose title or a sentence `search` finds for `text`, however many
    (near-duplicate copies included, as stored): the same query, the same passes, no ranking.
    `folded=False`: only the matches with the diacritics as typed."""
    query = Query.parse(text)
    found: set[str] = set()
    if not query.phrases:
        return found
    for exact, column in _PASSES if folded else _PASSES[:1]:
        for index in _INDEXES:
            sql = (
                f"SELECT DISTINCT {index.article_id} FROM {index.fts} f {index.joins} "
                f"WHERE {index.fts} MATCH ?"
            )
            found.update(row[0] for row in conn.execute(sql, (query.fts(column, not exact),)))
    return found


def _one_per_text(conn: sqlite3.Connection, hits: list[Hit]) -> list[Hit]:
    """Hits on the same text in an article and its near-duplicate copies merged into one: the
    canonical article's if it is among them, else the best ranked."""
    ids = sorted({h.article_id for h in hits})
    marks = ",".join("?" * len(ids))
    sql = f"SELECT article_id, canonical_id FROM duplicates WHERE article_id IN ({marks})"
    canonical = dict(conn.execute(sql, ids).fetchall())
    groups: dict[tuple[str, bool, str], list[Hit]] = {}
    for hit in hits:
        key = (canonical.get(hit.article_id, hit.article_id), hit.is_title, fold(hit.text))
        groups.setdefault(key, []).append(hit)
    merged = []
    for (owner, _, _), members in groups.items():
        shown = next((h for h in members if h.article_id == owner), members[0])
        shown.also = [h.article_id for h in members if h is not shown]
        merged.append(shown)
    return sorted(merged, key=hits.index)


def _matches(
    conn: sqlite3.Connection,
    index: _Index,
    expression: str,
    filters: Filters,
    limit: int,
    exact: bool,
    query: Query,
) -> list[Hit]:
    """The best `limit` matches in one index passing the filters."""
    where, params = filter_sql(filters)
    # BM25 scores every match; for words in a large share of the corpus ("của", "và") that
    # alone took seconds at 100,000 articles, so such queries list the newest matches unranked.
    order = "f.rank" if _matches_at_most(conn, index, query, exact) <= RANKED_MATCHES else "f.rowid DESC"
    if where:  # filter while matching: fetching ranked candidates and filtering after meant re-ranking
        sql = (
            f"SELECT {index.columns}, f.rank FROM {index.fts} f {index.joins} "
            f"WHERE {index.fts} MATCH ? {where} ORDER BY {order} LIMIT ?"
        )
        rows = conn.execute(sql, (expression, *params, limit)).fetchall()
    else:  # FTS5 ranks in its own fast path, without a join
        sql = f"SELECT f.rowid, f.rank FROM {index.fts} f WHERE {index.fts} MATCH ? ORDER BY {order} LIMIT ?"
        rank = dict(conn.execute(sql, (expression, limit)).fetchall())
        marks = ",".join("?" * len(rank))
        details = conn.execute(
            f"SELECT f.rowid, {index.columns} FROM {index.fts} f {index.joins} WHERE f.rowid IN ({marks})",
            tuple(rank),
        ).fetchall()
        rows = [(*row[1:], rank[row[0]]) for row in details]
    found = [
        Hit(article, index, text, title, outlet, published, exact, score, highlights(text, query))
        for article, index, text, title, outlet, published, score in rows
    ]
    return sorted(found, key=lambda h: h.score)[:limit]


RANKED_MATCHES = 20_000  # most sentences a query may match and still be ranked by BM25


def _matches_at_most(conn: sqlite3.Connection, index: _Index, query: Query, exact: bool) -> int:
    """How many rows hold the query's rarest word (an upper bound on its matches)."""
    words = [w for phrase in query.phrases for w in phrase]
    counts = [
        conn.execute(f"SELECT doc FROM {index.fts}_vocab WHERE term = ?", (w.lower() if exact else fold(w),))
        for w in words
    ]
    return min((row[0] if row else 0) for row in (c.fetchone() for c in counts))


def filter_sql(filters: Filters) -> tuple[str, list]:
    """SQL conditions on the article `a`, each after an AND, and their parameters."""
    clauses: list[str] = []
    params: list = []
    if filters.start:
        clauses.append("a.published >= ?")
        params.append(filters.start.isoformat())
    if filters.end:
        # compare days: the day after `end` is not on the calendar when `end` is its last one
        clauses.append("substr(a.published, 1, 10) <= ?")
        params.append(filters.end.isoformat())
    if filters.outlet:
        clauses.append("nb_fold(a.outlet) LIKE ?")
        params.append(f"%{fold(filters.outlet)}%")
    if filters.entity:
        clauses.append(
            "EXISTS (SELECT 1 FROM mentions m WHERE m.article_id = a.id "
            "AND (nb_fold(m.text) = ? OR nb_fold(coalesce(m.canonical, '')) = ?))"
        )
        params += [fold(filters.entity)] * 2
    return "".join(f" AND {c}" for c in clauses), params


def register(conn: sqlite3.Connection) -> None:
    """The SQL function the index triggers and filters use; every connection that writes
    sentences needs it."""
    conn.create_function("nb_fold", 1, lambda t: fold(t) if t is not None else None, deterministic=True)


def rows_for(hits: Iterable[Hit]) -> list[dict]:
    return [
        {
            "article_id": h.article_id,
            "sentence_index": h.sentence_index,
            "text": h.text,
            "snippet": h.snippet(),
            "highlights": h.highlights,
            "title": h.title,
            "outlet": h.outlet,
            "published": h.published,
            "exact": h.exact,
            "score": round(h.score, 4),
            "in_title": h.is_title,
            "also": h.also,
        }
        for h in hits
    ]
