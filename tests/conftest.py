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
