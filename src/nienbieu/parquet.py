"""The store as Parquet files, for DuckDB, Spark and pandas (`nienbieu export --parquet DIR`).

One file per table of `TABLES`: articles, sentences, mentions, time expressions, quotes and
stories. Column names are the field names of the CLI's `--json` where it has the field
(`articles --json`, `stories --json`, `quotes --json`, the records of `nienbieu.models`); the
columns and their types are the data below, and docs/scaling.md lists them.

Rows are read from SQLite and written `BATCH_ROWS` at a time, in one read snapshot, so memory
stays flat however large the store. pyarrow is optional (`pip install 'nienbieu[parquet]'`):
it is imported only when a table is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from nienbieu.models import first_words
from nienbieu.store import Store

INSTALL_HINT = "pip install 'nienbieu[parquet]'"
# Rows per record batch (and so per Parquet row group): a few MB of sentences or names, and of
# articles, whose rows hold their whole text (2–3 KB on average, some far more), a tenth as many.
BATCH_ROWS = 20_000
WIDE_BATCH_ROWS = 2_000


class ParquetUnavailable(RuntimeError):
    """Parquet export was asked for where pyarrow is not installed."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # a key of `_arrow_types`
    sql: str  # the expression that reads it
    convert: Callable[[Any], Any] | None = None  # from the SQLite value, where types differ


@dataclass(frozen=True, slots=True)
class Table:
    name: str  # the file is NAME.parquet
    columns: tuple[Column, ...]
    source: str  # FROM … [WHERE …] ORDER BY …: one row per output row, in a stable order
    wide: bool = False  # a row holds a whole article's text: WIDE_BATCH_ROWS to a batch


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _window(value: str | None) -> list[date] | None:
    """ "start/end" (as the SQL below joins them) as the JSON's [start, end]."""
    return [date.fromisoformat(day) for day in value.split("/")] if value else None


def _body(value: str) -> str:
    """The stored paragraphs ([kind, text] pairs), as text: paragraphs between blank lines."""
    return "\n\n".join(text for _, text in json.loads(value))


def _title(value: str) -> str:
    """`Article.display_title`: the stated title, or the first words of the first sentence (the
    SQL below marks those with a leading NUL, which no stored title holds: ingest strips controls)."""
    return first_words(value[1:]) if value.startswith("\0") else value


# a copy is in its canonical article's story
_STORY = "(SELECT story_id FROM story_members WHERE article_id = coalesce(d.canonical_id, a.id))"
_FIRST_SENTENCE = "(SELECT text FROM sentences WHERE article_id = a.id AND idx = 0)"
_TITLE = f"coalesce(a.title, char(0) || coalesce({_FIRST_SENTENCE}, ''))"
_WINDOW = "a.published_window_start || '/' || a.published_window_end"
ARTICLES = Table(
    "articles",
    (
        Column("id", "string", "a.id"),
        Column("copy_of", "string", "d.canonical_id"),
        Column("story", "int64", _STORY),
        Column("outlet", "string", "a.outlet"),
        Column("title", "string", _TITLE, _title),
        Column("title_stated", "bool", "a.title IS NOT NULL", bool),
        Column("published", "string", "a.published"),  # ISO 8601, with a UTC offset when stated
        Column("published_day", "date32", "a.published", _day),
        Column("published_provenance", "string", "a.published_provenance"),
        Column("published_evidence", "string", "a.published_evidence"),
        Column("published_window", "list<date32>", _WINDOW, _window),
        Column("published_confidence", "float64", "a.published_confidence"),
        Column("author", "string", "a.author"),
        Column("sentences", "int32", "(SELECT count(*) FROM sentences WHERE article_id = a.id)"),
        Column("source", "string", "a.source"),
        Column("url", "string", "a.url"),
        Column("body", "string", "a.body", _body),
    ),
    "FROM articles a LEFT JOIN duplicates d ON d.article_id = a.id ORDER BY a.id",
    wide=True,
)
SENTENCES = Table(
    "sentences",
    (
        Column("article_id", "string", "article_id"),
        Column("index", "int32", "idx"),
        Column("paragraph", "int32", "paragraph"),
        Column("in_quote", "bool", "in_quote", bool),
        Column("text", "string", "text"),
    ),
    "FROM sentences ORDER BY article_id, idx",
)


def _spans(name: str, stored_in: str, *fields: Column) -> Table:
    """A table of spans within sentences (mentions, time expressions, quotes), stored in the
    SQLite table `stored_in`: the sentence, the offsets in it, then `fields`."""
    columns = (
        Column("article_id", "string", "article_id"),
        Column("sentence_index", "int32", "sentence_idx"),
        Column("start", "int32", "start"),
        Column("end", "int32", "end"),
        *fields,
    )
    return Table(name, columns, f"FROM {stored_in} ORDER BY article_id, sentence_idx, start, end")


