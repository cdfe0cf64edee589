from __future__ import annotations

from pathlib import Path

import pytest

from nienbieu import clean, ingest, pipeline
from nienbieu.models import Article

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEEDS = {
    "vtv": "000_276604fbab095470.txt",
    "ngoaitruong": "001_eae7b0701f9fa981.txt",
    "rutte": "002_c8e971b6ef8c3c37.txt",
    "vilnius": "003_f78783df44546c52.txt",
    "vtc": "004_e94dbbfd1c763f8c.txt",
}


def load(name: str) -> Article:
    read = ingest.read_file(EXAMPLES / SEEDS[name])
    article, problems = clean.clean(read.documents[0])
    assert problems == []
    return pipeline.analyze(article)


@pytest.fixture(scope="session")
def seeds() -> dict[str, Article]:
    return {name: load(name) for name in SEEDS}


def body_text(article: Article) -> str:
    return "\n".join(p.text for p in article.body)


# What each migration added, to roll a current database back by hand as an older version left it.
_ADDED_BY = {
    5: "DROP TRIGGER sentences_fts_insert; DROP TRIGGER sentences_fts_delete;"
    "DROP TABLE sentences_fts_vocab; DROP TABLE sentences_fts;",
    6: "DROP TABLE duplicates; DROP TABLE signatures;",
    7: "DROP TABLE pending; DROP TABLE terms; DROP TABLE lsh;",
    8: "DROP TRIGGER titles_fts_insert; DROP TRIGGER titles_fts_delete;"
    "DROP TABLE titles_fts_vocab; DROP TABLE titles_fts;",
    # v8 kept one row per source, keyed by the path as given: a whole file's path, or the
    # "path#L<n>" of the JSONL line that stored the article (the article's own `source`)
    9: "DROP INDEX sources_article; DROP INDEX legacy_sources_article;"
    "INSERT OR IGNORE INTO legacy_sources SELECT CASE s.key WHEN '' THEN f.path ELSE a.source END, "
    "s.article_id, s.ingested_at FROM sources s JOIN files f ON f.id = s.file "
    "JOIN articles a ON a.id = s.article_id;"
    "DROP TABLE sources; DROP TABLE lines; DROP TABLE files;"
    "ALTER TABLE legacy_sources RENAME TO sources; CREATE INDEX sources_article ON sources(article_id);",
}


def roll_back(path: Path, version: int) -> None:
    import sqlite3

    from nienbieu.store import MIGRATIONS

    conn = sqlite3.connect(path)
    for newer in range(len(MIGRATIONS), version, -1):
        conn.executescript(_ADDED_BY[newer])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