def _texts(*names: str) -> tuple[Column, ...]:
    """Text columns stored under their own names."""
    return tuple(Column(name, "string", name) for name in names)


MENTIONS = _spans("mentions", "mentions", *_texts("text", "type", "canonical"))
TIME_EXPRESSIONS = _spans(
    "time_expressions",
    "timexes",
    *_texts("text", "type", "value", "granularity", "modifier", "anchor", "tense"),
)
QUOTES = _spans(
    "quotes",
    "quotes",
    Column("quote", "string", "text"),
    *_texts("speaker", "candidate"),
    Column("confidence", "float64", "confidence"),
)

# A story's members and their near-duplicate copies, for the per-story subqueries below
_MEMBERS = "story_members m JOIN articles a ON a.id = m.article_id WHERE m.story_id = s.id"
_COPIES = (
    "story_members m JOIN duplicates d ON d.canonical_id = m.article_id "
    "JOIN articles a ON a.id = d.article_id WHERE m.story_id = s.id"
)
STORIES = Table(
    "stories",
    (
        Column("id", "int64", "s.id"),
        Column("label", "string", "s.label"),
        Column("articles", "int32", f"(SELECT count(*) FROM {_MEMBERS})"),
        Column("copies", "int32", f"(SELECT count(*) FROM {_COPIES})"),
        Column("first", "string", f"(SELECT min(substr(a.published, 1, 10)) FROM {_MEMBERS})"),
        Column("last", "string", f"(SELECT max(substr(a.published, 1, 10)) FROM {_MEMBERS})"),
        # outlets of its articles and their copies, most frequent first, as `stories --json`
        Column(
            "outlets",
            "list<string>",
            "(SELECT json_group_array(outlet) FROM (SELECT a.outlet AS outlet, count(*) AS n FROM "
            f"(SELECT a.outlet FROM {_MEMBERS} UNION ALL SELECT a.outlet FROM {_COPIES}) a "
            "WHERE a.outlet <> '' GROUP BY a.outlet ORDER BY n DESC, a.outlet))",
            json.loads,
        ),
    ),
    "FROM stories s WHERE EXISTS (SELECT 1 FROM story_members WHERE story_id = s.id) ORDER BY s.id",
)
TABLES = (ARTICLES, SENTENCES, MENTIONS, TIME_EXPRESSIONS, QUOTES, STORIES)


def write(store: Store, folder: Path) -> dict[str, int]:
    """Every table of `TABLES` as `folder`/NAME.parquet (the folder is made if missing), from
    one state of the store; returns the rows written per table. Raises `ParquetUnavailable`
    when pyarrow is not installed."""
    pyarrow = _pyarrow()
    folder.mkdir(parents=True, exist_ok=True)
    with store.snapshot():
        return {table.name: _write_table(pyarrow, store, table, folder) for table in TABLES}


def _write_table(pa: Any, store: Store, table: Table, folder: Path) -> int:
    """One table, written beside its final name and renamed over it once whole: a failed
    export leaves no half file under that name."""
    import pyarrow.parquet as pq

    schema = pa.schema([(c.name, _arrow_types(pa)[c.type]) for c in table.columns])
    path, partial = folder / f"{table.name}.parquet", folder / f".{table.name}.parquet.tmp"
    written = 0
    try:
        with pq.ParquetWriter(partial, schema) as writer:
            for rows in _batches(store, table):
                columns = [
                    _values(c, values)
                    for c, values in zip(table.columns, zip(*rows, strict=True), strict=True)
                ]
                writer.write_batch(pa.record_batch(columns, schema=schema))
                written += len(rows)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return written


def _batches(store: Store, table: Table) -> Iterator[list[tuple]]:
    cursor = store.conn.execute(f"SELECT {', '.join(c.sql for c in table.columns)} {table.source}")
    while rows := cursor.fetchmany(WIDE_BATCH_ROWS if table.wide else BATCH_ROWS):
        yield rows


def _values(column: Column, values: tuple) -> list:
    if column.convert is None:
        return list(values)
    return [None if v is None else column.convert(v) for v in values]


def _arrow_types(pa: Any) -> dict[str, Any]:
    return {
        "string": pa.string(),
        "int32": pa.int32(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "date32": pa.date32(),
        "list<date32>": pa.list_(pa.date32()),
        "list<string>": pa.list_(pa.string()),
    }


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # fail here, before any file is made
    except ImportError as missing:
        raise ParquetUnavailable(f"Parquet export needs pyarrow, not installed: {INSTALL_HINT}") from missing
    return pyarrow
